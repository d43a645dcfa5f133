/**
 * `gras report`: gathers per metric what the report shows, from the lake (silver features, the
 * approved version's backtest.json, the newest stored forecast), the model registry and the
 * accuracy table, renders the pages and stores them in the lake under reports/<run id>/. A metric
 * whose parts cannot be read still gets a page naming what is missing.
 */
import { reportKey, silverFeaturesRoot } from '../core/lake-layout.js'
import { ModelRegistry } from '../io/model-registry.js'
import { settingsFor } from '../runtime/config-schema.js'
import { ExitCode, exitCodeOf } from '../core/errors.js'
import type { JobContext } from '../runtime/job-context.js'
import { noMetricsError, resolveMetrics } from '../runtime/resolve-metrics.js'
import { readSilverSeries } from '../io/silver-reader.js'
import { renderIndexPage } from './index-page.js'
import { metricPageFile, renderMetricPage } from './metric-page.js'
import { readAccuracy, readApprovedBacktest, readNewestForecast } from './read-parts.js'
import { outlierIndices, type MetricReport, type ReportInput } from './report-data.js'

/** History shown before the forecast: a week of hourly steps (one weekly cycle), or 120 daily ones. */
const plottedHistorySteps = (stepMs: number) => (stepMs >= 86_400_000 ? 120 : 168)

const gatherConcurrency = 8

export interface ReportFiles {
  /** File name (relative to the report folder) to HTML. */
  files: Map<string, string>
  input: ReportInput
}

/** The pages of the report of run `runId` (default: the context's own run). */
export async function buildReport(context: JobContext, requested?: readonly string[], runId = context.runId): Promise<ReportFiles> {
  const resolved = await resolveMetrics(context.lake, silverFeaturesRoot, requested)
  if (resolved.missing.length > 0) throw resolved.missing[0].error
  if (resolved.metrics.length === 0) throw await noMetricsError(context.lake, 'report', silverFeaturesRoot)
  const registry = new ModelRegistry(context.dynamo, context.config.dynamodb.modelsTable)
  const metrics: MetricReport[] = []
  // A few metrics at a time: each is a handful of small reads, so latency, not bandwidth, is the cost.
  for (let i = 0; i < resolved.metrics.length; i += gatherConcurrency) {
    metrics.push(...(await Promise.all(resolved.metrics.slice(i, i + gatherConcurrency).map((id) => gatherMetric(context, registry, id)))))
  }
  const input: ReportInput = { runId, asOfMs: context.asOfMs, metrics }
  const files = new Map<string, string>([['index.html', renderIndexPage(input)]])
  for (const metric of metrics) files.set(metricPageFile(metric.metricId), renderMetricPage(input, metric))
  return { files, input }
}

/** Stores every page under reports/<run id>/ in the lake (the run the report is of). */
export async function storeReport(context: JobContext, report: ReportFiles): Promise<string> {
  const runId = report.input.runId
  for (const [file, html] of report.files) await context.lake.put(reportKey(runId, file), html)
  return reportKey(runId, 'index.html')
}

async function gatherMetric(context: JobContext, registry: ModelRegistry, metricId: string): Promise<MetricReport> {
  const settings = settingsFor(context.config, metricId)
  const metric: MetricReport = { metricId, frequency: settings.frequency, aggregation: settings.aggregation, accuracy: [], outliersMs: [], problems: [] }
  const attempt = async (what: string, body: () => Promise<void>) => {
    try {
      await body()
    } catch (error) {
      // A retry would succeed: fail the command (exit 75) rather than publish a page with a hole.
      if (exitCodeOf(error) === ExitCode.transient) throw error
      metric.problems.push(`${what}: ${(error as Error).message}`)
      context.logger.warn({ metric: metricId, err: error }, `report: ${what} unreadable`)
    }
  }
  await attempt('features', async () => {
    const { manifest, series, observed } = await readSilverSeries(context.lake, metricId)
    metric.outliersMs = outlierIndices(Array.from(series.values)).map((i) => series.startMs + i * series.stepMs)
    const from = Math.max(0, series.values.length - plottedHistorySteps(series.stepMs))
    metric.history = { startMs: series.startMs + from * series.stepMs, stepMs: series.stepMs, values: Array.from(series.values.subarray(from)), observed: Array.from(observed.subarray(from)) }
    metric.quality = {
      rows: manifest.rows,
      filledSteps: manifest.filledSteps,
      windowStart: manifest.window.start,
      windowEnd: manifest.window.end,
      inputFiles: manifest.inputFiles.length,
      quarantined: manifest.quarantined.map((q) => ({ key: q.key, reason: q.reason })),
    }
  })
  await attempt('model', async () => {
    const approved = await readApprovedBacktest(context.lake, registry, metricId)
    metric.model = approved.model
    metric.backtest = approved.backtest
  })
  await attempt('forecast', async () => {
    metric.forecast = await readNewestForecast(context.lake, metricId)
  })
  await attempt('accuracy', async () => {
    const accuracy = await readAccuracy(context.dynamo, context.config.monitor.accuracyTable, metricId)
    metric.accuracy = accuracy.days
    metric.drift = accuracy.drift
  })
  return metric
}

