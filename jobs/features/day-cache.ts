/**
 * What one UTC day of a metric's bronze delivered, kept in silver so that a run reads only the
 * files that are new or changed: the day's accepted files with their events per series, and its
 * quarantined files with their reasons. A day whose listing equals its cache is reused whole; a
 * day whose new files all come after the cached ones in delivery order reads only those; any
 * other change rebuilds the day from all its files. A cache that cannot be read is rebuilt.
 */
import { silverDayEventsKey, silverDayManifestKey, silverDaysPrefix } from '../core/lake-layout.js'
import type { ObjectInfo, ObjectStore } from '../io/object-store.js'
import { parseLakeDocument } from '../io/lake-document.js'
import { DataError } from '../core/errors.js'
import { dayCacheManifestSchema, dayCacheSchemaVersion, decodeDayEvents, encodeDayEvents, sha256Hex, type DayCacheManifest } from '../io/day-cache.js'
import type { SeriesPart } from './merge-deliveries.js'

export interface AcceptedFile {
  info: ObjectInfo
  /** The events the file adds per series (re-delivered ones removed), ordered by series id. */
  parts: (SeriesPart & { redelivered: number })[]
  /** All of the file's rows. */
  rows: number
  redelivered: number
}

/** A day's files after the per-file checks and the re-delivery merge. */
export interface DayState {
  accepted: AcceptedFile[]
  /** Quarantined by a per-file rule (decode, schema, rows), in delivery order. */
  checked: { info: ObjectInfo; reason: string }[]
  /** Refused by the re-delivery rule, in delivery order. */
  conflicts: { info: ObjectInfo; reason: string }[]
  /** Dimension values of the accepted files' series, by id (empty without dimensions). */
  dimensions: Map<string, Record<string, string | null>>
}

/** Delivery order: when the store saw each file written, then its key (stable across reruns). */
export function byDelivery(a: ObjectInfo, b: ObjectInfo): number {
  const byTime = (a.lastModifiedMs ?? 0) - (b.lastModifiedMs ?? 0)
  return byTime !== 0 ? byTime : a.key < b.key ? -1 : a.key > b.key ? 1 : 0
}

export type DayPlan = { kind: 'reuse' } | { kind: 'append'; added: ObjectInfo[] } | { kind: 'rebuild'; why: string }

function sameFile(listed: ObjectInfo, cached: Pick<ObjectInfo, 'key' | 'size' | 'etag' | 'lastModifiedMs'>): boolean {
  return listed.size === cached.size && listed.etag === cached.etag && listed.lastModifiedMs === cached.lastModifiedMs
}

/** How a day's listing relates to its cache. Pure. */
export function planDay(listed: readonly ObjectInfo[], cache: DayCacheManifest): DayPlan {
  const byKey = new Map(listed.map((info) => [info.key, info]))
  const cached = [...cache.accepted, ...cache.quarantined]
  for (const file of cached) {
    const now = byKey.get(file.key)
    if (!now) return { kind: 'rebuild', why: `${file.key} removed` }
    if (!sameFile(now, file)) return { kind: 'rebuild', why: `${file.key} rewritten` }
  }
  if (listed.length === cached.length) return { kind: 'reuse' }
  const known = new Set(cached.map((f) => f.key))
  const added = listed.filter((info) => !known.has(info.key)).sort(byDelivery)
  const last = cached.reduce<ObjectInfo | undefined>((latest, f) => (latest === undefined || byDelivery(f, latest) > 0 ? f : latest), undefined)
  if (last && byDelivery(added[0], last) < 0) return { kind: 'rebuild', why: `${added[0].key} delivered before ${last.key}` }
  return { kind: 'append', added }
}

function fileOf(info: ObjectInfo): Pick<ObjectInfo, 'key' | 'size' | 'etag' | 'lastModifiedMs'> {
  return { key: info.key, size: info.size, ...(info.etag === undefined ? {} : { etag: info.etag }), ...(info.lastModifiedMs === undefined ? {} : { lastModifiedMs: info.lastModifiedMs }) }
}

/** The manifest and events file of `state`. Pure. */
export function encodeDayCache(metricId: string, dayStartMs: number, dimensions: readonly string[], state: DayState): { manifest: DayCacheManifest; events: Uint8Array } {
  const seriesIndex = new Map<string, number>()
  const series: DayCacheManifest['series'] = []
  let total = 0
  for (const file of state.accepted) {
    for (const part of file.parts) {
      total += part.events.tsMs.length
      if (seriesIndex.has(part.seriesId)) continue
      seriesIndex.set(part.seriesId, series.length)
      const values = state.dimensions.get(part.seriesId)
      series.push({ id: part.seriesId, ...(values ? { dimensions: values } : {}) })
    }
  }
  const tsMs = new Float64Array(total)
  const values = new Float64Array(total)
  let at = 0
  for (const file of state.accepted) {
    for (const part of file.parts) {
      tsMs.set(part.events.tsMs, at)
      values.set(part.events.values, at)
      at += part.events.tsMs.length
    }
  }
  const events = encodeDayEvents(tsMs, values)
  const manifest: DayCacheManifest = {
    schemaVersion: dayCacheSchemaVersion,
    metricId,
    day: new Date(dayStartMs).toISOString().slice(0, 10),
    dimensions: [...dimensions],
    eventsKey: silverDayEventsKey(metricId, dayStartMs),
    eventsSha256: sha256Hex(events),
    events: total,
    series,
    accepted: state.accepted.map((file) => ({
      ...fileOf(file.info),
      rows: file.rows,
      redelivered: file.redelivered,
      parts: { series: file.parts.map((p) => seriesIndex.get(p.seriesId)!), events: file.parts.map((p) => p.events.tsMs.length), redelivered: file.parts.map((p) => p.redelivered) },
    })),
    quarantined: [...state.checked.map((q) => ({ ...q, stage: 'check' as const })), ...state.conflicts.map((q) => ({ ...q, stage: 'conflict' as const }))]
      .sort((a, b) => byDelivery(a.info, b.info))
      .map(({ info, reason, stage }) => ({ ...fileOf(info), reason, stage })),
  }
  return { manifest, events }
}

