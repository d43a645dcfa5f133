/**
 * What monitor last wrote to the accuracy table for a group's series, kept in the lake
 * (core/lake-layout.ts monitorWrittenKey): each hourly run scores the same complete days again, and
 * almost always to the same figures, so it writes only the items whose content changed (a new
 * day, late actuals) and asks the registry only for model versions it has not seen. Rewriting every
 * item every hour would be 8 write units per series and run (docs/capacity.md).
 *
 * Derived data: a series missing from it, or an unreadable object, only means that series' items
 * are all written again.
 */
import { z } from 'zod'
import { monitorWrittenKey, monitorWrittenPrefix, type GroupSlice } from '../core/lake-layout.js'
import { numberOrNaN, parseLakeDocument } from './lake-document.js'
import type { ObjectStore } from './object-store.js'

const writtenSeriesSchema = z.object({
  /** Per date (YYYY-MM-DD) the fingerprint of the day item written (io/accuracy-table.ts). */
  days: z.record(z.string(), z.string()),
  /** The fingerprint of the drift item written. */
  drift: z.string().optional(),
  /** The backtest MASE of each model version met, as the registry's artifact gave it. */
  expected: z.record(z.string(), numberOrNaN),
})
export type WrittenSeries = z.infer<typeof writtenSeriesSchema>

const writtenSchema = z.object({
  format: z.literal(1),
  /** The accuracy table the items went to: a state of another table says nothing of this one. */
  table: z.string().optional(),
  series: z.record(z.string(), writtenSeriesSchema),
})

/** Whether two states say the same, whatever the order of their keys (one is read back, the other built). */
export function sameWritten(a: WrittenSeries | undefined, b: WrittenSeries | undefined): boolean {
  const canonical = (value: unknown): unknown =>
    value !== null && typeof value === 'object' ? Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined).sort(([x], [y]) => (x < y ? -1 : 1)).map(([k, v]) => [k, canonical(v)])) : value
  return JSON.stringify(canonical(a)) === JSON.stringify(canonical(b))
}

/** The kept state of one monitor process: each metric's folder is listed once, for all its groups. */
export class MonitorWrittenStore {
  private readonly listings = new Map<string, Promise<Set<string>>>()

  constructor(private readonly lake: ObjectStore) {}

  async read(metricId: string, group: GroupSlice, table: string): Promise<Map<string, WrittenSeries>> {
    const key = monitorWrittenKey(metricId, group)
    let listed = this.listings.get(metricId)
    if (!listed) {
      listed = this.lake.list(monitorWrittenPrefix(metricId)).then((objects) => new Set(objects.map((o) => o.key)))
      this.listings.set(metricId, listed)
    }
    if (!(await listed).has(key)) return new Map()
    const bytes = await this.lake.get(key)
    if (!bytes) return new Map()
    try {
      const written = parseLakeDocument(writtenSchema, bytes, key)
      return written.table === table ? new Map(Object.entries(written.series)) : new Map()
    } catch {
      return new Map()
    }
  }

  async write(metricId: string, group: GroupSlice, table: string, series: ReadonlyMap<string, WrittenSeries>): Promise<void> {
    // NaN is written as null, which numberOrNaN reads back as NaN.
    await this.lake.put(monitorWrittenKey(metricId, group), JSON.stringify({ format: 1, table, series: Object.fromEntries(series) }) + '\n')
  }
}
