/**
 * Runs a job's units (metrics, or groups of series) on worker threads, one at a time per worker,
 * handed out as workers become free (a long unit never holds up the rest). A unit travels whole
 * (its id and its series), so a worker needs nothing else to run it. Each worker runs the job's own code
 * (metric-worker.ts); its log lines are written by the main thread's logger, its outcomes and
 * run-metric calls come back here. A worker that dies fails the unit it held, not the others.
 */
import { Worker } from 'node:worker_threads'
import type { GrasConfig } from './config-schema.js'
import type { JobReport, MetricOutcome } from './metric-outcome.js'
import type { MetricsCall } from './recording-metrics.js'
import type { SeriesGroup } from '../core/series-groups.js'
import { receiveError, type SentError } from './metric-errors.js'

/** The job function a worker calls as `module[name](context, undefined, ...args)`: the job's own entry. */
export interface WorkerEntry {
  /** `import.meta.url` of the job's module. */
  module: string
  name: string
  args?: unknown[]
}

export interface MetricWorkerData {
  entry: WorkerEntry
  job: JobReport['job']
  config: GrasConfig
  runId: string
  asOfMs: number
  logLevel: string
  /** The main thread's embedded DynamoDB; undefined: the SDK's own endpoint resolution. */
  dynamoEndpoint?: string
}

export type SentOutcome =
  | { metricId: string; ok: true; detail: Record<string, unknown>; durationMs: number }
  | { metricId: string; ok: false; error: SentError; durationMs: number; detail?: Record<string, unknown> }

export type ToWorker = { type: 'metric'; unit: SeriesGroup } | { type: 'stop' }
export type FromWorker =
  | { type: 'log'; line: string }
  | { type: 'next' }
  | { type: 'outcome'; outcome: SentOutcome; calls: MetricsCall[] }
  | { type: 'finished' }
  | { type: 'failed'; error: SentError }

export interface PoolCallbacks {
  writeLog(line: string): void
  onOutcome(outcome: MetricOutcome, calls: readonly MetricsCall[]): void
  /** A worker that could not start its job (its setup threw): it took no metric. */
  onWorkerFailed(error: Error): void
}

export function receiveOutcome(sent: SentOutcome): MetricOutcome {
  return sent.ok ? sent : { ...sent, error: receiveError(sent.error) }
}

export interface WorkerPool {
  /** Ends the workers that hold no metric (still starting, or idle) and resolves when the others have reported. */
  finish(): Promise<void>
}

/**
 * Starts `count` workers that take units from `queue` (shared with the caller, who may take
 * from it too) until it is empty.
 */
export function startWorkers(count: number, data: MetricWorkerData, queue: SeriesGroup[], callbacks: PoolCallbacks): WorkerPool {
  let stopping = false
  const exits: Promise<void>[] = []
  const idle = new Set<Worker>()
  for (let i = 0; i < count; i++) {
    const worker = new Worker(new URL('./metric-worker.js', import.meta.url), { workerData: data })
    idle.add(worker)
    let current: { metricId: string; startedMs: number } | undefined
    let crash: Error | undefined
    worker.on('message', (message: FromWorker) => {
      switch (message.type) {
        case 'log':
          return callbacks.writeLog(message.line)
        case 'next': {
          const unit = stopping ? undefined : queue.shift()
          current = unit === undefined ? undefined : { metricId: unit.id, startedMs: Date.now() }
          if (current) idle.delete(worker)
          else idle.add(worker)
          return worker.postMessage((unit === undefined ? { type: 'stop' } : { type: 'metric', unit }) satisfies ToWorker)
        }
        case 'outcome':
          current = undefined
          idle.add(worker)
          return callbacks.onOutcome(receiveOutcome(message.outcome), message.calls)
        case 'failed':
          crash = receiveError(message.error)
          callbacks.onWorkerFailed(crash)
          return void worker.terminate()
        case 'finished':
          return void worker.terminate()
      }
    })
    worker.on('error', (error) => {
      crash = error
    })
    exits.push(
      new Promise<void>((resolve) =>
        worker.on('exit', (code) => {
          idle.delete(worker)
          if (current) {
            const error = crash ?? new Error(`metric worker exited with code ${code} while metric ${current.metricId} ran`)
            callbacks.onOutcome({ metricId: current.metricId, ok: false, error, durationMs: Date.now() - current.startedMs }, [])
            current = undefined
          }
          resolve()
        }),
      ),
    )
  }
  return {
    async finish() {
      stopping = true
      for (const worker of idle) void worker.terminate()
      await Promise.all(exits)
    },
  }
}
