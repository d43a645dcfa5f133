/**
 * Slices of a metric too large for one shard. The plan cuts a metric of n series into S slices;
 * which series a slice runs is decided at run time, not at plan time: every job groups the
 * metric's series as it always does (core/series-groups.ts: C groups over every series it finds)
 * and slice j of S owns the groups k (1..C) with floor((k-1)*S/C) == j. So every shard computes the
 * same group ids (no two write the same `k of C` key), the groups of the S slices are all C groups,
 * each once, whatever C is at run time (a series added after the plan lands in exactly one slice),
 * and a slice may own no group (C < S). Pure.
 */
import type { SeriesGroup } from './series-groups.js'

/** The slices of one metric a shard runs: `owned` (0-based, ascending) of `count`. */
export interface MetricSlices {
  count: number
  owned: number[]
}

/** The slice (0-based, of `sliceCount`) that owns group `groupIndex` (1-based) of `groupCount`. */
export function sliceOfGroup(groupIndex: number, groupCount: number, sliceCount: number): number {
  return Math.floor(((groupIndex - 1) * sliceCount) / groupCount)
}

/** How many slices a metric of `seriesCount` series is cut into: at most `maxSeriesPerShard` series each, at least one. */
export function sliceCountFor(seriesCount: number, maxSeriesPerShard: number): number {
  if (!Number.isInteger(maxSeriesPerShard) || maxSeriesPerShard < 1) throw new RangeError(`slices: maxSeriesPerShard ${maxSeriesPerShard} (expected an integer of at least 1)`)
  return Math.max(1, Math.ceil(seriesCount / maxSeriesPerShard))
}

/**
 * The series of each of `sliceCount` slices of a metric of `seriesCount` series grouped by
 * `seriesPerGroup` (the group sizes groupSeries makes), slice 0 first: what the plan weighs a
 * slice by. They sum to `seriesCount`.
 */
export function seriesPerSlice(seriesCount: number, sliceCount: number, seriesPerGroup: number): number[] {
  const out = new Array<number>(sliceCount).fill(0)
  const groups = Math.ceil(seriesCount / seriesPerGroup)
  for (let k = 1; k <= groups; k++) out[sliceOfGroup(k, groups, sliceCount)] += Math.floor((k * seriesCount) / groups) - Math.floor(((k - 1) * seriesCount) / groups)
  return out
}

/**
 * The groups of `groups` a shard runs: those of a metric without slices here, and of a metric in
 * `slices` those its owned slices own. `idle`: the metrics in `slices` none of whose groups this
 * shard owns (the metric has fewer groups than slices), to be reported as nothing to do.
 */
export function groupsOfSlices(groups: readonly SeriesGroup[], slices: ReadonlyMap<string, MetricSlices>): { groups: SeriesGroup[]; idle: { metricId: string; slices: MetricSlices; groups: number }[] } {
  const kept = groups.filter((group) => {
    const of = slices.get(group.metricId)
    return !of || of.owned.includes(sliceOfGroup(group.index, group.count, of.count))
  })
  const idle: { metricId: string; slices: MetricSlices; groups: number }[] = []
  for (const [metricId, of] of slices) {
    const all = groups.filter((g) => g.metricId === metricId)
    if (all.length > 0 && !kept.some((g) => g.metricId === metricId)) idle.push({ metricId, slices: of, groups: all[0].count })
  }
  return { groups: kept, idle }
}
