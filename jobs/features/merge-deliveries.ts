/**
 * The re-delivery rule of the bronze contract (README "Bronze contract"), pure. Files are taken in
 * delivery order. An event, a (ts, value) pair, that an earlier file already delivered exactly is
 * the same event sent again: counted once. A timestamp that an earlier file delivered with a
 * different value is a conflict nobody can resolve here: the later file is refused whole, its
 * reason naming the earlier files it conflicts with, and the earlier delivery stands.
 */
import type { EventBatch } from '../core/series.js'
import { toIsoMicros } from '../core/time.js'

export interface Delivery {
  key: string
  events: EventBatch
}

export interface MergedDeliveries {
  /** Files in delivery order with the events they add (re-delivered ones removed). */
  accepted: { key: string; events: EventBatch; redelivered: number }[]
  /** Files refused for conflicting values, with the reason. */
  conflicts: { key: string; reason: string }[]
}

/** The events delivered so far, ascending by timestamp, with the index of the file that delivered each. */
interface Seen {
  tsMs: Float64Array
  values: Float64Array
  owner: Int32Array
}

/** Merges `deliveries` (in delivery order; each file's timestamps already distinct). */
export function mergeDeliveries(deliveries: Delivery[]): MergedDeliveries {
  const out: MergedDeliveries = { accepted: [], conflicts: [] }
  let seen: Seen = { tsMs: new Float64Array(0), values: new Float64Array(0), owner: new Int32Array(0) }
  for (const delivery of deliveries) {
    const { tsMs, values } = delivery.events
    // Indexes of the events no earlier file delivered, in file order.
    const fresh = new Uint32Array(tsMs.length)
    let freshCount = 0
    const conflictOwners = new Set<number>()
    let conflicts = 0
    let first = -1
    let firstOwnerIndex = -1
    const matches = matchesIn(seen.tsMs, tsMs)
    for (let i = 0; i < tsMs.length; i++) {
      const at = matches[i]
      if (at < 0) fresh[freshCount++] = i
      else if (!Object.is(seen.values[at], values[i])) {
        if (conflicts++ === 0 || tsMs[i] < tsMs[first]) {
          first = i
          firstOwnerIndex = at
        }
        conflictOwners.add(seen.owner[at])
      }
    }
    if (conflicts > 0) {
      const owners = [...conflictOwners].sort((a, b) => a - b).map((o) => out.accepted[o].key)
      out.conflicts.push({
        key: delivery.key,
        reason:
          `${delivery.key}: ts: ${conflicts} timestamp(s) already delivered with a different value by ${owners.join(', ')} ` +
          `(first ${toIsoMicros(tsMs[first])}: ${values[first]} here, ${seen.values[firstOwnerIndex]} there)`,
      })
      continue
    }
    const owner = out.accepted.length
    const added = freshCount === tsMs.length ? delivery.events : pick(delivery.events, fresh.subarray(0, freshCount))
    out.accepted.push({ key: delivery.key, events: added, redelivered: tsMs.length - freshCount })
    seen = mergeSorted(seen, added, owner)
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
  const n = seen.tsMs.length + order.length
  const out: Seen = { tsMs: new Float64Array(n), values: new Float64Array(n), owner: new Int32Array(n) }
  // What lies before the file's first and after its last timestamp is copied whole; only the span
  // between is merged event by event.
  const head = lowerBound(seen.tsMs, added.tsMs[order[0]], 0, seen.tsMs.length)
  const tail = upperBound(seen.tsMs, added.tsMs[order[order.length - 1]], head)
  for (const name of ['tsMs', 'values', 'owner'] as const) {
    out[name].set(seen[name].subarray(0, head))
    out[name].set(seen[name].subarray(tail), n - (seen.tsMs.length - tail))
  }
  let i = head
  let j = 0
  for (let k = head; k < n - (seen.tsMs.length - tail); k++) {
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