/** The state a manifest and its decoded events describe. Pure. */
export function decodeDayCache(manifest: DayCacheManifest, events: { tsMs: Float64Array; values: Float64Array }): DayState {
  let at = 0
  const accepted = manifest.accepted.map(({ rows, redelivered, parts, ...info }) => ({
    info,
    rows,
    redelivered,
    parts: parts.series.map((s, p) => {
      const n = parts.events[p]
      const part = { seriesId: manifest.series[s].id, events: { tsMs: events.tsMs.subarray(at, at + n), values: events.values.subarray(at, at + n) }, redelivered: parts.redelivered[p] }
      at += n
      return part
    }),
  }))
  const dimensions = new Map(manifest.series.flatMap((s) => (s.dimensions ? [[s.id, s.dimensions] as const] : [])))
  const quarantined = (stage: 'check' | 'conflict') => manifest.quarantined.filter((q) => q.stage === stage).map((q) => ({ info: fileOf(q), reason: q.reason }))
  return { accepted, checked: quarantined('check'), conflicts: quarantined('conflict'), dimensions }
}

/**
 * The day caches of `metricId` present for `dayStarts`, from one listing of its prefix. A cache
 * of another schema version or dimension list is left out (rebuilt); one that cannot be parsed is
 * left out and reported to `onUnreadable` (rebuilt as well: it holds nothing bronze does not).
 */
export async function readDayCaches(
  lake: ObjectStore,
  metricId: string,
  dayStarts: readonly number[],
  dimensions: readonly string[],
  onUnreadable: (key: string, problem: string) => void,
): Promise<Map<number, DayCacheManifest>> {
  const out = new Map<number, DayCacheManifest>()
  if (dayStarts.length === 0) return out
  const present = new Set((await lake.list(silverDaysPrefix(metricId))).map((o) => o.key))
  await mapConcurrent(dayStarts, requestsInFlight, async (dayStartMs) => {
    const key = silverDayManifestKey(metricId, dayStartMs)
    if (!present.has(key)) return
    const eventsKey = silverDayEventsKey(metricId, dayStartMs)
    try {
      const bytes = await lake.get(key)
      if (!bytes) return
      const manifest = parseLakeDocument(dayCacheManifestSchema, bytes, key)
      if (manifest.schemaVersion !== dayCacheSchemaVersion || manifest.metricId !== metricId || manifest.dimensions.join('\n') !== dimensions.join('\n')) return
      if (manifest.eventsKey !== eventsKey) throw new DataError(`${key}: eventsKey: ${manifest.eventsKey} (expected ${eventsKey})`)
      if (!present.has(eventsKey)) throw new DataError(`${key}: its events file ${eventsKey} is missing`)
      out.set(dayStartMs, manifest)
    } catch (error) {
      if (!(error instanceof DataError)) throw error
      onUnreadable(key, error.message)
    }
  })
  return out
}

/** Day cache requests of one metric in flight at once: a window of many days is many small objects. */
export const requestsInFlight = 16

/** `fn` over `items`, at most `limit` at a time; the results in the order of `items`. */
export async function mapConcurrent<T, R>(items: readonly T[], limit: number, fn: (item: T) => Promise<R>): Promise<R[]> {
  const out = new Array<R>(items.length)
  let next = 0
  const worker = async () => {
    while (next < items.length) {
      const i = next++
      out[i] = await fn(items[i])
    }
  }
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker))
  return out
}

/** The day's cached state, or undefined (reported to `onUnreadable`) when its events file is missing or does not match. */
export async function loadDayState(lake: ObjectStore, manifest: DayCacheManifest, onUnreadable: (key: string, problem: string) => void): Promise<DayState | undefined> {
  const bytes = await lake.get(manifest.eventsKey)
  if (!bytes) {
    onUnreadable(manifest.eventsKey, `${manifest.eventsKey}: missing`)
    return undefined
  }
  try {
    return decodeDayCache(manifest, await decodeDayEvents(bytes, manifest.eventsKey, manifest))
  } catch (error) {
    if (!(error instanceof DataError)) throw error
    onUnreadable(manifest.eventsKey, error.message)
    return undefined
  }
}

/** Writes the events file, then the manifest that names its hash: a reader that finds the manifest checks it found those events. */
export async function writeDayCache(lake: ObjectStore, metricId: string, dayStartMs: number, dimensions: readonly string[], state: DayState): Promise<void> {
  const { manifest, events } = encodeDayCache(metricId, dayStartMs, dimensions, state)
  await lake.put(manifest.eventsKey, events)
  await lake.put(silverDayManifestKey(metricId, dayStartMs), JSON.stringify(manifest, null, 2) + '\n')
}
