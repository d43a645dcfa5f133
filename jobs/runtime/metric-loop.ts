/**
 * The loop every job runs: resolve the metrics under a lake root, run one metric at a time with its
 * own child logger, keep going past a failure, report every outcome, and push the run's Prometheus
 * metrics at the end (a failed push is logged, never fatal).
 */
import type { JobContext } from './job-context.js'
import type { Logger } from './logger.js'
import type { JobReport, MetricOutcome } from './metric-outcome.js'
import { RunMetrics } from './run-metrics.js'
import { beginRun, endRun } from './active-runs.js'
import { activeTerminal } from './terminal.js'
import { noMetricsError, resolveMetrics } from './resolve-metrics.js'

export type MetricWork = (metricId: string, log: Logger, metrics: RunMetrics) => Promise<Record<string, unknown>>

export async function forEachMetric(
  context: JobContext,
  job: JobReport['job'],
  root: string,
  requested: readonly string[] | undefined,
  work: MetricWork,
): Promise<JobReport> {
  const log = context.logger.child({ job, run_id: context.runId })
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
    for (const metricId of resolved.metrics) {
      const metricLog = log.child({ metric: metricId })
      const metricStarted = context.now()
      try {
        const detail = await work(metricId, metricLog, metrics)
        outcomes.push({ metricId, ok: true, detail, durationMs: context.now() - metricStarted })
      } catch (error) {
        metricLog.error({ err: error }, 'metric failed')
        outcomes.push({ metricId, ok: false, error, durationMs: context.now() - metricStarted })
      }
      terminal?.stepTask(undefined, metricId)
    }
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

/** Pushes to the configured Pushgateway, if any; logs and swallows failures. */
export async function pushRunMetrics(context: Pick<JobContext, 'pushgatewayUrl'>, metrics: RunMetrics, log: Logger): Promise<void> {
  if (!context.pushgatewayUrl) return
  const errors = await metrics.push(context.pushgatewayUrl)
  if (errors.length > 0) log.warn({ pushgateway: context.pushgatewayUrl, failures: errors.length, err: errors[0] }, 'metrics push failed')
  else log.debug({ pushgateway: context.pushgatewayUrl }, 'metrics pushed')
}
