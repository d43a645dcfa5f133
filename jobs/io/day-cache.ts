/**
 * The day cache of `features` in silver (docs/contracts.md "Day cache"): per metric and UTC day,
 * the bronze files it was built from, the quarantined ones with their reasons, and the accepted
 * events after the per-file checks and the re-delivery merge. A JSON manifest, parsed with its
 * schema, and a Parquet file of the events (ts, value as doubles: the microseconds kept), which
 * the manifest names by its SHA-256 so that a manifest never describes another write's events.
 */
import { createHash } from 'node:crypto'
import { z } from 'zod'
import { parquetRead } from 'hyparquet'
import { DataError } from '../core/errors.js'
import { encodeParquet } from './parquet-write.js'

/** A manifest of another version is rebuilt, not read. */
export const dayCacheSchemaVersion = 1

const fileSchema = z.object({ key: z.string().min(1), size: z.number().int().min(0), etag: z.string().optional(), lastModifiedMs: z.number().optional() })

const partsSchema = z.object({ series: z.array(z.number().int().min(0)), events: z.array(z.number().int().min(0)), redelivered: z.array(z.number().int().min(0)) })

export const dayCacheManifestSchema = z
  .object({
    schemaVersion: z.number().int(),
    metricId: z.string().min(1),
    /** The UTC day, YYYY-MM-DD. */
    day: z.iso.date(),
    /** The metric's dimension columns the day was read with: other columns, other series. */
    dimensions: z.array(z.string()),
    eventsKey: z.string().min(1),
    eventsSha256: z.string().regex(/^[0-9a-f]{64}$/),
    /** Rows of the events file: the sum of every accepted file's `parts.events`. */
    events: z.number().int().min(0),
    /** The series of the accepted files: `parts.series` indexes this list. */
    series: z.array(z.object({ id: z.string().min(1), dimensions: z.record(z.string(), z.string().nullable()).optional() })),
    /** In delivery order; `rows`: all of the file's rows; per part (series), the events it adds and those it re-delivered. */
    accepted: z.array(fileSchema.extend({ rows: z.number().int().min(0), redelivered: z.number().int().min(0), parts: partsSchema })),
    /** `check`: broke a per-file rule of the contract; `conflict`: refused by the re-delivery rule. */
    quarantined: z.array(fileSchema.extend({ reason: z.string().min(1), stage: z.enum(['check', 'conflict']) })),
  })
  .superRefine((doc, ctx) => {
    let total = 0
    for (const [i, file] of doc.accepted.entries()) {
      const { series, events, redelivered } = file.parts
      if (events.length !== series.length || redelivered.length !== series.length) ctx.addIssue({ code: 'custom', path: ['accepted', i, 'parts'], message: `series, events and redelivered differ in length (${series.length}, ${events.length}, ${redelivered.length})` })
      if (series.some((s) => s >= doc.series.length)) ctx.addIssue({ code: 'custom', path: ['accepted', i, 'parts', 'series'], message: `series index beyond the ${doc.series.length} series` })
      total += events.reduce((sum, n) => sum + n, 0)
    }
    if (total !== doc.events) ctx.addIssue({ code: 'custom', path: ['events'], message: `${doc.events}, but the parts add up to ${total}` })
  })

export type DayCacheManifest = z.infer<typeof dayCacheManifestSchema>

export function sha256Hex(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex')
}

/** The events file of a day: `ts` and `value` as doubles, in the manifest's order. */
export function encodeDayEvents(tsMs: Float64Array, values: Float64Array): Uint8Array {
  return encodeParquet(
    [
      { name: 'ts', type: 'DOUBLE', data: tsMs },
      { name: 'value', type: 'DOUBLE', data: values },
    ],
    { 'gras.schema_version': String(dayCacheSchemaVersion) },
  )
}

/**
 * Decodes a day's events file after checking its bytes against the manifest's hash and its rows
 * against the manifest's count. Throws DataError naming `key`.
 */
export async function decodeDayEvents(bytes: Uint8Array, key: string, manifest: Pick<DayCacheManifest, 'eventsSha256' | 'events'>): Promise<{ tsMs: Float64Array; values: Float64Array }> {
  const sha = sha256Hex(bytes)
  if (sha !== manifest.eventsSha256) throw new DataError(`${key}: SHA-256 ${sha} (expected ${manifest.eventsSha256}, the manifest's)`)
  const rows = manifest.events
  const tsMs = new Float64Array(rows)
  const values = new Float64Array(rows)
  let seen = 0
  const buffer = bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer
  try {
    await parquetRead({
      file: buffer,
      columns: ['ts', 'value'],
      onChunk(chunk) {
        const target = chunk.columnName === 'ts' ? tsMs : values
        const data = chunk.columnData
        if (chunk.rowStart + data.length > rows) throw new Error(`rows beyond the manifest's ${rows}`)
        for (let i = 0; i < data.length; i++) target[chunk.rowStart + i] = Number(data[i])
        seen += data.length
      },
    })
  } catch (error) {
    throw new DataError(`${key}: cannot decode (${(error as Error).message})`, { cause: error })
  }
  if (seen !== 2 * rows) throw new DataError(`${key}: ${seen / 2} rows (expected ${rows}, the manifest's)`)
  return { tsMs, values }
}
