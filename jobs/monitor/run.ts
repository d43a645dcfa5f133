/**
 * The `monitor` job: realised accuracy of the served forecasts per series and day (from the
 * predictions Parquet copies, which keep every run), written to the accuracy table and exported as
 * metrics; a series whose realised error drifts past its backtest expectation is flagged for
 * retraining (`gras train --only drifted` honours the flag). Per group of series
 * (core/series-groups.ts): the group's copies are read once for all its series.
 */
import { predictionsCopyOfKey, predictionsDayPrefix, predictionsPrefixForMetric, silverFeaturesRoot } from '../core/lake-layout.js'
import { seasonalPeriods } from '../core/models/catalog.js'
import { compactDate, dayMs, floorToStep } from '../core/time.js'
import type { SeriesGroup } from '../core/series-groups.js'
import { metricOfSeries } from '../core/series-id.js'
import { putDayAccuracy, putDrift } from '../io/accuracy-table.js'
import { ModelRegistry } from '../io/model-registry.js'
import { readRows } from '../io/parquet-read.js'
import type { ObjectInfo } from '../io/object-store.js'
import type { JobContext } from '../runtime/job-context.js'
import type { Logger } from '../runtime/logger.js'
import type { JobReport, SeriesResult } from '../runtime/metric-outcome.js'
import type { RunMetrics } from '../runtime/run-metrics.js'
import { forEachGroup, seriesStep } from '../runtime/metric-loop.js'
import { artifactRef, readArtifact } from '../io/model-artifacts.js'
import { SilverReads } from '../io/silver-reader.js'
import { copyRowsBySeries } from '../io/copy-rows.js'
import { walkRunCopies } from '../core/copy-walk.js'
import { decideDrift, realisedAccuracy, type ServedRun } from '../core/realised-accuracy.js'

