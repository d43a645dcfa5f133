/**
 * The `monitor` job: realised accuracy of the served forecasts per metric and day (from the
 * predictions Parquet copies, which keep every run), written to the accuracy table and exported as
 * metrics; a metric whose realised error drifts past its backtest expectation is flagged for
 * retraining (`gras train --only drifted` honours the flag).
 */
import { predictionsDayPrefix, silverFeaturesRoot } from '../core/lake-layout.js'
import { seasonalPeriods } from '../core/models/catalog.js'
import { compactDate, dayMs, floorToStep } from '../core/time.js'
import { putDayAccuracy, putDrift } from '../io/accuracy-table.js'
import { readRows } from '../io/parquet-read.js'
import type { JobContext } from '../runtime/job-context.js'
import type { JobReport } from '../runtime/metric-outcome.js'
import { forEachMetric } from '../runtime/metric-loop.js'
import { readArtifact } from '../io/model-artifacts.js'
import { readSilverSeries } from '../io/silver-reader.js'
import { decideDrift, realisedAccuracy, type ServedRun } from '../core/realised-accuracy.js'

export async function runMonitor(context: JobContext, requested?: readonly string[]): Promise<JobReport> {
  const { lookbackDays, driftFactor, accuracyTable } = context.config.monitor
  return forEachMetric(context, 'monitor', silverFeaturesRoot, requested, async (metricId, log, metrics) => {
    const { series, observed } = await readSilverSeries(context.lake, metricId)
    const endDay = floorToStep(context.asOfMs, dayMs)
    const firstDay = endDay - lookbackDays * dayMs
    const runs = await readServedRuns(context, metricId, firstDay - 3 * dayMs, endDay)
    const days = realisedAccuracy(series, observed, runs, firstDay, endDay, seasonalPeriods(series.stepMs)[0])
    const expectedByVersion = new Map<string, number>()
    for (const day of days) {
      if (!expectedByVersion.has(day.modelVersion)) {
        const artifact = await readArtifact(context.lake, metricId, day.modelVersion).catch(() => undefined)
        expectedByVersion.set(day.modelVersion, artifact?.backtestMase ?? Number.NaN)
      }
      const date = new Date(day.dayStartMs).toISOString().slice(0, 10)
      await putDayAccuracy(context.dynamo, accuracyTable, { ...day, metricId, date, backtestMase: expectedByVersion.get(day.modelVersion)! }, context.runId)
    }
    const latest = days[days.length - 1]
    const expected = latest ? expectedByVersion.get(latest.modelVersion)! : Number.NaN
    const decision = decideDrift(days, expected, driftFactor)
    await putDrift(context.dynamo, accuracyTable, metricId, decision, context.runId, new Date(context.now()).toISOString())
    if (latest) {
      const mean = (pick: (d: (typeof days)[number]) => number) => days.reduce((s, d) => s + pick(d), 0) / days.length
      metrics.setForMetric(metricId, 'gras_realised_mase', `Mean realised MASE of served day-ahead forecasts over ${lookbackDays} days`, decision.realisedMase)
      metrics.setForMetric(metricId, 'gras_realised_smape', 'Mean realised sMAPE of served day-ahead forecasts', mean((d) => d.smape))
      metrics.setForMetric(metricId, 'gras_realised_bias', 'Mean realised bias (forecast - actual over mean |actual|)', mean((d) => d.bias))
      metrics.setForMetric(metricId, 'gras_realised_coverage', 'Realised interval coverage of served forecasts', mean((d) => d.coverage))
      metrics.setForMetric(metricId, 'gras_expected_mase', 'Backtest MASE of the model that served the latest day', expected)
    }
    metrics.setForMetric(metricId, 'gras_drift_flag', '1 when the metric is flagged for retraining', decision.drifted ? 1 : 0)
    metrics.setForMetric(metricId, 'gras_actual_last', 'Newest actual value in the features', series.values[series.values.length - 1])
    if (decision.drifted) log.warn({ reason: decision.reason }, 'drift flagged')
    const detail = { days: days.length, drifted: decision.drifted, realisedMase: decision.realisedMase, expectedMase: decision.expectedMase }
    log.info(detail, 'accuracy computed')
    return detail
  }, { module: import.meta.url, name: 'runMonitor' })
}

/** Every stored forecast run of a metric generated on the UTC days [fromMs, toMs]. */
async function readServedRuns(context: JobContext, metricId: string, fromMs: number, toMs: number): Promise<ServedRun[]> {
  const runs: ServedRun[] = []
  for (let day = fromMs; day <= toMs; day += dayMs) {
    for (const info of await context.lake.list(predictionsDayPrefix(metricId, compactDate(day)))) {
      if (!info.key.endsWith('.parquet')) continue
      const rows = await readRows(await context.lake.openBuffer(info), info.key, ['timestamp', 'value', 'lower', 'upper', 'model_version', 'run_id', 'generated_at'])
      if (rows.length === 0) continue
      runs.push({
        runId: String(rows[0].run_id),
        modelVersion: String(rows[0].model_version),
        generatedAtMs: Number(rows[0].generated_at),
        timestampsMs: Float64Array.from(rows, (r) => Number(r.timestamp)),
        value: Float64Array.from(rows, (r) => Number(r.value)),
        lower: Float64Array.from(rows, (r) => Number(r.lower)),
        upper: Float64Array.from(rows, (r) => Number(r.upper)),
      })
    }
  }
  return runs
}
