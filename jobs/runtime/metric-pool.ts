/**
 * Runs a job's metrics on worker threads, one metric at a time per worker, handed out as workers
 * become free (a long metric never holds up the rest). Each worker runs the job's own code
 * (metric-worker.ts); its log lines are written by the main thread's logger, its outcomes and
 * run-metric calls come back here. A worker that dies fails the metric it held, not the others.
 */
import { Worker } from 'node:worker_threads'
import type { GrasConfig } from './config-schema.js'
import type { JobReport, MetricOutcome } from './metric-outcome.js'
import type { MetricsCall } from './recording-metrics.js'
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
  | { metricId: string; ok: false; error: SentError; durationMs: number }

export type ToWorker = { type: 'metric'; metricId: string } | { type: 'stop' }
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
  return sent.ok ? sent : { metricId: sent.metricId, ok: false, error: receiveError(sent.error), durationMs: sent.durationMs }
}

export interface WorkerPool {
  /** Ends the workers that hold no metric (still starting, or idle) and resolves when the others have reported. */
  finish(): Promise<void>
}

/**
 * Starts `count` workers that take metric ids from `queue` (shared with the caller, who may take
 * from it too) until it is empty.
 */
export function startWorkers(count: number, data: MetricWorkerData, queue: string[], callbacks: PoolCallbacks): WorkerPool {
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
          const metricId = stopping ? undefined : queue.shift()
          current = metricId === undefined ? undefined : { metricId, startedMs: Date.now() }
          if (current) idle.delete(worker)
          else idle.add(worker)
          return worker.postMessage((metricId === undefined ? { type: 'stop' } : { type: 'metric', metricId }) satisfies ToWorker)
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
