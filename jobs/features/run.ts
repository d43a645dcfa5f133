/**
 * The `features` job: bronze Parquet -> silver features, per metric. Reads only the day partitions
 * in the window and only the ts/value column chunks; quarantines bad files and keeps going; writes
 * the feature file first and the manifest last, so a reader that finds a manifest finds its data.
 */
import { bronzeRoot, silverFeaturesKey } from '../core/lake-layout.js'
import { concatEvents } from '../core/series.js'
import { toIsoSeconds } from '../core/time.js'
import { encodeParquet } from '../io/parquet-write.js'
import { IsolatedParquetReader } from '../io/parquet-isolated.js'
import type { RunMetrics } from '../runtime/run-metrics.js'
import { historyWindow, settingsFor } from '../runtime/config-schema.js'
import { frequencies } from '../core/ids.js'
import { InputMissingError } from '../core/errors.js'
import type { JobContext } from '../runtime/job-context.js'
import type { JobReport } from '../runtime/metric-outcome.js'
import { forEachMetric } from '../runtime/metric-loop.js'
import { buildFeatures, type FeatureTable } from './build-features.js'
import type { FeaturesManifest } from '../io/silver-manifest.js'
import { readBronze } from './read-bronze.js'
import { writeSilver, type SilverWrite } from './write-silver.js'

export const featuresSchemaVersion = 1

/** Skipped paths named in the warning; the count covers all. */
const maxPathsLogged = 20

/** Time a single bronze file may take to decode before it is quarantined as hostile. */
const decodeTimeoutMs = 30_000

export async function runFeatures(context: JobContext, requested?: readonly string[]): Promise<JobReport> {
  const reader = new IsolatedParquetReader(decodeTimeoutMs)
  try {
    return await forEachMetric(context, 'features', bronzeRoot, requested, (metricId, log, metrics) => featuresWithMetrics(context, reader, metricId, log, metrics), {
      module: import.meta.url,
      name: 'runFeatures',
    })
  } finally {
    await reader.close()
  }
}

async function featuresWithMetrics(context: JobContext, reader: IsolatedParquetReader, metricId: string, log: JobContext['logger'], metrics: RunMetrics): Promise<Record<string, unknown>> {
  const { manifest, written } = await featuresForMetric(context, reader, metricId, log)
  const rowsRead = manifest.inputFiles.reduce((sum, f) => sum + f.rows, 0)
  metrics.add('gras_rows_read', 'Bronze rows read in the last run', rowsRead)
  metrics.add('gras_bytes_read', 'Bronze bytes fetched in the last run', manifest.bytesRead)
  metrics.add('gras_files_read', 'Bronze files accepted in the last run', manifest.inputFiles.length)
  metrics.add('gras_files_quarantined', 'Bronze files quarantined in the last run', manifest.quarantined.length)
  metrics.add('gras_files_skipped', 'Objects under bronze metric partitions that are not bronze files of the window contract, skipped in the last run', (manifest.skipped ?? []).reduce((sum, s) => sum + s.objects, 0))
  metrics.add('gras_rows_written', 'Rows written in the last run', manifest.rows)
  // A backfill's older end would read as stale data on the dashboards.
  if (written.latest) metrics.setForMetric(metricId, 'gras_features_end_timestamp_seconds', 'End of the newest feature step', Date.parse(manifest.endTs) / 1000)
  // Data on the window's first step: older history, if any, was cut by historyDays.
  return { rows: manifest.rows, quarantined: manifest.quarantined.length, filledSteps: manifest.filledSteps, historyCut: manifest.startTs === manifest.window.start, cutoff: manifest.window.end, latest: written.latest }
}

