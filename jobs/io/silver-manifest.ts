/** The manifests of silver features at one data cutoff, what `features` read and wrote: of one series (version 1), and of a pack, every series of a metric with dimensions (version 2). */
import { z } from 'zod'
import type { QuarantineRecord } from './quarantine.js'

const isoTime = z.iso.datetime()

const quarantineRecordSchema = z.object({ key: z.string(), reason: z.string(), quarantinedAs: z.string() }) satisfies z.ZodType<QuarantineRecord>

export const featuresManifestSchema = z.object({
  schemaVersion: z.number().int(),
  metricId: z.string().min(1),
  /** Only for a series of a metric with dimensions: its id (core/series-id.ts), which keys its silver. */
  seriesId: z.string().min(1).optional(),
  /** With seriesId: the series' dimension values by name, null where the bronze cell was null or empty. */
  dimensions: z.record(z.string(), z.string().nullable()).optional(),
  runId: z.string(),
  dataKey: z.string().min(1),
  rows: z.number().int().min(0),
  stepMs: z.number().int().positive(),
  startTs: isoTime,
  /** Exclusive: the first step after the data. */
  endTs: isoTime,
  filledSteps: z.number().int().min(0),
  window: z.object({ start: isoTime, end: isoTime }),
  /** `rows`, `redelivered`: of this series; `redelivered`: rows identical to events an earlier file delivered, counted once. */
  inputFiles: z.array(z.object({ key: z.string(), size: z.number(), etag: z.string().optional(), rows: z.number(), redelivered: z.number().optional() })),
  /** Objects under the metric that are not partitions or files of the contract (absent in older manifests). */
  skipped: z.array(z.object({ path: z.string(), objects: z.number() })).optional(),
  quarantined: z.array(quarantineRecordSchema),
  bytesRead: z.number(),
})

export type FeaturesManifest = z.infer<typeof featuresManifestSchema>

/** The series a manifest describes: what its silver keys are built from. */
export function seriesIdOfManifest(manifest: Pick<FeaturesManifest, 'metricId' | 'seriesId'>): string {
  return manifest.seriesId ?? manifest.metricId
}

/** Schema version of a pack manifest (version 1 is the one-series manifest above). */
export const packSchemaVersion = 2

/** One series of a pack: where its rows are in the pack's file (one row group each) and what they hold. */
const packSeriesSchema = z.object({
  seriesId: z.string().min(1),
  /** The series' dimension values by name, null where the bronze cell was null or empty. */
  dimensions: z.record(z.string(), z.string().nullable()),
  /** Its first row in the pack's file and its row count: rows [rowStart, rowStart + rows), one row group. */
  rowStart: z.number().int().min(0),
  rows: z.number().int().positive(),
  startTs: isoTime,
  endTs: isoTime,
  filledSteps: z.number().int().min(0),
  /** Accepted bronze files that hold events of the series, and the events they gave it (re-delivered ones counted once). */
  files: z.number().int().min(0),
  events: z.number().int().min(0),
  redelivered: z.number().int().min(0).optional(),
})

/**
 * The manifest of a metric with dimensions at one data cutoff: one features file (`dataKey`, of
 * `dataBytes` bytes) holding every series, rows sorted by series id then ts, and the metric's
 * inputs once (`inputFiles[].rows`: all of a file's rows, of every series).
 */
export const packManifestSchema = z.object({
  schemaVersion: z.literal(packSchemaVersion),
  metricId: z.string().min(1),
  dimensionNames: z.array(z.string().min(1)).min(1),
  runId: z.string(),
  dataKey: z.string().min(1),
  dataBytes: z.number().int().positive(),
  rows: z.number().int().min(0),
  stepMs: z.number().int().positive(),
  window: z.object({ start: isoTime, end: isoTime }),
  series: z.array(packSeriesSchema).min(1),
  inputFiles: featuresManifestSchema.shape.inputFiles,
  skipped: featuresManifestSchema.shape.skipped,
  quarantined: z.array(quarantineRecordSchema),
  bytesRead: z.number(),
})

export type PackManifest = z.infer<typeof packManifestSchema>
export type PackSeries = PackManifest['series'][number]

/**
 * What makes a parsed pack manifest inconsistent (series out of order or of another metric, rows
 * not contiguous, a span that is not `rows` steps), or undefined. `isSeriesOf` checks an id.
 */
export function findPackProblem(manifest: PackManifest, isSeriesOf: (seriesId: string, metricId: string) => boolean): string | undefined {
  let next = 0
  for (const [i, s] of manifest.series.entries()) {
    if (!isSeriesOf(s.seriesId, manifest.metricId)) return `series[${i}].seriesId: ${JSON.stringify(s.seriesId)} is not a series id of metric ${manifest.metricId}`
    if (i > 0 && !(manifest.series[i - 1].seriesId < s.seriesId)) return `series[${i}].seriesId: ${s.seriesId} does not sort after ${manifest.series[i - 1].seriesId}`
    if (s.rowStart !== next) return `series[${i}].rowStart: ${s.rowStart} (expected ${next}, the end of the series before it)`
    if (Date.parse(s.endTs) - Date.parse(s.startTs) !== s.rows * manifest.stepMs) return `series[${i}]: ${s.startTs} .. ${s.endTs} is not ${s.rows} steps of ${manifest.stepMs} ms`
    next += s.rows
  }
  if (next !== manifest.rows) return `rows: ${manifest.rows} (expected ${next}, the sum of the series' rows)`
  return undefined
}

/** A series of a pack seen as a one-series manifest, for the jobs that read silver series by series. */
export function seriesManifestOf(pack: PackManifest, series: PackSeries): FeaturesManifest {
  return {
    schemaVersion: pack.schemaVersion,
    metricId: pack.metricId,
    seriesId: series.seriesId,
    dimensions: series.dimensions,
    runId: pack.runId,
    dataKey: pack.dataKey,
    rows: series.rows,
    stepMs: pack.stepMs,
    startTs: series.startTs,
    endTs: series.endTs,
    filledSteps: series.filledSteps,
    window: pack.window,
    inputFiles: pack.inputFiles,
    skipped: pack.skipped,
    quarantined: pack.quarantined,
    bytesRead: pack.bytesRead,
  }
}
