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

/** Merges `deliveries` (in delivery order; each file's timestamps already distinct). */
export function mergeDeliveries(deliveries: Delivery[]): MergedDeliveries {
  const out: MergedDeliveries = { accepted: [], conflicts: [] }
  let seen = { tsMs: new Float64Array(0), values: new Float64Array(0), owner: new Int32Array(0) }
  for (const delivery of deliveries) {
    const { tsMs, values } = delivery.events
    const fresh: number[] = []
    const conflictOwners = new Set<number>()
    let conflicts = 0
    let first = -1
    let firstOwnerIndex = -1
    for (let i = 0; i < tsMs.length; i++) {
      const at = indexOf(seen.tsMs, tsMs[i])
      if (at < 0) fresh.push(i)
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
    const added: EventBatch = { tsMs: Float64Array.from(fresh, (i) => tsMs[i]), values: Float64Array.from(fresh, (i) => values[i]) }
    out.accepted.push({ key: delivery.key, events: fresh.length === tsMs.length ? delivery.events : added, redelivered: tsMs.length - fresh.length })
    seen = mergeSorted(seen, added, owner)
  }
  return out
}

function indexOf(sorted: Float64Array, value: number): number {
  let lo = 0
  let hi = sorted.length - 1
  while (lo <= hi) {
    const mid = (lo + hi) >> 1
    if (sorted[mid] === value) return mid
    if (sorted[mid] < value) lo = mid + 1
    else hi = mid - 1
  }
  return -1
}

function mergeSorted(seen: { tsMs: Float64Array; values: Float64Array; owner: Int32Array }, added: EventBatch, owner: number) {
  const order = Uint32Array.from(added.tsMs.keys()).sort((a, b) => added.tsMs[a] - added.tsMs[b])
  const n = seen.tsMs.length + order.length
  const out = { tsMs: new Float64Array(n), values: new Float64Array(n), owner: new Int32Array(n) }
  let i = 0
  let j = 0
  for (let k = 0; k < n; k++) {
    if (j >= order.length || (i < seen.tsMs.length && seen.tsMs[i] < added.tsMs[order[j]])) {
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