async function featuresForMetric(context: JobContext, reader: IsolatedParquetReader, metricId: string, log: JobContext['logger']): Promise<{ manifest: FeaturesManifest; written: SilverWrite }> {
  const settings = settingsFor(context.config, metricId)
  const stepMs = frequencies[settings.frequency]
  const { startMs: windowStartMs, endMs: windowEndMs } = historyWindow(settings, context.asOfMs)
  const bronze = await readBronze(
    { lake: context.lake, reader, runId: context.runId, nowIso: new Date(context.now()).toISOString(), onQuarantine: (file, reason) => log.warn({ file, reason }, 'file quarantined') },
    metricId,
    windowStartMs,
    windowEndMs,
  )
  const { accepted, quarantined, bytesRead } = bronze
  if (bronze.skipped.length > 0) {
    log.warn({ paths: bronze.skipped.slice(0, maxPathsLogged).map((s) => s.path), count: bronze.skipped.length, objects: bronze.skippedObjects }, 'bronze objects skipped: not a partition or file of the contract')
  }
  if (accepted.length === 0) {
    const why = bronze.found === 0 ? 'no bronze files' : `all ${bronze.found} bronze file(s) quarantined`
    throw new InputMissingError(`features: metric ${metricId}: empty window ${toIsoSeconds(windowStartMs)} .. ${toIsoSeconds(windowEndMs)}: ${why}`)
  }
  const table = buildFeatures(metricId, concatEvents(accepted.map((a) => a.events)), windowStartMs, windowEndMs, stepMs, settings)
  if (!table) throw new InputMissingError(`features: metric ${metricId}: no events inside the window ${toIsoSeconds(windowStartMs)} .. ${toIsoSeconds(windowEndMs)}`)
  const dataKey = silverFeaturesKey(metricId, windowEndMs)
  const manifest: FeaturesManifest = {
    schemaVersion: featuresSchemaVersion,
    metricId,
    runId: context.runId,
    dataKey,
    rows: table.series.values.length,
    stepMs,
    startTs: toIsoSeconds(table.series.startMs),
    endTs: toIsoSeconds(table.series.startMs + table.series.values.length * stepMs),
    filledSteps: table.filledSteps,
    window: { start: toIsoSeconds(windowStartMs), end: toIsoSeconds(windowEndMs) },
    inputFiles: accepted.map((a) => ({ key: a.info.key, size: a.info.size, etag: a.info.etag, rows: a.rows, ...(a.redelivered > 0 ? { redelivered: a.redelivered } : {}) })),
    skipped: bronze.skipped,
    quarantined,
    bytesRead,
  }
  const written = await writeSilver(context.lake, manifest, encodeFeatureTable(table))
  log.info(
    { files: bronze.found, quarantined: quarantined.length, rows: manifest.rows, filledSteps: table.filledSteps, bytesRead, cutoff: manifest.window.end, ...written },
    'features written',
  )
  return { manifest, written }
}

function encodeFeatureTable(table: FeatureTable): Uint8Array {
  const { series, calendar } = table
  const n = series.values.length
  const ts = new Float64Array(n)
  for (let i = 0; i < n; i++) ts[i] = series.startMs + i * series.stepMs
  return encodeParquet(
    [
      { name: 'ts', type: 'TIMESTAMP', data: ts },
      { name: 'value', type: 'DOUBLE', data: series.values },
      { name: 'observed', type: 'BOOLEAN', data: Array.from(table.observed, (v) => v === 1) },
      { name: 'event_count', type: 'INT32', data: Int32Array.from(table.eventCounts) },
      { name: 'hour_of_day', type: 'INT32', data: calendar.hourOfDay },
      { name: 'day_of_week', type: 'INT32', data: calendar.dayOfWeek },
      { name: 'is_weekend', type: 'BOOLEAN', data: Array.from(calendar.isWeekend, (v) => v === 1) },
      { name: 'is_holiday', type: 'BOOLEAN', data: Array.from(calendar.isHoliday, (v) => v === 1) },
    ],
    { 'gras.schema_version': String(featuresSchemaVersion), 'gras.metric_id': series.metricId },
  )
}
