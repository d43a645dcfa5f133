/**
 * The re-delivery rule of the bronze contract (docs/contracts.md "Bronze contract"), pure, per
 * series. Files are taken in delivery order. An event, a (series, ts, value), that an earlier
 * file already delivered exactly is the same event sent again: counted once. A timestamp of a
 * series that an earlier file delivered with a
 * different value is a conflict nobody can resolve here: the later file is refused whole, its
 * reason naming the earlier files it conflicts with, and the earlier delivery stands.
 */
import type { EventBatch } from '../core/series.js'
import { metricOfSeries } from '../core/series-id.js'
import { toIsoMicros } from '../core/time.js'

export interface Delivery {
  key: string
  /** The file's events by series (one part, the metric id, for a metric without dimensions). */
  parts: SeriesPart[]
}

export interface SeriesPart {
  seriesId: string
  events: EventBatch
}

export interface MergedDeliveries {
  /** Files in delivery order with the events they add per series (re-delivered ones removed). */
  accepted: { key: string; parts: (SeriesPart & { redelivered: number })[]; redelivered: number }[]
  /** Files refused for conflicting values, with the reason. */
  conflicts: { key: string; reason: string }[]
}

/**
 * The events of one series delivered so far, ascending by timestamp, with the index of the file
 * that delivered each: views of the first `tsMs.length` entries of `room`, which has space after
 * them, so a file of later events (the usual case: one file per day) is appended, not copied with
 * everything before it.
 */
interface Seen {
  tsMs: Float64Array
  values: Float64Array
  owner: Int32Array
  room: { tsMs: Float64Array; values: Float64Array; owner: Int32Array }
}

const seenOf = (room: Seen['room'], n: number): Seen => ({ tsMs: room.tsMs.subarray(0, n), values: room.values.subarray(0, n), owner: room.owner.subarray(0, n), room })
const roomOf = (capacity: number): Seen['room'] => ({ tsMs: new Float64Array(capacity), values: new Float64Array(capacity), owner: new Int32Array(capacity) })
const noneSeen: Seen = seenOf(roomOf(0), 0)

/** What one part of a delivery adds to its series: its fresh events, or its conflicts with earlier files. */
interface PartCheck {
  fresh: Uint32Array
  conflicts: number
  /** Index in the part of its first (earliest) conflicting event, and that event's index in `seen`. */
  first: number
  firstSeen: number
  owners: Set<number>
}

function checkPart(seen: Seen, events: EventBatch): PartCheck {
  const { tsMs, values } = events
  // Indexes of the events no earlier file delivered, in file order.
  const fresh = new Uint32Array(tsMs.length)
  let freshCount = 0
  const out: PartCheck = { fresh, conflicts: 0, first: -1, firstSeen: -1, owners: new Set() }
  const matches = matchesIn(seen.tsMs, tsMs)
  for (let i = 0; i < tsMs.length; i++) {
    const at = matches[i]
    if (at < 0) fresh[freshCount++] = i
    else if (!Object.is(seen.values[at], values[i])) {
      if (out.conflicts++ === 0 || tsMs[i] < tsMs[out.first]) {
        out.first = i
        out.firstSeen = at
      }
      out.owners.add(seen.owner[at])
    }
  }
  out.fresh = fresh.subarray(0, freshCount)
  return out
}

/**
 * Merges `deliveries` (in delivery order; each file's timestamps already distinct per series). The
 * unit is (series, timestamp): a file conflicting in any of its series is refused whole.
 */
export function mergeDeliveries(deliveries: Delivery[]): MergedDeliveries {
  const out: MergedDeliveries = { accepted: [], conflicts: [] }
  const seenBySeries = new Map<string, Seen>()
  for (const delivery of deliveries) {
    const checks = delivery.parts.map((part) => checkPart(seenBySeries.get(part.seriesId) ?? noneSeen, part.events))
    const conflicting = checks.flatMap((check, p) => (check.conflicts > 0 ? [{ check, part: delivery.parts[p] }] : []))
    if (conflicting.length > 0) {
      const owners = new Set(conflicting.flatMap(({ check }) => [...check.owners]))
      const conflicts = conflicting.reduce((sum, { check }) => sum + check.conflicts, 0)
      // The earliest conflicting timestamp of the file, in the first series (by id) that has it.
      const { check, part } = conflicting.reduce((a, b) => {
        const ta = a.part.events.tsMs[a.check.first]
        const tb = b.part.events.tsMs[b.check.first]
        return tb < ta || (tb === ta && b.part.seriesId < a.part.seriesId) ? b : a
      })
      const there = seenBySeries.get(part.seriesId)!.values[check.firstSeen]
      const series = metricOfSeries(part.seriesId) === part.seriesId ? '' : ` in series ${part.seriesId}`
      out.conflicts.push({
        key: delivery.key,
        reason:
          `${delivery.key}: ts: ${conflicts} timestamp(s) already delivered with a different value by ${[...owners].sort((a, b) => a - b).map((o) => out.accepted[o].key).join(', ')} ` +
          `(first ${toIsoMicros(part.events.tsMs[check.first])}${series}: ${part.events.values[check.first]} here, ${there} there)`,
      })
      continue
    }
    const owner = out.accepted.length
    const parts = delivery.parts.map((part, p) => {
      const { fresh } = checks[p]
      const added = fresh.length === part.events.tsMs.length ? part.events : pick(part.events, fresh)
      seenBySeries.set(part.seriesId, mergeSorted(seenBySeries.get(part.seriesId) ?? noneSeen, added, owner))
      return { seriesId: part.seriesId, events: added, redelivered: part.events.tsMs.length - fresh.length }
    })
    out.accepted.push({ key: delivery.key, parts, redelivered: parts.reduce((sum, p) => sum + p.redelivered, 0) })
  }
  return out
}

