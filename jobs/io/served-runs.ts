/**
 * The runs that served a monitor group's series over a window of days, kept in the lake between
 * monitor runs (core/lake-layout.ts servedRunsKey). A past day's served run is fixed once the day
 * has begun, so the hourly monitors of one day read one object per group instead of listing and
 * reading every run's copies of ten days again. Only a copy written into a day that had already
 * ended (a backfill, a run that finished after midnight) can change them: infer then writes the
 * metric's late-run mark anew (markLateRun). A kept object records the mark as it was read before
 * its walk over the copies began, and is read from the copies again once the mark differs. Two
 * clocks meet: infer marks a copy by whether its day has ended on infer's clock, so monitor keeps
 * only a walk made after the window's end on its own (jobs/monitor/run.ts); pods whose clocks
 * disagree by a moment at midnight can still keep an object that misses a copy written then.
 *
 * The object is derived data: one that is unreadable, of another window or of fewer series than
 * the group has now (the grouping moved) is a miss, never an error.
 */
import { randomUUID } from 'node:crypto'
import { parquetMetadata } from 'hyparquet'
import { z } from 'zod'
import { lateRunMarkerKey, servedRunsKey, servedRunsWindowPrefix, type GroupSlice } from '../core/lake-layout.js'
import type { ServedRun } from '../core/realised-accuracy.js'
import { parseLakeDocument } from './lake-document.js'
import type { ObjectStore } from './object-store.js'
import { servedRunOfRows } from './copy-rows.js'
import { readRows } from './parquet-read.js'
import { encodeParquet } from './parquet-write.js'

const metadataKey = 'gras.served'

const keptSchema = z.object({
  format: z.literal(1),
  firstDayMs: z.number(),
  endDayMs: z.number(),
  /** The late-run mark read before the walk over the copies began ('' when there was none). */
  lateRunMark: z.string(),
  /** Every series the object answers for, with runs or without. */
  series: z.array(z.string()),
})
type Kept = z.infer<typeof keptSchema>

export interface ServedRunsWindow {
  metricId: string
  firstDayMs: number
  endDayMs: number
}

export function encodeServedRuns(kept: Omit<Kept, 'format'>, runs: ReadonlyMap<string, readonly ServedRun[]>): Uint8Array {
  const rows: { seriesId: string; run: ServedRun; k: number }[] = []
  for (const [seriesId, list] of runs) for (const run of list) for (let k = 0; k < run.timestampsMs.length; k++) rows.push({ seriesId, run, k })
  return encodeParquet(
    [
      { name: 'series_id', type: 'STRING', data: rows.map((r) => r.seriesId) },
      { name: 'run_id', type: 'STRING', data: rows.map((r) => r.run.runId) },
      { name: 'model_version', type: 'STRING', data: rows.map((r) => r.run.modelVersion) },
      { name: 'generated_at', type: 'TIMESTAMP', data: rows.map((r) => r.run.generatedAtMs) },
      { name: 'timestamp', type: 'TIMESTAMP', data: rows.map((r) => r.run.timestampsMs[r.k]) },
      { name: 'value', type: 'DOUBLE', data: Float64Array.from(rows, (r) => r.run.value[r.k]) },
      { name: 'lower', type: 'DOUBLE', data: Float64Array.from(rows, (r) => r.run.lower[r.k]) },
      { name: 'upper', type: 'DOUBLE', data: Float64Array.from(rows, (r) => r.run.upper[r.k]) },
    ],
    { [metadataKey]: JSON.stringify({ format: 1, ...kept }) },
  )
}

export async function decodeServedRuns(bytes: Uint8Array, key: string): Promise<{ kept: Kept; runs: Map<string, ServedRun[]> }> {
  const file = bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer
  const value = parquetMetadata(file).key_value_metadata?.find((kv) => kv.key === metadataKey)?.value
  const kept = parseLakeDocument(keptSchema, new TextEncoder().encode(value ?? 'null'), key)
  const runs = new Map<string, ServedRun[]>(kept.series.map((id) => [id, []]))
  // Rows of one run of one series are consecutive, as encodeServedRuns wrote them.
  let points: Record<string, unknown>[] = []
  const flush = () => {
    if (points.length === 0) return
    const seriesId = String(points[0].series_id)
    runs.set(seriesId, [...(runs.get(seriesId) ?? []), servedRunOfRows(points)])
    points = []
  }
  for (const row of await readRows(file, key)) {
    if (points.length > 0 && (row.series_id !== points[0].series_id || row.run_id !== points[0].run_id)) flush()
    points.push(row)
  }
  flush()
  return { kept, runs }
}

