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
}

export function receiveOutcome(sent: SentOutcome): MetricOutcome {
  return sent.ok ? sent : { metricId: sent.metricId, ok: false, error: receiveError(sent.error), durationMs: sent.durationMs }
}

/** Runs `metricIds` on `count` workers; resolves when every metric has an outcome. */
export function runOnWorkers(count: number, data: MetricWorkerData, metricIds: readonly string[], callbacks: PoolCallbacks): Promise<void> {
  const queue = [...metricIds]
  let alive = 0
  let lastFailure: Error | undefined
  return new Promise<void>((resolve) => {
    const settleIfDone = () => {
      if (alive > 0) return
      // Every worker gone before the queue was empty (each failed to start): the rest fail with that reason.
      for (const metricId of queue.splice(0)) callbacks.onOutcome({ metricId, ok: false, error: lastFailure ?? new Error('metric workers: every worker exited'), durationMs: 0 }, [])
      resolve()
    }
    for (let i = 0; i < count; i++) {
      const worker = new Worker(new URL('./metric-worker.js', import.meta.url), { workerData: data })
      alive++
      let current: { metricId: string; startedMs: number } | undefined
      let crash: Error | undefined
      worker.on('message', (message: FromWorker) => {
        switch (message.type) {
          case 'log':
            return callbacks.writeLog(message.line)
          case 'next': {
            const metricId = queue.shift()
            current = metricId === undefined ? undefined : { metricId, startedMs: Date.now() }
            return worker.postMessage((metricId === undefined ? { type: 'stop' } : { type: 'metric', metricId }) satisfies ToWorker)
          }
          case 'outcome':
            current = undefined
            return callbacks.onOutcome(receiveOutcome(message.outcome), message.calls)
          case 'failed':
            crash = receiveError(message.error)
            lastFailure = crash
            return void worker.terminate()
          case 'finished':
            return void worker.terminate()
        }
      })
      worker.on('error', (error) => {
        crash = error
        lastFailure = error
      })
      worker.on('exit', (code) => {
        alive--
        if (current) {
          const error = crash ?? new Error(`metric worker exited with code ${code} while metric ${current.metricId} ran`)
          callbacks.onOutcome({ metricId: current.metricId, ok: false, error, durationMs: Date.now() - current.startedMs }, [])
          current = undefined
        }
        settleIfDone()
      })
    }
  })
}
