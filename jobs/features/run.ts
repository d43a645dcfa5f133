/**
 * The `features` job: bronze Parquet -> silver features, per metric: one series' folder for a
 * metric without dimensions, one pack of every series (a distinct tuple of their values) for a
 * metric with dimensions. Reads only the day partitions in the window and only the
 * ts/value/dimension column chunks; quarantines bad files and keeps going; writes the feature file
 * first and the manifest last, so a reader that finds a manifest finds its data.
 */
import { bronzeRoot, silverFeaturesKey } from '../core/lake-layout.js'
import { concatEvents } from '../core/series.js'
import { toIsoSeconds } from '../core/time.js'
import { IsolatedParquetReader } from '../io/parquet-isolated.js'
import type { RunMetrics } from '../runtime/run-metrics.js'
import { historyWindow, settingsFor } from '../runtime/config-schema.js'
import { frequencies } from '../core/ids.js'
import { InputMissingError } from '../core/errors.js'
import type { JobContext } from '../runtime/job-context.js'
import type { JobReport } from '../runtime/metric-outcome.js'
import { forEachMetric } from '../runtime/metric-loop.js'
import { buildFeatures, windowCalendarFeatures } from './build-features.js'
import { featuresSchemaVersion } from './encode-features.js'
import { seriesIdOfManifest, seriesManifestOf, type FeaturesManifest } from '../io/silver-manifest.js'
import { readBronze, type BronzeRead } from './read-bronze.js'
import type { AcceptedFile } from './day-cache.js'
import { encodeFeatureTable } from './encode-features.js'
import { packOf, type BuiltSeries, type SeriesFiles } from './silver-pack.js'
import { writeSilver, writeSilverPack, type SilverWrite } from './write-silver.js'

/** Skipped paths named in the warning; the count covers all. */
const maxPathsLogged = 20

/** Time a single bronze file may take to decode before it is quarantined as hostile. */
const decodeTimeoutMs = 30_000

export interface FeaturesOptions {
  /** Ignore the day caches: read every bronze file of the window (and write the caches anew). */
  full?: boolean
}

export async function runFeatures(context: JobContext, requested?: readonly string[], options: FeaturesOptions = {}): Promise<JobReport> {
  const reader = new IsolatedParquetReader(decodeTimeoutMs)
  try {
    return await forEachMetric(context, 'features', bronzeRoot, requested, (metricId, log, metrics) => featuresWithMetrics(context, reader, metricId, log, metrics, options), {
      module: import.meta.url,
      name: 'runFeatures',
      args: [options],
    })
  } finally {
    await reader.close()
  }
}

async function featuresWithMetrics(context: JobContext, reader: IsolatedParquetReader, metricId: string, log: JobContext['logger'], metrics: RunMetrics, options: FeaturesOptions): Promise<Record<string, unknown>> {
  const { bronze, written } = await featuresForMetric(context, reader, metricId, log, options)
  const rowsRead = bronze.accepted.reduce((sum, f) => sum + f.rows, 0)
  metrics.add('gras_rows_read', 'Bronze rows read in the last run', rowsRead)
  metrics.add('gras_bytes_read', 'Bronze bytes fetched in the last run', bronze.bytesRead)
  metrics.add('gras_files_read', 'Bronze files accepted in the last run', bronze.accepted.length)
  metrics.add('gras_files_quarantined', 'Bronze files quarantined in the last run', bronze.quarantined.length)
  metrics.add('gras_files_skipped', 'Objects under bronze metric partitions that are not bronze files of the window contract, skipped in the last run', bronze.skippedObjects)
  metrics.add('gras_rows_written', 'Rows written in the last run', written.reduce((sum, w) => sum + w.manifest.rows, 0))
  // A backfill's older end would read as stale data on the dashboards.
  for (const { manifest, write } of written) {
    if (write.latest) metrics.setForMetric(seriesIdOfManifest(manifest), 'gras_features_end_timestamp_seconds', 'End of the newest feature step', Date.parse(manifest.endTs) / 1000)
  }
  const first = written[0].manifest
  const detail = {
    rows: written.reduce((sum, w) => sum + w.manifest.rows, 0),
    quarantined: bronze.quarantined.length,
    filledSteps: written.reduce((sum, w) => sum + w.manifest.filledSteps, 0),
    // Data on the window's first step: older history, if any, was cut by historyDays.
    historyCut: written.some((w) => w.manifest.startTs === w.manifest.window.start),
    cutoff: first.window.end,
    latest: written.every((w) => w.write.latest),
  }
  if (settingsFor(context.config, metricId).dimensions.length === 0) return detail
  // Per series as well: the run summary shows series, the units of train and infer.
  const series = Object.fromEntries(
    written.map(({ manifest, write }) => [
      seriesIdOfManifest(manifest),
      { rows: manifest.rows, quarantined: manifest.quarantined.length, filledSteps: manifest.filledSteps, historyCut: manifest.startTs === manifest.window.start, cutoff: manifest.window.end, latest: write.latest },
    ]),
  )
  return { ...detail, series }
}

interface SeriesWritten {
  manifest: FeaturesManifest
  write: SilverWrite
}

/**
 * One bronze read of the metric, then its silver: a metric without dimensions its own folder, a
 * metric with dimensions one pack holding a series per distinct dimension tuple (a series without
 * events in the window is left out with a warning). `written` has one item per series.
 */
