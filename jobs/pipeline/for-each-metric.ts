/**
 * The loop every job runs: resolve the metrics under a lake root, run one metric at a time with its
 * own child logger, keep going past a failure, and report every outcome.
 */
import type { JobContext } from '../runtime/job-context.js'
import type { Logger } from '../runtime/logger.js'
import type { JobReport, MetricOutcome } from '../runtime/metric-outcome.js'
import { resolveMetrics } from './resolve-metrics.js'

export type MetricWork = (metricId: string, log: Logger) => Promise<Record<string, unknown>>

export async function forEachMetric(
  context: JobContext,
  job: JobReport['job'],
  root: string,
  requested: readonly string[] | undefined,
  work: MetricWork,
): Promise<JobReport> {
  const log = context.logger.child({ job, run_id: context.runId })
  const started = context.now()
  const resolved = await resolveMetrics(context.lake, root, requested)
  if (resolved.invalidPartitions.length > 0) log.warn({ partitions: resolved.invalidPartitions }, 'skipped partitions with invalid metric ids')
  const outcomes: MetricOutcome[] = []
  for (const { metricId, error } of resolved.missing) {
    log.error({ metric: metricId, err: error }, 'metric failed')
    outcomes.push({ metricId, ok: false, error })
  }
  for (const metricId of resolved.metrics) {
    const metricLog = log.child({ metric: metricId })
    try {
      outcomes.push({ metricId, ok: true, detail: await work(metricId, metricLog) })
    } catch (error) {
      metricLog.error({ err: error }, 'metric failed')
      outcomes.push({ metricId, ok: false, error })
    }
  }
  log.info({ metrics: outcomes.length, failed: outcomes.filter((o) => !o.ok).length, durationMs: context.now() - started }, 'job finished')
  return { job, outcomes }
}
