/**
 * The `features` job: bronze Parquet -> silver features, per metric. Reads only the day partitions
 * in the window and only the ts/value column chunks; quarantines bad files and keeps going; writes
 * the feature file first and the manifest last, so a reader that finds a manifest finds its data.
 */
import { bronzeDayPrefix, bronzePartitionDay, bronzeRoot, silverFeaturesKey, silverManifestKey } from '../core/lake-layout.js'
import { concatEvents, type EventBatch } from '../core/series.js'
import { daysInWindow, floorToStep, toIsoSeconds } from '../core/time.js'
import { encodeParquet } from '../io/parquet-write.js'
import { IsolatedParquetReader } from '../io/parquet-isolated.js'
import type { RunMetrics } from '../runtime/run-metrics.js'
import type { ObjectInfo } from '../io/object-store.js'
import { frequencies, settingsFor } from '../runtime/config-schema.js'
import { DataError, InputMissingError } from '../runtime/errors.js'
import type { JobContext } from '../runtime/job-context.js'
import type { JobReport } from '../runtime/metric-outcome.js'
import { forEachMetric } from '../runtime/metric-loop.js'
import { buildFeatures, type FeatureTable } from './build-features.js'
import { countOverlap, findEventProblem, mergeSorted } from './check-events.js'
import { quarantineFile, type QuarantineRecord } from './quarantine.js'

export const featuresSchemaVersion = 1

export interface FeaturesManifest {
  schemaVersion: number
  metricId: string
  runId: string
  dataKey: string
  rows: number
  stepMs: number
  startTs: string
  /** Exclusive: the first step after the data. */
  endTs: string
  filledSteps: number
  window: { start: string; end: string }
  inputFiles: { key: string; size: number; etag?: string; rows: number }[]
  quarantined: QuarantineRecord[]
  bytesRead: number
}

/** Time a single bronze file may take to decode before it is quarantined as hostile. */
const decodeTimeoutMs = 30_000

export async function runFeatures(context: JobContext, requested?: readonly string[]): Promise<JobReport> {
  const reader = new IsolatedParquetReader(decodeTimeoutMs)
  try {
    return await forEachMetric(context, 'features', bronzeRoot, requested, (metricId, log, metrics) => featuresWithMetrics(context, reader, metricId, log, metrics))
  } finally {
    await reader.close()
  }
}

async function featuresWithMetrics(context: JobContext, reader: IsolatedParquetReader, metricId: string, log: JobContext['logger'], metrics: RunMetrics): Promise<Record<string, unknown>> {
  const manifest = await featuresForMetric(context, reader, metricId, log)
  const rowsRead = manifest.inputFiles.reduce((sum, f) => sum + f.rows, 0)
  metrics.add('gras_rows_read', 'Bronze rows read in the last run', rowsRead)
  metrics.add('gras_bytes_read', 'Bronze bytes fetched in the last run', manifest.bytesRead)
  metrics.add('gras_files_read', 'Bronze files accepted in the last run', manifest.inputFiles.length)
  metrics.add('gras_files_quarantined', 'Bronze files quarantined in the last run', manifest.quarantined.length)
  metrics.add('gras_rows_written', 'Rows written in the last run', manifest.rows)
  metrics.setForMetric(metricId, 'gras_features_end_timestamp_seconds', 'End of the newest feature step', Date.parse(manifest.endTs) / 1000)
  // Data on the window's first step: older history, if any, was cut by historyDays.
  return { rows: manifest.rows, quarantined: manifest.quarantined.length, filledSteps: manifest.filledSteps, historyCut: manifest.startTs === manifest.window.start }
}

async function featuresForMetric(context: JobContext, reader: IsolatedParquetReader, metricId: string, log: JobContext['logger']): Promise<FeaturesManifest> {
  const settings = settingsFor(context.config, metricId)
  const stepMs = frequencies[settings.frequency]
  const windowEndMs = floorToStep(context.asOfMs, stepMs)
  const windowStartMs = windowEndMs - settings.historyDays * 86_400_000
  const files: ObjectInfo[] = []
  for (const day of daysInWindow(windowStartMs, windowEndMs)) {
    for (const info of await context.lake.list(bronzeDayPrefix(metricId, day))) if (info.key.endsWith('.parquet')) files.push(info)
  }
  const good: { info: ObjectInfo; events: EventBatch }[] = []
  const quarantined: QuarantineRecord[] = []
  let bytesRead = 0
  const quarantine = async (info: ObjectInfo, reason: string) => {
    quarantined.push(await quarantineFile(context.lake, info, reason, context.runId, new Date(context.now()).toISOString()))
    log.warn({ file: info.key, reason }, 'file quarantined')
  }
  for (const info of files) {
    const day = bronzePartitionDay(info.key)
    if (day === undefined) {
      await quarantine(info, `path: ${info.key} does not name a valid year=/month=/day= partition`)
      continue
    }
    try {
      const buffer = await context.lake.openBuffer(info)
      const events = await reader.read(buffer, info.key)
      bytesRead += buffer.bytesFetched
      const problem = findEventProblem(events, day)
      if (problem) await quarantine(info, `${info.key}: ${problem}`)
      else good.push({ info, events })
    } catch (error) {
      if (!(error instanceof DataError)) throw error
      await quarantine(info, error.message)
    }
  }
  // A file whose timestamps another file already delivered is a re-delivery: counting it twice would be wrong.
  const accepted: typeof good = []
  let seen: Float64Array = new Float64Array(0)
  for (const file of good) {
    const overlap = countOverlap(seen, file.events.tsMs)
    if (overlap > 0) {
      const earlier = accepted.map((a) => a.info.key).join(', ')
      await quarantine(file.info, `${file.info.key}: ts: ${overlap} duplicate timestamp(s) already delivered by ${earlier}`)
      continue
    }
    accepted.push(file)
    seen = mergeSorted(seen, file.events.tsMs)
  }
  if (accepted.length === 0) {
    const why = files.length === 0 ? 'no bronze files' : `all ${files.length} bronze file(s) quarantined`
    throw new InputMissingError(`features: metric ${metricId}: empty window ${toIsoSeconds(windowStartMs)} .. ${toIsoSeconds(windowEndMs)}: ${why}`)
  }
  const table = buildFeatures(metricId, concatEvents(accepted.map((a) => a.events)), windowStartMs, windowEndMs, stepMs, settings)
  if (!table) throw new InputMissingError(`features: metric ${metricId}: no events inside the window ${toIsoSeconds(windowStartMs)} .. ${toIsoSeconds(windowEndMs)}`)
  const dataKey = silverFeaturesKey(metricId)
  await context.lake.put(dataKey, encodeFeatureTable(table))
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
    inputFiles: accepted.map((a) => ({ key: a.info.key, size: a.info.size, etag: a.info.etag, rows: a.events.tsMs.length })),
    quarantined,
    bytesRead,
  }
  await context.lake.put(silverManifestKey(metricId), JSON.stringify(manifest, null, 2) + '\n')
  log.info(
    { files: files.length, quarantined: quarantined.length, rows: manifest.rows, filledSteps: table.filledSteps, bytesRead },
    'features written',
  )
  return manifest
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
