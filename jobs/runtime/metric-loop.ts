/**
 * The loop every job runs: resolve the metrics under a lake root, run each metric with its own
 * child logger, keep going past a failure, report every outcome (in the resolved order), and push
 * the run's Prometheus metrics at the end (a failed push is logged, never fatal). With
 * `context.workers` above one and a worker entry, the metrics run on that many threads: this one
 * and worker threads (metric-pool.ts) running the job's own code; the results are those of one.
 */
import { pino, type DestinationStream } from 'pino'
import type { JobContext } from './job-context.js'
import type { Logger } from './logger.js'
import type { JobReport, MetricOutcome } from './metric-outcome.js'
import { RunMetrics } from './run-metrics.js'
import { RecordingMetrics, replay, type MetricsCall } from './recording-metrics.js'
import { startWorkers, type SentOutcome, type WorkerEntry } from './metric-pool.js'
import { sendError } from './metric-errors.js'
import { beginRun, endRun } from './active-runs.js'
import { activeTerminal } from './terminal.js'
import { noMetricsError, resolveMetrics } from './resolve-metrics.js'

export type MetricWork = (metricId: string, log: Logger, metrics: RunMetrics) => Promise<Record<string, unknown>>

/** Where a metric worker's loop takes its metrics from and sends its outcomes to (metric-worker.ts). */
export interface MetricSource {
  next(): Promise<string | undefined>
  report(outcome: SentOutcome, calls: MetricsCall[]): void
}

let served: MetricSource | undefined

/** Makes every forEachMetric of this thread take its metrics from `source`: called once, by a metric worker. */
export function serveMetrics(source: MetricSource): void {
  served = source
}

/**
 * Runs `work` for each metric under `root` (or each of `requested`). `entry` names the job function
 * a worker thread calls to get the same `work`; without it the metrics run in this thread.
 */
export async function forEachMetric(
  context: JobContext,
  job: JobReport['job'],
  root: string,
  requested: readonly string[] | undefined,
  work: MetricWork,
  entry?: WorkerEntry,
): Promise<JobReport> {
  const log = context.logger.child({ job, run_id: context.runId })
  if (served) return serveWorkerMetrics(served, context, job, log, work)
  const started = context.now()
  const metrics = new RunMetrics(job, started, context.config.observability.maxMetricGroups)
  beginRun(metrics)
  const outcomes: MetricOutcome[] = []
  const terminal = activeTerminal()
  try {
    const resolved = await resolveMetrics(context.lake, root, requested, context.shard)
    // No success without work: an empty or missing lake is an error, not a run over zero metrics.
    if (resolved.metrics.length === 0 && resolved.missing.length === 0) throw await noMetricsError(context.lake, job, root)
    if (resolved.invalidPartitions.length > 0) log.warn({ partitions: resolved.invalidPartitions }, 'skipped partitions with invalid metric ids')
    if (resolved.unplanned.length > 0) log.warn({ plan: context.shard?.plan.planId, metrics: resolved.unplanned }, 'metrics not in the shard plan: placed in this shard by their id; run gras plan to rebalance')
    for (const { metricId, error } of resolved.missing) {
      log.error({ metric: metricId, err: error }, 'metric failed')
      outcomes.push({ metricId, ok: false, error })
    }
    terminal?.beginTask(job, resolved.metrics.length, 'metrics')
    const runHere = async (metricId: string): Promise<MetricOutcome> => {
      const metricLog = log.child({ metric: metricId })
      const metricStarted = context.now()
      try {
        const detail = await work(metricId, metricLog, metrics)
        return { metricId, ok: true, detail, durationMs: context.now() - metricStarted }
      } catch (error) {
        metricLog.error({ err: error }, 'metric failed')
        return { metricId, ok: false, error, durationMs: context.now() - metricStarted }
      }
    }
    const done: MetricOutcome[] = []
    const record = (outcome: MetricOutcome) => {
      done.push(outcome)
      terminal?.stepTask(undefined, outcome.metricId)
    }
    // The main thread is one of the workers: it takes metrics from the same queue while the others
    // start, so a run of few metrics is never slower than one thread.
    const queue = [...resolved.metrics]
    const threads = entry ? Math.min(context.workers ?? 1, resolved.metrics.length) - 1 : 0
    if (threads > 0) log.info({ workers: threads + 1, metrics: resolved.metrics.length }, 'metrics on worker threads')
    const pool =
      threads > 0
        ? startWorkers(threads, workerData(context, job, entry!), queue, {
            writeLog: rootStreamOf(context.logger),
            onOutcome(outcome, calls) {
              replay(calls, metrics)
              record(outcome)
            },
            onWorkerFailed: (error) => log.error({ err: error }, 'metric worker failed: its metrics run on the others'),
          })
        : undefined
    for (let metricId = queue.shift(); metricId !== undefined; metricId = queue.shift()) record(await runHere(metricId))
    await pool?.finish()
    const order = new Map(resolved.metrics.map((id, i) => [id, i]))
    outcomes.push(...done.sort((a, b) => order.get(a.metricId)! - order.get(b.metricId)!))
  } finally {
    terminal?.endTask()
    endRun(metrics)
    const failed = outcomes.filter((o) => !o.ok).length
    metrics.finish({ ok: failed === 0 && outcomes.length > 0, metricsOk: outcomes.length - failed, metricsFailed: failed }, context.now())
    log.info({ metrics: outcomes.length, failed, durationMs: context.now() - started }, 'job finished')
    await pushRunMetrics(context, metrics, log)
  }
  return { job, outcomes }
}

