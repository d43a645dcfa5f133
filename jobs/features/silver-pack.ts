/**
 * The pack of a metric with dimensions at one cutoff: every series' feature table in one file,
 * rows sorted by series id then ts, one row group per series (a reader of one series reads only
 * its bytes), a `series_id` column first; and its manifest, naming each series' rows. Pure.
 */
import { silverPackFeaturesKey } from '../core/lake-layout.js'
import { toIsoSeconds } from '../core/time.js'
import { encodeParquetRowGroups, type RowGroupsWriteOptions } from '../io/parquet-write.js'
import { packSchemaVersion, type PackManifest } from '../io/silver-manifest.js'
import type { BronzeRead } from './read-bronze.js'
import type { FeatureTable } from './build-features.js'
import type { AcceptedFile } from './day-cache.js'
import { featureColumns } from './encode-features.js'

/** One series' parts across the accepted files, in delivery order. */
export type SeriesFiles = { file: AcceptedFile; part: AcceptedFile['parts'][number] }[]

export interface BuiltSeries {
  seriesId: string
  files: SeriesFiles
  table: FeatureTable
}

export interface PackRun {
  runId: string
  stepMs: number
  window: PackManifest['window']
  windowEndMs: number
}

/**
 * A row group per series makes per-chunk work the cost of a pack: no statistics but the series
 * id's (a reader of one series may skip the others by it), no dictionary attempt for timestamps
 * and values, which rarely repeat, a dictionary of one value for the series id.
 */
const packWriteOptions: RowGroupsWriteOptions = { statistics: false, columns: { series_id: { encoding: 'RLE_DICTIONARY', statistics: true }, ts: { encoding: 'PLAIN' }, value: { encoding: 'PLAIN' } } }

/** The pack file and its manifest; `built` is sorted by series id, each series with at least one row. */
export function packOf(metricId: string, dimensionNames: readonly string[], built: readonly BuiltSeries[], bronze: BronzeRead, run: PackRun): { manifest: PackManifest; data: Uint8Array } {
  const data = encodeParquetRowGroups(
    built.map(({ seriesId, table }) => () => [{ name: 'series_id', type: 'STRING', data: new Array<string>(table.series.values.length).fill(seriesId) }, ...featureColumns(table)]),
    { 'gras.schema_version': String(packSchemaVersion), 'gras.metric_id': metricId, 'gras.dimension_names': JSON.stringify(dimensionNames) },
    packWriteOptions,
  )
  let rowStart = 0
  const series = built.map(({ seriesId, files, table }) => {
    const rows = table.series.values.length
    let events = 0
    let redelivered = 0
    for (const { part } of files) {
      events += part.events.tsMs.length + part.redelivered
      redelivered += part.redelivered
    }
    const entry = {
      seriesId,
      dimensions: bronze.dimensions.get(seriesId) ?? {},
      rowStart,
      rows,
      startTs: toIsoSeconds(table.series.startMs),
      endTs: toIsoSeconds(table.series.startMs + rows * run.stepMs),
      filledSteps: table.filledSteps,
      files: files.length,
      events,
      ...(redelivered > 0 ? { redelivered } : {}),
    }
    rowStart += rows
    return entry
  })
  const manifest: PackManifest = {
    schemaVersion: packSchemaVersion,
    metricId,
    dimensionNames: [...dimensionNames],
    runId: run.runId,
    dataKey: silverPackFeaturesKey(metricId, run.windowEndMs),
    dataBytes: data.byteLength,
    rows: rowStart,
    stepMs: run.stepMs,
    window: run.window,
    series,
    inputFiles: bronze.accepted.map((file) => ({ key: file.info.key, size: file.info.size, etag: file.info.etag, rows: file.rows, ...(file.redelivered > 0 ? { redelivered: file.redelivered } : {}) })),
    skipped: bronze.skipped,
    quarantined: bronze.quarantined,
    bytesRead: bronze.bytesRead,
  }
  return { manifest, data }
}