export async function runMonitor(context: JobContext, requested?: readonly string[]): Promise<JobReport> {
  const { lookbackDays, driftFactor, accuracyTable } = context.config.monitor
  const registry = new ModelRegistry(context.dynamo, context.config.dynamodb.modelsTable)
  return forEachGroup(context, 'monitor', silverFeaturesRoot, requested, {
    seriesPerGroup: context.config.train.seriesPerGroup,
    work: async (group, log, metrics) => {
      const endDay = floorToStep(context.asOfMs, dayMs)
      const firstDay = endDay - lookbackDays * dayMs
      const served = await readGroupRuns(context, group, firstDay - 3 * dayMs, endDay)
      const results = new Map<string, SeriesResult>()
      const silver = new SilverReads(context.lake)
      for (const seriesId of group.series) {
        const seriesLog = log.child({ metric: seriesId })
        const detail = await seriesStep(group, results, seriesLog, seriesId, async () => {
          const runs = new Map([[seriesId, [...(served.get(seriesId) ?? [])]]])
          for (const run of await readSingleSeriesRuns(context, seriesId, firstDay - 3 * dayMs, endDay)) addRun(runs, seriesId, run)
          return monitorSeries(seriesId, runs.get(seriesId)!, firstDay, endDay, seriesLog, metrics, silver)
        })
        if (detail) results.set(seriesId, { ok: true, detail })
      }
      return results
    },
  }, { module: import.meta.url, name: 'runMonitor' })

  async function monitorSeries(metricId: string, runs: ServedRun[], firstDay: number, endDay: number, log: Logger, metrics: RunMetrics, silver: SilverReads): Promise<Record<string, unknown>> {
    const { series, observed } = await silver.read(metricId)
    const days = realisedAccuracy(series, observed, runs, firstDay, endDay, seasonalPeriods(series.stepMs)[0])
    const expectedByVersion = new Map<string, number>()
    for (const day of days) {
      if (!expectedByVersion.has(day.modelVersion)) {
        const artifact = await artifactRef(registry, metricId, day.modelVersion)
          .then((ref) => readArtifact(context.lake, ref))
          .catch(() => undefined)
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
  }
}

/**
 * Every stored forecast run of the group's series generated on the UTC days [fromMs, toMs], by
 * series. A series' earlier runs may sit in a copy of another slice (the metric's series or
 * seriesPerGroup changed since, and the slices' bounds with them), so each run's copies are walked
 * from the group's own slice outwards (core/copy-walk.ts): about one copy per run and day. A row
 * without `series_id` (a copy written before the column) is the metric's only series.
 */
async function readGroupRuns(context: JobContext, group: SeriesGroup, fromMs: number, toMs: number): Promise<Map<string, ServedRun[]>> {
  const wanted = new Set(group.series)
  const runs = new Map<string, ServedRun[]>()
  for (let day = fromMs; day <= toMs; day += dayMs) {
    // One family per run and slice count: a rerun of a run grouped otherwise wrote a second family.
    const families = new Map<string, { count: number; copies: Map<number, ObjectInfo> }>()
    for (const info of await context.lake.list(predictionsDayPrefix(group.metricId, compactDate(day)))) {
      const copy = predictionsCopyOfKey(info.key)
      if (!copy) continue
      const name = `${copy.runId}~${copy.group.count}`
      const family = families.get(name) ?? { count: copy.group.count, copies: new Map() }
      family.copies.set(copy.group.index, info)
      families.set(name, family)
    }
    for (const { count, copies } of families.values()) {
      const parsed = new Map<number, Map<string, ServedRun>>()
      const read = async (k: number) => {
        const bySeries = await readCopy(context, copies.get(k)!, group.metricId)
        parsed.set(k, bySeries)
        return [...bySeries.keys()]
      }
      await walkRunCopies([...copies.keys()], count, group.series, group, read)
      for (const bySeries of parsed.values()) for (const [seriesId, run] of bySeries) if (wanted.has(seriesId)) addRun(runs, seriesId, run)
    }
  }
  return runs
}

/** Adds a run to a series' runs, once per run id: two copies of one run (a rerun grouped otherwise) both hold it. */
function addRun(runs: Map<string, ServedRun[]>, seriesId: string, run: ServedRun): void {
  const list = runs.get(seriesId) ?? []
  if (!list.some((r) => r.runId === run.runId)) list.push(run)
  runs.set(seriesId, list)
}

/**
 * A series with dimensions' own copies, as infer wrote them per series before groups
 * (`predictions/metric=<series id>/`): read beside the group copies, so the days before an upgrade
 * stay in the lookback; one listing, and nothing more when there are none.
 */
async function readSingleSeriesRuns(context: JobContext, seriesId: string, fromMs: number, toMs: number): Promise<ServedRun[]> {
  const runs: ServedRun[] = []
  if (metricOfSeries(seriesId) === seriesId || (await context.lake.listPrefixes(predictionsPrefixForMetric(seriesId))).length === 0) return runs
  for (let day = fromMs; day <= toMs; day += dayMs) {
    for (const info of await context.lake.list(predictionsDayPrefix(seriesId, compactDate(day)))) {
      if (predictionsCopyOfKey(info.key)) runs.push(...(await readCopy(context, info, seriesId)).values())
    }
  }
  return runs
}

/** One copy's runs by series (a copy holds one run). */
async function readCopy(context: JobContext, info: ObjectInfo, defaultSeries: string): Promise<Map<string, ServedRun>> {
  // Every column: a copy written before `series_id` existed has the others only.
  const rows = await readRows(await context.lake.openBuffer(info), info.key)
  const out = new Map<string, ServedRun>()
  for (const [seriesId, list] of copyRowsBySeries(rows, defaultSeries)) {
    out.set(seriesId, {
      runId: String(list[0].run_id),
      modelVersion: String(list[0].model_version),
      generatedAtMs: Number(list[0].generated_at),
      timestampsMs: Float64Array.from(list, (r) => Number(r.timestamp)),
      value: Float64Array.from(list, (r) => Number(r.value)),
      lower: Float64Array.from(list, (r) => Number(r.lower)),
      upper: Float64Array.from(list, (r) => Number(r.upper)),
    })
  }
  return out
}
