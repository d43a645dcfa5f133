/**
 * The `monitor` job: realised accuracy of the served forecasts per series and day (from the
 * predictions Parquet copies, which keep every run), written to the accuracy table and exported as
 * metrics; a series whose realised error drifts past its backtest expectation is flagged for
 * retraining (`gras train --only drifted` honours the flag). Per group of series
 * (core/series-groups.ts): the group's copies are read once for all its series, and once for all
 * the runs of a day (io/served-runs.ts); an accuracy item is written only when what it says
 * changed (io/monitor-written.ts), since every hourly run scores the same complete days again.
 */
import { predictionsCopyOfKey, silverFeaturesRoot } from '../core/lake-layout.js'
import { seasonalPeriods } from '../core/models/catalog.js'
import { dayMs, floorToStep } from '../core/time.js'
import type { SeriesGroup } from '../core/series-groups.js'
import { metricOfSeries } from '../core/series-id.js'
import { dayAccuracyFingerprint, driftFingerprint, putDayAccuracy, putDrift } from '../io/accuracy-table.js'
import { ModelRegistry } from '../io/model-registry.js'
import { readRows } from '../io/parquet-read.js'
import type { ObjectInfo, ObjectStore } from '../io/object-store.js'
import { MonitorWrittenStore, sameWritten, type WrittenSeries } from '../io/monitor-written.js'
import { ServedRunsStore, type ServedRunsWindow } from '../io/served-runs.js'
import { CopyListings } from './copy-listings.js'
import type { JobContext } from '../runtime/job-context.js'
import type { Logger } from '../runtime/logger.js'
import type { JobReport, SeriesResult } from '../runtime/metric-outcome.js'
import type { RunMetrics } from '../runtime/run-metrics.js'
import { forEachGroup, seriesStep } from '../runtime/metric-loop.js'
import { artifactRef, readArtifact } from '../io/model-artifacts.js'
import { SilverReads } from '../io/silver-reader.js'
import { copyRowsBySeries, servedRunOfRows } from '../io/copy-rows.js'
import { walkRunCopies } from '../core/copy-walk.js'
import { decideDrift, realisedAccuracy, servedRunsOf, type ServedRun } from '../core/realised-accuracy.js'

export interface MonitorOptions {
  /** Ignore the kept served runs and what monitor last wrote: read every copy, write every item. */
  full?: boolean
}

export async function runMonitor(context: JobContext, requested?: readonly string[], options: MonitorOptions = {}): Promise<JobReport> {
  const { lookbackDays, driftFactor, accuracyTable } = context.config.monitor
  const registry = new ModelRegistry(context.dynamo, context.config.dynamodb.modelsTable)
  const servedRuns = new ServedRunsStore(context.lake)
  const writtenItems = new MonitorWrittenStore(context.lake)
  const copies = new CopyListings(context.lake)
  return forEachGroup(context, 'monitor', silverFeaturesRoot, requested, {
    seriesPerGroup: context.config.train.seriesPerGroup,
    work: async (group, log, metrics) => {
      const endDay = floorToStep(context.asOfMs, dayMs)
      const window = { metricId: group.metricId, firstDayMs: endDay - lookbackDays * dayMs, endDayMs: endDay }
      const kept = options.full ? undefined : await servedRuns.lookup(window, group, group.series)
      const served = kept ?? (await walkServedRuns(group, window, log))
      const written = options.full ? new Map<string, WrittenSeries>() : await writtenItems.read(group.metricId, group, accuracyTable)
      // Only the series that succeeded now are kept: a series that failed, or that left the group,
      // has its items written again next time, whatever this run left in the table.
      const now = new Map<string, WrittenSeries>()
      const results = new Map<string, SeriesResult>()
      const silver = new SilverReads(context.lake)
      await silver.prefetch(group.series)
      let changed = false
      for (const seriesId of group.series) {
        const seriesLog = log.child({ metric: seriesId })
        const before = written.get(seriesId)
        const outcome = await seriesStep(group, results, seriesLog, seriesId, () => monitorSeries(seriesId, served.get(seriesId) ?? [], window, before, seriesLog, metrics, silver))
        if (!outcome) continue
        results.set(seriesId, { ok: true, detail: outcome.detail })
        if (!sameWritten(outcome.written, before)) changed = true
        now.set(seriesId, outcome.written)
      }
      if (now.size !== written.size) changed = true
      // Only an optimisation is lost when this fails: the next run writes the same items again.
      if (changed) await writtenItems.write(group.metricId, group, accuracyTable, now).catch((error) => log.warn({ err: error }, 'what monitor wrote could not be kept: the next run writes every item again'))
      return results
    },
  }, { module: import.meta.url, name: 'runMonitor', args: [options] })

  /**
   * The runs that served the group's series on the window's days, from the predictions copies,
   * kept in the lake for the window's next monitor runs (io/served-runs.ts). Only copies of the
   * days before the window's end are read: a run generated on its last day or later serves none.
   */
  async function walkServedRuns(group: SeriesGroup, window: ServedRunsWindow, log: Logger): Promise<Map<string, ServedRun[]>> {
    const fromMs = window.firstDayMs - 3 * dayMs
    const runs = await readGroupRuns(copies, group, fromMs, window.endDayMs - dayMs)
    for (const seriesId of group.series) for (const run of await readSingleSeriesRuns(copies, seriesId, fromMs, window.endDayMs - dayMs)) addRun(runs, seriesId, run)
    const served = new Map(group.series.map((id) => [id, servedRunsOf(runs.get(id) ?? [], window.firstDayMs, window.endDayMs)]))
    // Infer marks only copies of days ended on its clock: runs walked before the window's last day
    // ended (an as-of ahead of now) may still change without a mark, so they are not kept.
    if (context.now() >= window.endDayMs) await servedRuns.store(window, group, served).catch((error) => log.warn({ err: error }, 'served runs could not be kept: the next run reads the copies again'))
    return served
  }

  async function monitorSeries(metricId: string, runs: ServedRun[], window: ServedRunsWindow, before: WrittenSeries | undefined, log: Logger, metrics: RunMetrics, silver: SilverReads): Promise<{ detail: Record<string, unknown>; written: WrittenSeries }> {
    const { series, observed } = await silver.read(metricId)
    const days = realisedAccuracy(series, observed, runs, window.firstDayMs, window.endDayMs, seasonalPeriods(series.stepMs)[0])
    const written: WrittenSeries = { days: {}, expected: {} }
    let itemsWritten = 0
    for (const day of days) {
      if (!Object.hasOwn(written.expected, day.modelVersion)) {
        // A version's artifact never changes: its backtest MASE is asked for once, unless it failed.
        const known = before?.expected[day.modelVersion]
        written.expected[day.modelVersion] = known ?? (await artifactRef(registry, metricId, day.modelVersion)
          .then((ref) => readArtifact(context.lake, ref))
          .then((artifact) => artifact.backtestMase)
          .catch(() => Number.NaN))
      }
      const date = new Date(day.dayStartMs).toISOString().slice(0, 10)
      const record = { ...day, metricId, date, backtestMase: written.expected[day.modelVersion] }
      written.days[date] = dayAccuracyFingerprint(record)
      if (before?.days[date] === written.days[date]) continue
      await putDayAccuracy(context.dynamo, accuracyTable, record, context.runId)
      itemsWritten++
    }
    for (const [version, mase] of Object.entries(written.expected)) if (!Number.isFinite(mase)) delete written.expected[version]
    const latest = days[days.length - 1]
    const expected = latest ? (written.expected[latest.modelVersion] ?? Number.NaN) : Number.NaN
    const decision = decideDrift(days, expected, driftFactor)
    written.drift = driftFingerprint(metricId, decision)
    // A raised flag is written every run: a retrain clears it (train --only drifted), and the flag
    // must come back while the realised error stays high.
    if (decision.drifted || before?.drift !== written.drift) {
      await putDrift(context.dynamo, accuracyTable, metricId, decision, context.runId, new Date(context.now()).toISOString())
      itemsWritten++
    }
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
    const detail = { days: days.length, drifted: decision.drifted, realisedMase: decision.realisedMase, expectedMase: decision.expectedMase, itemsWritten }
    log.info(detail, 'accuracy computed')
    return { detail, written }
  }
}