async function featuresForMetric(context: JobContext, reader: IsolatedParquetReader, metricId: string, log: JobContext['logger'], options: FeaturesOptions): Promise<{ bronze: BronzeRead; written: SeriesWritten[] }> {
  const settings = settingsFor(context.config, metricId)
  const stepMs = frequencies[settings.frequency]
  const { startMs: windowStartMs, endMs: windowEndMs } = historyWindow(settings, context.asOfMs)
  const bronze = await readBronze(
    {
      lake: context.lake,
      reader,
      runId: context.runId,
      nowIso: new Date(context.now()).toISOString(),
      onQuarantine: (file, reason) => log.warn({ file, reason }, 'file quarantined'),
      onCacheUnreadable: (key, problem) => log.warn({ key, problem }, 'day cache unreadable: day rebuilt from bronze'),
    },
    metricId,
    windowStartMs,
    windowEndMs,
    settings.dimensions,
    options.full ?? false,
  )
  const { accepted, quarantined, bytesRead } = bronze
  if (bronze.skipped.length > 0) {
    log.warn({ paths: bronze.skipped.slice(0, maxPathsLogged).map((s) => s.path), count: bronze.skipped.length, objects: bronze.skippedObjects }, 'bronze objects skipped: not a partition or file of the contract')
  }
  if (accepted.length === 0) {
    const why = bronze.found === 0 ? 'no bronze files' : `all ${bronze.found} bronze file(s) quarantined`
    throw new InputMissingError(`features: metric ${metricId}: empty window ${toIsoSeconds(windowStartMs)} .. ${toIsoSeconds(windowEndMs)}: ${why}`)
  }
  const window = { start: toIsoSeconds(windowStartMs), end: toIsoSeconds(windowEndMs) }
  const built: BuiltSeries[] = []
  const empty: string[] = []
  const calendar = windowCalendarFeatures(windowStartMs, windowEndMs, stepMs, settings.holidays)
  for (const [seriesId, files] of groupPartsBySeries(accepted)) {
    const table = buildFeatures(seriesId, concatEvents(files.map((f) => f.part.events)), windowStartMs, windowEndMs, stepMs, settings, calendar)
    if (table) built.push({ seriesId, files, table })
    else empty.push(seriesId)
  }
  const written: SeriesWritten[] = []
  if (settings.dimensions.length > 0 && built.length > 0) {
    const { manifest, data } = packOf(metricId, settings.dimensions, built, bronze, { runId: context.runId, stepMs, window, windowEndMs })
    const write = await writeSilverPack(context.lake, manifest, data)
    for (const series of manifest.series) written.push({ manifest: seriesManifestOf(manifest, series), write })
  }
  const oneSeriesEach = settings.dimensions.length === 0 ? built : []
  for (const { seriesId, files, table } of oneSeriesEach) {
    const manifest: FeaturesManifest = {
      schemaVersion: featuresSchemaVersion,
      metricId,
      runId: context.runId,
      dataKey: silverFeaturesKey(seriesId, windowEndMs),
      rows: table.series.values.length,
      stepMs,
      startTs: toIsoSeconds(table.series.startMs),
      endTs: toIsoSeconds(table.series.startMs + table.series.values.length * stepMs),
      filledSteps: table.filledSteps,
      window,
      inputFiles: files.map(({ file, part }) => ({ key: file.info.key, size: file.info.size, etag: file.info.etag, rows: file.rows, ...(part.redelivered > 0 ? { redelivered: part.redelivered } : {}) })),
      skipped: bronze.skipped,
      quarantined,
      bytesRead,
    }
    written.push({ manifest, write: await writeSilver(context.lake, manifest, encodeFeatureTable(table, metricId)) })
  }
  if (empty.length > 0 && written.length > 0) log.warn({ series: empty }, 'series without events inside the window: no features written for them')
  if (written.length === 0) throw new InputMissingError(`features: metric ${metricId}: no events inside the window ${toIsoSeconds(windowStartMs)} .. ${toIsoSeconds(windowEndMs)}`)
  // One line per metric: with dimensions, its series by id and their totals.
  const [first] = written
  const sum = (field: 'rows' | 'filledSteps') => written.reduce((total, w) => total + w.manifest[field], 0)
  const totals = settings.dimensions.length === 0 ? { rows: first.manifest.rows, filledSteps: first.manifest.filledSteps } : { series: written.map((w) => seriesIdOfManifest(w.manifest)), rows: sum('rows'), filledSteps: sum('filledSteps') }
  const newest = written.every((w) => w.write.latest) ? first.write : written.find((w) => !w.write.latest)!.write
  log.info({ files: bronze.found, quarantined: quarantined.length, ...totals, bytesRead, days: bronze.days, cutoff: first.manifest.window.end, ...newest }, 'features written')
  return { bronze, written }
}

/** Each series' parts across the accepted files (in delivery order), by series id in order: one pass over the files, not one per series. */
function groupPartsBySeries(accepted: readonly AcceptedFile[]): [string, SeriesFiles][] {
  const bySeries = new Map<string, SeriesFiles>()
  for (const file of accepted) {
    for (const part of file.parts) {
      const list = bySeries.get(part.seriesId)
      if (list) list.push({ file, part })
      else bySeries.set(part.seriesId, [{ file, part }])
    }
  }
  return [...bySeries].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
}