/**
 * For each of `tsMs`, its index in `sorted`, or -1. Searched only within the part of `sorted` that
 * spans the file's own first to last timestamp: for a file of a day nothing else delivered, that
 * part is empty and no event is searched at all.
 */
function matchesIn(sorted: Float64Array, tsMs: Float64Array): Int32Array {
  const matches = new Int32Array(tsMs.length).fill(-1)
  let min = Infinity
  let max = -Infinity
  for (let i = 0; i < tsMs.length; i++) {
    if (tsMs[i] < min) min = tsMs[i]
    if (tsMs[i] > max) max = tsMs[i]
  }
  const from = lowerBound(sorted, min, 0, sorted.length)
  const to = upperBound(sorted, max, from)
  if (from === to) return matches
  for (let i = 0; i < tsMs.length; i++) {
    const at = lowerBound(sorted, tsMs[i], from, to)
    if (at < to && sorted[at] === tsMs[i]) matches[i] = at
  }
  return matches
}

/** The first index in [lo, hi) of `sorted` whose value is above `value` (hi when none). */
function upperBound(sorted: Float64Array, value: number, lo: number): number {
  let hi = sorted.length
  while (lo < hi) {
    const mid = (lo + hi) >> 1
    if (sorted[mid] <= value) lo = mid + 1
    else hi = mid
  }
  return lo
}

/** The first index in [lo, hi) of `sorted` whose value is not below `value` (hi when none). */
function lowerBound(sorted: Float64Array, value: number, lo: number, hi: number): number {
  while (lo < hi) {
    const mid = (lo + hi) >> 1
    if (sorted[mid] < value) lo = mid + 1
    else hi = mid
  }
  return lo
}

function pick(events: EventBatch, indexes: Uint32Array): EventBatch {
  const tsMs = new Float64Array(indexes.length)
  const values = new Float64Array(indexes.length)
  for (let k = 0; k < indexes.length; k++) {
    tsMs[k] = events.tsMs[indexes[k]]
    values[k] = events.values[indexes[k]]
  }
  return { tsMs, values }
}

/** The indexes of `tsMs` in ascending order of their timestamps (bronze files are usually sorted already). */
function ascendingOrder(tsMs: Float64Array): Uint32Array {
  const order = new Uint32Array(tsMs.length)
  let sorted = true
  for (let i = 0; i < tsMs.length; i++) {
    order[i] = i
    if (i > 0 && tsMs[i] < tsMs[i - 1]) sorted = false
  }
  return sorted ? order : order.sort((a, b) => tsMs[a] - tsMs[b])
}

function mergeSorted(seen: Seen, added: EventBatch, owner: number): Seen {
  const order = ascendingOrder(added.tsMs)
  if (order.length === 0) return seen
  const m = seen.tsMs.length
  const n = m + order.length
  if (m === 0 || added.tsMs[order[0]] > seen.tsMs[m - 1]) {
    let room = seen.room
    if (room.tsMs.length < n) {
      // Doubling: a series delivered in F files is copied O(log F) times, not F.
      room = roomOf(Math.max(2 * room.tsMs.length, n))
      room.tsMs.set(seen.tsMs)
      room.values.set(seen.values)
      room.owner.set(seen.owner)
    }
    for (let j = 0; j < order.length; j++) {
      room.tsMs[m + j] = added.tsMs[order[j]]
      room.values[m + j] = added.values[order[j]]
      room.owner[m + j] = owner
    }
    return seenOf(room, n)
  }
  const out = seenOf(roomOf(n), n)
  // What lies before the file's first and after its last timestamp is copied whole; only the span
  // between is merged event by event.
  const head = lowerBound(seen.tsMs, added.tsMs[order[0]], 0, m)
  const tail = upperBound(seen.tsMs, added.tsMs[order[order.length - 1]], head)
  for (const name of ['tsMs', 'values', 'owner'] as const) {
    out[name].set(seen[name].subarray(0, head))
    out[name].set(seen[name].subarray(tail), n - (m - tail))
  }
  let i = head
  let j = 0
  for (let k = head; k < n - (m - tail); k++) {
    if (j >= order.length || (i < tail && seen.tsMs[i] < added.tsMs[order[j]])) {
      out.tsMs[k] = seen.tsMs[i]
      out.values[k] = seen.values[i]
      out.owner[k] = seen.owner[i++]
    } else {
      const from = order[j++]
      out.tsMs[k] = added.tsMs[from]
      out.values[k] = added.values[from]
      out.owner[k] = owner
    }
  }
  return out
}