/**
 * Every stored forecast run of the group's series generated on the UTC days [fromMs, toMs], by
 * series. A series' earlier runs may sit in a copy of another slice (the metric's series or
 * seriesPerGroup changed since, and the slices' bounds with them), so each run's copies are walked
 * from the group's own slice outwards (core/copy-walk.ts): about one copy per run and day. A row
 * without `series_id` (a copy written before the column) is the metric's only series.
 */
async function readGroupRuns(copies: CopyListings, group: SeriesGroup, fromMs: number, toMs: number): Promise<Map<string, ServedRun[]>> {
  const wanted = new Set(group.series)
  const runs = new Map<string, ServedRun[]>()
  for (let day = fromMs; day <= toMs; day += dayMs) {
    // One family per run and slice count: a rerun of a run grouped otherwise wrote a second family.
    const families = new Map<string, { count: number; copies: Map<number, ObjectInfo> }>()
    for (const info of await copies.day(group.metricId, day)) {
      const copy = predictionsCopyOfKey(info.key)
      if (!copy) continue
      const name = `${copy.runId}~${copy.group.count}`
      const family = families.get(name) ?? { count: copy.group.count, copies: new Map() }
      family.copies.set(copy.group.index, info)
      families.set(name, family)
    }
    for (const { count, copies: family } of families.values()) {
      const parsed = new Map<number, Map<string, ServedRun>>()
      const read = async (k: number) => {
        const bySeries = await readCopy(copies.lake, family.get(k)!, group.metricId)
        parsed.set(k, bySeries)
        return [...bySeries.keys()]
      }
      await walkRunCopies([...family.keys()], count, group.series, group, read)
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
 * stay in the lookback; nothing more than the process's one listing of predictions/ when there are none.
 */
async function readSingleSeriesRuns(copies: CopyListings, seriesId: string, fromMs: number, toMs: number): Promise<ServedRun[]> {
  const runs: ServedRun[] = []
  if (metricOfSeries(seriesId) === seriesId || !(await copies.hasFolder(seriesId))) return runs
  for (let day = fromMs; day <= toMs; day += dayMs) {
    for (const info of await copies.day(seriesId, day)) {
      if (predictionsCopyOfKey(info.key)) runs.push(...(await readCopy(copies.lake, info, seriesId)).values())
    }
  }
  return runs
}

/** One copy's runs by series (a copy holds one run). */
async function readCopy(lake: ObjectStore, info: ObjectInfo, defaultSeries: string): Promise<Map<string, ServedRun>> {
  // Every column: a copy written before `series_id` existed has the others only.
  const rows = await readRows(await lake.openBuffer(info), info.key)
  const out = new Map<string, ServedRun>()
  for (const [seriesId, list] of copyRowsBySeries(rows, defaultSeries)) out.set(seriesId, servedRunOfRows(list))
  return out
}
