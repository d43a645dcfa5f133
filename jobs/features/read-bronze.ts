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
import { mergeDeliveries } from './merge-deliveries.js'
import { byDelivery, loadDayState, mapConcurrent, planDay, readDayCaches, requestsInFlight, writeDayCache, type AcceptedFile, type DayState } from './day-cache.js'
import type { DayCacheManifest } from '../io/day-cache.js'
import { dimensionsOf, seriesIdsOf, splitBySeries } from './split-series.js'
import { quarantineFile, type QuarantineRecord } from '../io/quarantine.js'

export interface BronzeRead {
  /** Every file found at the contract's depth in the window. */
  found: number
  /** `parts`: the events each file adds, per series; `rows` counts all of the file's rows. */
  accepted: AcceptedFile[]
  /** The dimension values of every series the accepted files hold, by series id (empty without dimensions). */
  dimensions: Map<string, Record<string, string | null>>
  quarantined: QuarantineRecord[]
  skipped: { path: string; objects: number }[]
  /** Objects in `skipped`, for `gras_files_skipped`. */
  skippedObjects: number
  /** Bronze bytes fetched by this run: those of the files read, none of those taken from day caches. */
  bytesRead: number
  days: DayCacheUse
}

export interface BronzeReadContext {
  lake: ObjectStore
  reader: IsolatedParquetReader
  runId: string
  nowIso: string
  onQuarantine: (file: string, reason: string) => void
  /** A day cache that cannot be read: the day is rebuilt from its bronze files. */
  onCacheUnreadable: (key: string, problem: string) => void
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

/**
 * A day of one file is read, not cached: its cache would cost the requests and decoding of the
 * file itself, twice over (a manifest and an events file). Days of hourly files are cached.
 */
const minFilesToCache = 2

/** Per day of the window: how its cache was used (`rebuilt`: read from all its files). */
export interface DayCacheUse {
  reused: number
  appended: number
  rebuilt: number
}

/**
 * Reads metric `metricId`'s window; `dimensions` are its dimension columns (config `dimensions`).
 * Each day's files are taken from its day cache where the listing allows (day-cache.ts), read
 * otherwise, and the day's cache is written again when it changed; `full` ignores the caches.
 * The result is the same as reading every file: only `bytesRead` (bytes fetched from bronze by
 * this run) and `days` tell the difference.
 */
export async function readBronze(context: BronzeReadContext, metricId: string, windowStartMs: number, windowEndMs: number, dimensions: readonly string[] = [], full = false): Promise<BronzeRead> {
  const listing = await listBronze(context.lake, metricId, windowStartMs, windowEndMs)
  const quarantined: QuarantineRecord[] = []
  const quarantine = async (info: ObjectInfo, reason: string) => {
    quarantined.push(await quarantineFile(context.lake, info, reason, context.runId, context.nowIso))
    context.onQuarantine(info.key, reason)
  }
  for (const info of listing.nested) {
    await quarantine(info, `path: ${info.key} is nested below its day partition (expected bronze/gras/metric=<id>/year=/month=/day=/<name>.parquet)`)
  }
  const days = new Map<number, ObjectInfo[]>()
  for (const { info, dayStartMs } of listing.files) pushTo(days, dayStartMs, info)
  const cacheable = [...days].filter(([, infos]) => infos.length >= minFilesToCache).map(([dayStartMs]) => dayStartMs)
  const caches = full ? new Map<number, DayCacheManifest>() : await readDayCaches(context.lake, metricId, cacheable, dimensions, context.onCacheUnreadable)
  // Per day: its cached state (reused or appended to) and the files to read.
  const cached = new Map<number, DayState>()
  const toRead: { info: ObjectInfo; dayStartMs: number }[] = []
  const use: DayCacheUse = { reused: 0, appended: 0, rebuilt: 0 }
  const plans = await mapConcurrent([...days], requestsInFlight, async ([dayStartMs, infos]) => {
    const manifest = caches.get(dayStartMs)
    const plan = manifest ? planDay(infos, manifest) : undefined
    const state = plan && plan.kind !== 'rebuild' ? await loadDayState(context.lake, manifest!, context.onCacheUnreadable) : undefined
    return { dayStartMs, state, read: state ? (plan!.kind === 'append' ? plan!.added : []) : infos }
  })
  for (const { dayStartMs, state, read } of plans) {
    if (state) cached.set(dayStartMs, state)
    toRead.push(...read.map((info) => ({ info, dayStartMs })))
    use[!state ? 'rebuilt' : read.length === 0 ? 'reused' : 'appended']++
  }
  const { good, problems, bytesRead } = await readFiles(context, metricId, toRead, dimensions)
  const all = [...days.keys()].map((dayStartMs) => ({ dayStartMs, state: mergeDay(metricId, cached.get(dayStartMs), good.get(dayStartMs) ?? [], problems.get(dayStartMs) ?? []) }))
  const changed = all.filter(({ dayStartMs, state }) => state !== cached.get(dayStartMs) && days.get(dayStartMs)!.length >= minFilesToCache)
  await mapConcurrent(changed, requestsInFlight, ({ dayStartMs, state }) => writeDayCache(context.lake, metricId, dayStartMs, dimensions, state))
  const states = all.map((d) => d.state)
  for (const { info, reason } of states.flatMap((s) => s.checked).sort((a, b) => byDelivery(a.info, b.info))) await quarantine(info, reason)
  for (const { info, reason } of states.flatMap((s) => s.conflicts).sort((a, b) => byDelivery(a.info, b.info))) await quarantine(info, reason)
  const accepted = states.flatMap((s) => s.accepted).sort((a, b) => byDelivery(a.info, b.info))
  const seriesDimensions = new Map<string, Record<string, string | null>>()
  for (const state of states) for (const [id, values] of state.dimensions) seriesDimensions.set(id, values)
  return {
    found: listing.files.length + listing.nested.length,
    accepted,
    dimensions: seriesDimensions,
    quarantined,
    skipped: listing.skipped,
    skippedObjects: listing.skipped.reduce((sum, s) => sum + s.objects, 0),
    bytesRead,
    days: use,
  }
}

function pushTo<T>(map: Map<number, T[]>, day: number, item: T): void {
  const list = map.get(day)
  if (list) list.push(item)
  else map.set(day, [item])
}

interface GoodFile {
  info: ObjectInfo
  events: EventBatch
  ids: string[]
}

/** Opens and decodes `files` in delivery order, in batches; each file either passes the per-file checks or has its problem. */
async function readFiles(
  context: BronzeReadContext,
  metricId: string,
  toRead: { info: ObjectInfo; dayStartMs: number }[],
  dimensions: readonly string[],
): Promise<{ good: Map<number, GoodFile[]>; problems: Map<number, { info: ObjectInfo; reason: string }[]>; bytesRead: number }> {
  const good = new Map<number, GoodFile[]>()
  const problems = new Map<number, { info: ObjectInfo; reason: string }[]>()
  let bytesRead = 0
  const files = toRead.sort((a, b) => byDelivery(a.info, b.info))
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
        if (problem) pushTo(problems, dayStartMs, { info, reason: `${info.key}: ${problem}` })
        else pushTo(good, dayStartMs, { info, events: result.events, ids })
      } catch (error) {
        if (!(error instanceof DataError)) throw error
        pushTo(problems, dayStartMs, { info, reason: error.message })
      }
    }
  }
  return { good, problems, bytesRead }
}

