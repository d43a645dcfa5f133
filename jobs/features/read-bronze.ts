/**
 * The read side of `features` for one metric: list the window's bronze, quarantine what breaks the
 * contract (with a reason naming the file and the field), report what is not bronze, and merge the
 * good files by the re-delivery rule. Bad files never stop the good ones.
 */
import type { EventBatch } from '../core/series.js'
import type { IsolatedParquetReader } from '../io/parquet-isolated.js'
import type { CountingBuffer, ObjectInfo, ObjectStore } from '../io/object-store.js'
import { DataError } from '../core/errors.js'
import { findEventProblem } from './check-events.js'
import { listBronze } from './list-bronze.js'
import { mergeDeliveries, type SeriesPart } from './merge-deliveries.js'
import { dimensionsOf, seriesIdsOf, splitBySeries } from './split-series.js'
import { quarantineFile, type QuarantineRecord } from '../io/quarantine.js'

export interface BronzeRead {
  /** Every file found at the contract's depth in the window. */
  found: number
  /** `parts`: the events each file adds, per series; `rows` counts all of the file's rows. */
  accepted: { info: ObjectInfo; parts: (SeriesPart & { redelivered: number })[]; rows: number; redelivered: number }[]
  /** The dimension values of every series the accepted files hold, by series id (empty without dimensions). */
  dimensions: Map<string, Record<string, string | null>>
  quarantined: QuarantineRecord[]
  skipped: { path: string; objects: number }[]
  /** Objects in `skipped`, for `gras_files_skipped`. */
  skippedObjects: number
  bytesRead: number
}

export interface BronzeReadContext {
  lake: ObjectStore
  reader: IsolatedParquetReader
  runId: string
  nowIso: string
  onQuarantine: (file: string, reason: string) => void
}

/** Files opened and sent to the decode worker together: one round trip for many small files. */
const filesPerBatch = 64

async function settle<T>(open: () => Promise<T>): Promise<{ value: T } | { error: unknown }> {
  try {
    return { value: await open() }
  } catch (error) {
    return { error }
  }
}

/** Delivery order: when the store saw each file written, then its key (stable across reruns). */
function byDelivery(a: ObjectInfo, b: ObjectInfo): number {
  const byTime = (a.lastModifiedMs ?? 0) - (b.lastModifiedMs ?? 0)
  return byTime !== 0 ? byTime : a.key < b.key ? -1 : a.key > b.key ? 1 : 0
}

/** Reads metric `metricId`'s window; `dimensions` are its dimension columns (config `dimensions`). */
export async function readBronze(context: BronzeReadContext, metricId: string, windowStartMs: number, windowEndMs: number, dimensions: readonly string[] = []): Promise<BronzeRead> {
  const listing = await listBronze(context.lake, metricId, windowStartMs, windowEndMs)
  const quarantined: QuarantineRecord[] = []
  const quarantine = async (info: ObjectInfo, reason: string) => {
    quarantined.push(await quarantineFile(context.lake, info, reason, context.runId, context.nowIso))
    context.onQuarantine(info.key, reason)
  }
  for (const info of listing.nested) {
    await quarantine(info, `path: ${info.key} is nested below its day partition (expected bronze/gras/metric=<id>/year=/month=/day=/<name>.parquet)`)
  }
  const good: { info: ObjectInfo; events: EventBatch; ids: string[] }[] = []
  let bytesRead = 0
  const files = listing.files.sort((a, b) => byDelivery(a.info, b.info))
  for (let from = 0; from < files.length; from += filesPerBatch) {
    const batch = files.slice(from, from + filesPerBatch)
    const buffers = await Promise.all(batch.map(({ info }) => settle(() => context.lake.openBuffer(info))))
    const opened = buffers.flatMap((b, i) => ('value' in b ? [{ file: b.value, source: batch[i].info.key }] : []))
    const decoded = await context.reader.readBatch(opened, dimensions)
    let next = 0
    for (const [i, { info, dayStartMs }] of batch.entries()) {
      const buffer = buffers[i]
      const result = 'value' in buffer ? decoded[next++] : buffer
      try {
        if ('error' in result) throw result.error
        bytesRead += (buffer as { value: CountingBuffer }).value.bytesFetched
        const ids = seriesIdsOf(metricId, result.events)
        const problem = findEventProblem(result.events, dayStartMs, ids)
        if (problem) await quarantine(info, `${info.key}: ${problem}`)
        else good.push({ info, events: result.events, ids })
      } catch (error) {
        if (!(error instanceof DataError)) throw error
        await quarantine(info, error.message)
      }
    }
  }
  const merged = mergeDeliveries(good.map((g) => ({ key: g.info.key, parts: splitBySeries(metricId, g.events, g.ids) })))
  const infoOf = new Map(good.map((g) => [g.info.key, g]))
  for (const conflict of merged.conflicts) await quarantine(infoOf.get(conflict.key)!.info, conflict.reason)
  const seriesDimensions = new Map<string, Record<string, string | null>>()
  for (const a of merged.accepted) for (const [id, values] of dimensionsOf(infoOf.get(a.key)!.ids, infoOf.get(a.key)!.events)) seriesDimensions.set(id, values)
  return {
    found: listing.files.length + listing.nested.length,
    accepted: merged.accepted.map((a) => ({ info: infoOf.get(a.key)!.info, parts: a.parts, rows: infoOf.get(a.key)!.events.tsMs.length, redelivered: a.redelivered })),
    dimensions: seriesDimensions,
    quarantined,
    skipped: listing.skipped,
    skippedObjects: listing.skipped.reduce((sum, s) => sum + s.objects, 0),
    bytesRead,
  }
}
