/**
 * A metric worker thread (metric-pool.ts starts it): opens its own job context from the run's
 * settings (the lake and DynamoDB of the main thread; an embedded DynamoDB is the main thread's
 * server, by its endpoint), then runs the job's own entry function, whose loop takes units (a
 * metric, or a group of series with its series ids) from the main thread one at a time instead of
 * resolving them (serveMetrics). Log lines,
 * outcomes and run-metric calls go back to the main thread, which writes and records them.
 */
import { parentPort, workerData } from 'node:worker_threads'
import { createLogger } from './logger.js'
import { openJobContext } from './job-context.js'
import { serveMetrics } from './metric-loop.js'
import { sendError } from './metric-errors.js'
import type { FromWorker, MetricWorkerData, ToWorker } from './metric-pool.js'
import type { SeriesGroup } from '../core/series-groups.js'

const port = parentPort!
const data = workerData as MetricWorkerData
const post = (message: FromWorker) => port.postMessage(message)

const waiting: ((unit: SeriesGroup | undefined) => void)[] = []
port.on('message', (message: ToWorker) => waiting.shift()?.(message.type === 'metric' ? message.unit : undefined))

serveMetrics({
  next: () =>
    new Promise<SeriesGroup | undefined>((resolve) => {
      waiting.push(resolve)
      post({ type: 'next' })
    }),
  report: (outcome, calls) => post({ type: 'outcome', outcome, calls }),
})

const logger = createLogger({ level: data.logLevel, destination: { write: (line: string) => post({ type: 'log', line }) } })

async function run(): Promise<void> {
  // The main thread created the tables already; a worker only reads and writes items.
  const config = { ...data.config, dynamodb: { ...data.config.dynamodb, createTables: false } }
  const context = await openJobContext({ config, logger, runId: data.runId, asOfMs: data.asOfMs, env: process.env, embeddedEndpoint: data.dynamoEndpoint })
  try {
    const entry = (await import(data.entry.module)) as Record<string, (...args: unknown[]) => Promise<unknown>>
    await entry[data.entry.name](context, undefined, ...(data.entry.args ?? []))
  } finally {
    await context.close()
  }
}

run().then(
  () => post({ type: 'finished' }),
  (error: unknown) => post({ type: 'failed', error: sendError(error) }),
)
