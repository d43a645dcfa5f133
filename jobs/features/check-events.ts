/**
 * The row-level half of the bronze contract, checked per file: every timestamp finite and inside
 * the partition's UTC day, every value finite, no timestamp twice (to the microsecond) in one
 * series (for a metric with dimensions, the same timestamp in two series is two events). Pure;
 * returns the problem.
 */
import type { EventBatch } from '../core/series.js'
import { dayMs, toIsoMicros, toIsoSeconds } from '../core/time.js'

export const maxAbsValue = 1e300

/**
 * Describes the first contract violation in `events` of a file partitioned on `dayStartMs`, or
 * undefined. `seriesIds` names the series of each of `events.series`' tuples, for the message.
 */
export function findEventProblem(events: EventBatch, dayStartMs: number, seriesIds: readonly string[] = []): string | undefined {
  const { tsMs, values } = events
  const n = tsMs.length
  if (n === 0) return 'file has no rows'
  let badTs = 0
  let firstBadTs = -1
  let outside = 0
  let firstOutside = -1
  let badValues = 0
  let firstBadValue = -1
  for (let i = 0; i < n; i++) {
    const t = tsMs[i]
    // Beyond +-8.64e15 ms a number is no date at all (ECMAScript's time range).
    if (!Number.isFinite(t) || Math.abs(t) > 8.64e15) {
      if (badTs++ === 0) firstBadTs = i
    } else if (t < dayStartMs || t >= dayStartMs + dayMs) {
      if (outside++ === 0) firstOutside = i
    }
    // Beyond 1e300, a handful of events would overflow to Infinity when summed per hour.
    if (!Number.isFinite(values[i]) || Math.abs(values[i]) > maxAbsValue) {
      if (badValues++ === 0) firstBadValue = i
    }
  }
  if (badTs > 0) return `ts: ${badTs} null or invalid timestamp(s) (first at row ${firstBadTs})`
  if (outside > 0) {
    return `ts: ${outside} timestamp(s) outside the partition day ${toIsoSeconds(dayStartMs).slice(0, 10)} (first at row ${firstOutside}: ${toIsoSeconds(tsMs[firstOutside])})`
  }
  if (badValues > 0) return `value: ${badValues} null, non-finite or out-of-range value(s) (first at row ${firstBadValue}: ${values[firstBadValue]}; expected finite with |value| <= ${maxAbsValue})`
  if (events.series) {
    const duplicate = firstDuplicateInSeries(tsMs, events.series.index)
    if (duplicate !== undefined) return `ts: duplicate timestamp ${toIsoMicros(duplicate.tsMs)} in series ${seriesIds[duplicate.series] ?? duplicate.series}`
    return undefined
  }
  const duplicate = firstDuplicate(tsMs)
  if (duplicate !== undefined) return `ts: duplicate timestamp ${toIsoMicros(duplicate)}`
  return undefined
}

/** The smallest timestamp that occurs twice in one series (the lowest such series), or undefined. */
function firstDuplicateInSeries(tsMs: Float64Array, series: Int32Array): { tsMs: number; series: number } | undefined {
  // Files usually hold their rows ordered by series then time, or by time then series: then no sort.
  let bySeries = true
  let byTime = true
  for (let i = 1; i < tsMs.length && (bySeries || byTime); i++) {
    const dt = tsMs[i] - tsMs[i - 1]
    const ds = series[i] - series[i - 1]
    bySeries &&= ds > 0 || (ds === 0 && dt > 0)
    byTime &&= dt > 0 || (dt === 0 && ds > 0)
  }
  if (bySeries || byTime) return undefined
  const order = Uint32Array.from(tsMs, (_, i) => i).sort((a, b) => tsMs[a] - tsMs[b] || series[a] - series[b])
  for (let k = 1; k < order.length; k++) {
    const a = order[k - 1]
    const b = order[k]
    if (tsMs[a] === tsMs[b] && series[a] === series[b]) return { tsMs: tsMs[a], series: series[a] }
  }
  return undefined
}

/** The smallest timestamp that occurs twice, or undefined. */
export function firstDuplicate(tsMs: Float64Array): number | undefined {
  // Files usually hold their events in time order: then no copy and no sort.
  let increasing = true
  for (let i = 1; i < tsMs.length && increasing; i++) increasing = tsMs[i] > tsMs[i - 1]
  if (increasing) return undefined
  const sorted = Float64Array.from(tsMs).sort()
  for (let i = 1; i < sorted.length; i++) if (sorted[i] === sorted[i - 1]) return sorted[i]
  return undefined
}