/**
 * Kept served runs of one monitor process: each metric's window folder is listed once (one LIST
 * for all its groups, not a GET per group that may miss), and its late-run mark read once, before
 * any of the process's walks.
 */
export class ServedRunsStore {
  private readonly windows = new Map<string, Promise<Set<string>>>()
  private readonly marks = new Map<string, Promise<string>>()

  constructor(private readonly lake: ObjectStore) {}

  /** The group's served runs by series when a kept object answers for all of `series`; undefined for a miss. */
  async lookup(window: ServedRunsWindow, group: GroupSlice, series: readonly string[]): Promise<Map<string, ServedRun[]> | undefined> {
    const key = servedRunsKey(window.metricId, window.firstDayMs, window.endDayMs, group)
    const mark = await this.lateRunMark(window.metricId)
    if (!(await this.window(window)).has(key)) return undefined
    const bytes = await this.lake.get(key)
    if (!bytes) return undefined
    const decoded = await decodeServedRuns(bytes, key).catch(() => undefined)
    if (!decoded) return undefined
    const { kept, runs } = decoded
    if (kept.firstDayMs !== window.firstDayMs || kept.endDayMs !== window.endDayMs || kept.lateRunMark !== mark) return undefined
    if (!series.every((id) => runs.has(id))) return undefined
    return new Map(series.map((id) => [id, runs.get(id)!]))
  }

  /** Keeps the runs a walk found; call lookup (which reads the mark) before the walk. */
  async store(window: ServedRunsWindow, group: GroupSlice, runs: ReadonlyMap<string, readonly ServedRun[]>): Promise<void> {
    const lateRunMark = await this.lateRunMark(window.metricId)
    const body = encodeServedRuns({ firstDayMs: window.firstDayMs, endDayMs: window.endDayMs, lateRunMark, series: [...runs.keys()] }, runs)
    await this.lake.put(servedRunsKey(window.metricId, window.firstDayMs, window.endDayMs, group), body)
  }

  private window(window: ServedRunsWindow): Promise<Set<string>> {
    const prefix = servedRunsWindowPrefix(window.metricId, window.firstDayMs, window.endDayMs)
    let listed = this.windows.get(prefix)
    if (!listed) {
      listed = this.lake.list(prefix).then((objects) => new Set(objects.map((o) => o.key)))
      this.windows.set(prefix, listed)
    }
    return listed
  }

  /** The metric's late-run mark as stored, '' when there is none. */
  private lateRunMark(metricId: string): Promise<string> {
    let mark = this.marks.get(metricId)
    if (!mark) {
      const key = lateRunMarkerKey(metricId)
      // Asked by a listing of the mark's folder first: a GET of a missing key is retried by the S3 store.
      mark = this.lake
        .listLevel(key.slice(0, key.lastIndexOf('/')))
        .then(async ({ objects }) => (objects.some((o) => o.key === key) ? new TextDecoder().decode((await this.lake.get(key)) ?? new Uint8Array()) : ''))
      this.marks.set(metricId, mark)
    }
    return mark
  }
}

/**
 * Writes `metricId`'s late-run mark anew: `runId` wrote a copy into the ended day `date`
 * (YYYYMMDD). Every write differs from the last (the nonce), which is all monitor compares.
 */
export async function markLateRun(lake: ObjectStore, metricId: string, runId: string, date: string, nowMs: number): Promise<void> {
  await lake.put(lateRunMarkerKey(metricId), JSON.stringify({ runId, date, writtenAt: new Date(nowMs).toISOString(), nonce: randomUUID() }) + '\n')
}