function workerData(context: JobContext, job: JobReport['job'], entry: WorkerEntry) {
  return { entry, job, config: context.config, runId: context.runId, asOfMs: context.asOfMs, logLevel: context.logger.level, dynamoEndpoint: context.dynamoEndpoint }
}

/** Writes a finished log line (a worker's, already carrying its run id, job and metric) to the root logger's destination. */
function rootStreamOf(logger: Logger): (line: string) => void {
  const stream = (logger as unknown as Record<symbol, DestinationStream>)[pino.symbols.streamSym]
  return (line) => stream.write(line)
}

/** A metric worker's loop: metrics from the main thread, one at a time; outcomes and metric calls back to it. */
async function serveWorkerMetrics(source: MetricSource, context: JobContext, job: JobReport['job'], log: Logger, work: MetricWork): Promise<JobReport> {
  const metrics = new RecordingMetrics(job, context.now())
  // AWS retries recorded against this worker's run are sent with the metric they happened in.
  beginRun(metrics)
  try {
    for (let metricId = await source.next(); metricId !== undefined; metricId = await source.next()) {
      const metricLog = log.child({ metric: metricId })
      const started = context.now()
      try {
        const detail = await work(metricId, metricLog, metrics)
        source.report({ metricId, ok: true, detail, durationMs: context.now() - started }, metrics.take())
      } catch (error) {
        metricLog.error({ err: error }, 'metric failed')
        source.report({ metricId, ok: false, error: sendError(error), durationMs: context.now() - started }, metrics.take())
      }
    }
  } finally {
    endRun(metrics)
  }
  return { job, outcomes: [] }
}

/** Pushes to the configured Pushgateway, if any; logs and swallows failures. */
export async function pushRunMetrics(context: Pick<JobContext, 'pushgatewayUrl'>, metrics: RunMetrics, log: Logger): Promise<void> {
  if (!context.pushgatewayUrl) return
  const errors = await metrics.push(context.pushgatewayUrl)
  if (errors.length > 0) log.warn({ pushgateway: context.pushgatewayUrl, failures: errors.length, err: errors[0] }, 'metrics push failed')
  else log.debug({ pushgateway: context.pushgatewayUrl }, 'metrics pushed')
}
