/**
 * Series groups: the unit `train`, `infer` and `monitor` hand out, lease and write objects for. A
 * group holds series of one metric: all of them when they are at most `seriesPerGroup`, else
 * consecutive slices of the sorted ids, as even as the count allows. Its id is the metric id for a
 * whole metric (so a dimensionless metric's group is named, leased and reported as before), and
 * `<metric>#<k>of<C>` (k from 1) for one of C slices: `#` occurs in no metric or series id, so the
 * two never collide. The same scope and setting always give the same groups.
 */
import { metricOfSeries } from './series-id.js'

export interface SeriesGroup {
  /** `<metric>` or `<metric>#<k>of<C>`. */
  id: string
  metricId: string
  /** 1-based slice number and the metric's slice count (1 and 1 for a whole metric). */
  index: number
  count: number
  /** Series ids, sorted (code-unit order). */
  series: string[]
}

/** The groups of `seriesIds` (any order, duplicates ignored), by metric id, then slice. */
export function groupSeries(seriesIds: readonly string[], seriesPerGroup: number): SeriesGroup[] {
  if (!Number.isInteger(seriesPerGroup) || seriesPerGroup < 1) throw new RangeError(`groups: seriesPerGroup ${seriesPerGroup} (expected an integer of at least 1)`)
  const byMetric = new Map<string, string[]>()
  for (const id of new Set(seriesIds)) {
    const metricId = metricOfSeries(id)
    const list = byMetric.get(metricId) ?? []
    list.push(id)
    byMetric.set(metricId, list)
  }
  const groups: SeriesGroup[] = []
  for (const metricId of [...byMetric.keys()].sort()) {
    const series = byMetric.get(metricId)!.sort()
    const count = Math.ceil(series.length / seriesPerGroup)
    // Even slices (sizes differ by at most one): the last group is never a remainder of a few series.
    for (let k = 0; k < count; k++) {
      const from = Math.floor((k * series.length) / count)
      const to = Math.floor(((k + 1) * series.length) / count)
      groups.push({ id: groupId(metricId, k + 1, count), metricId, index: k + 1, count, series: series.slice(from, to) })
    }
  }
  return groups
}

export function groupId(metricId: string, index: number, count: number): string {
  return count === 1 ? metricId : `${metricId}#${index}of${count}`
}