/**
 * One day's state: the cached one (`cached`, whose files all come before `good` in delivery order)
 * with the files read this run merged after it by the re-delivery rule, or, without a cache, the
 * merge of the files read. Returns `cached` itself when nothing was read for the day.
 */
function mergeDay(metricId: string, cached: DayState | undefined, good: GoodFile[], problems: { info: ObjectInfo; reason: string }[]): DayState {
  if (cached && good.length === 0 && problems.length === 0) return cached
  const before = cached?.accepted ?? []
  // The cached files again, with only the events they added: none conflicts or re-delivers, and the
  // merge then holds exactly the events the new files are checked against.
  const merged = mergeDeliveries([
    ...before.map((a) => ({ key: a.info.key, parts: a.parts.map((p) => ({ seriesId: p.seriesId, events: p.events })) })),
    ...good.map((g) => ({ key: g.info.key, parts: splitBySeries(metricId, g.events, g.ids) })),
  ])
  const infoOf = new Map(good.map((g) => [g.info.key, g]))
  const added = merged.accepted.slice(before.length).map((a) => {
    const file = infoOf.get(a.key)!
    return { info: file.info, parts: a.parts, rows: file.events.tsMs.length, redelivered: a.redelivered }
  })
  const dimensions = new Map(cached?.dimensions ?? [])
  for (const a of added) for (const [id, values] of dimensionsOf(infoOf.get(a.info.key)!.ids, infoOf.get(a.info.key)!.events)) dimensions.set(id, values)
  return {
    accepted: [...before, ...added],
    checked: [...(cached?.checked ?? []), ...problems],
    conflicts: [...(cached?.conflicts ?? []), ...merged.conflicts.map((c) => ({ info: infoOf.get(c.key)!.info, reason: c.reason }))],
    dimensions,
  }
}
