/**
 * Splitting a lake's metrics into shards that Argo runs side by side: balanced by input size, the
 * same split for every step of one run (it is written once, by `gras plan`), and total: a metric the
 * plan has not seen still lands in exactly one shard, so a shard run never skips data silently. A
 * metric of more series than one shard should hold is cut into slices (core/shard-slices.ts), each
 * balanced like a metric; its features still run once, in the shard of its slice 0.
 */
import { UsageError } from './errors.js'
import { metricOfSeries } from './series-id.js'
import { seriesPerSlice, sliceCountFor, type MetricSlices } from './shard-slices.js'

/** 2: shards may hold slices of metrics. A plan of version 1 is one of version 2 without slices. */
export const shardPlanSchemaVersion = 2

export interface MetricSize {
  metricId: string
  /** Bronze bytes in the metric's history window: what a shard's run time grows with. */
  bytes: number
  /** Series of a metric with dimensions, from its newest silver pack; absent: unknown, the metric stays whole. */
  series?: number
}

/** Slice `slice` (0-based) of the `count` a metric is cut into. */
export interface ShardSlice {
  metricId: string
  slice: number
  count: number
  /** The series the plan expected it to own, and its share of the metric's bytes. */
  series: number
  bytes: number
}

export interface Shard {
  index: number
  /** Whole metrics, sorted. */
  metrics: string[]
  /** Slices of metrics cut by maxSeriesPerShard, by metric id then slice; absent: none. */
  slices?: ShardSlice[]
  bytes: number
}

/** When a metric is cut into slices: above `maxSeriesPerShard` series, each slice weighed by the groups of `seriesPerGroup` it will own. */
export interface SliceSettings {
  maxSeriesPerShard: number
  seriesPerGroup: number
}

export interface ShardPlan {
  schemaVersion: typeof shardPlanSchemaVersion
  planId: string
  /** ISO time the plan was written, and the as-of whose windows were sized. */
  createdAt: string
  asOf: string
  /** The `--metrics` the plan was made for; absent: every metric. Shards never take one outside it. */
  requested?: string[]
  shards: Shard[]
}

/** Which shard of how many: `--shard 2/8` is the third of eight. */
export interface ShardSelection {
  index: number
  count: number
}

/** The number of shards for `totalBytes` at about `targetBytes` each, within [1, maxShards]. */
export function shardCountFor(totalBytes: number, targetBytes: number, maxShards: number): number {
  return Math.min(maxShards, Math.max(1, Math.ceil(totalBytes / targetBytes)))
}

const bySlice = (a: { metricId: string; slice: number }, b: { metricId: string; slice: number }) => (a.metricId < b.metricId ? -1 : a.metricId > b.metricId ? 1 : a.slice - b.slice)

/** A unit LPT places: a whole metric, or one slice of a metric. */
interface BalanceUnit {
  metricId: string
  bytes: number
  slice?: ShardSlice
}

/** The units of `sizes`: a metric of more than `split.maxSeriesPerShard` series as its slices, its bytes prorated by their series. */
function unitsOf(sizes: readonly MetricSize[], split: SliceSettings | undefined): BalanceUnit[] {
  return sizes.flatMap((size): BalanceUnit[] => {
    const n = size.series ?? 0
    if (!split || n <= split.maxSeriesPerShard) return [{ metricId: size.metricId, bytes: size.bytes }]
    const count = sliceCountFor(n, split.maxSeriesPerShard)
    let before = 0
    return seriesPerSlice(n, count, split.seriesPerGroup).map((series, slice) => {
      // Cumulative rounding: the slices' bytes sum to the metric's exactly.
      const bytes = Math.floor((size.bytes * (before + series)) / n) - Math.floor((size.bytes * before) / n)
      before += series
      return { metricId: size.metricId, bytes, slice: { metricId: size.metricId, slice, count, series, bytes } }
    })
  })
}

/**
 * Longest-processing-time-first over whole metrics and slices together: each unit, largest first,
 * goes to the least-loaded shard (ties to the lowest index). No shard exceeds the mean by more than
 * one unit's size, LPT is within 4/3 of the best split (Graham, 1969), and the result depends only
 * on the sizes. Never more shards than units; metric ids sorted within a shard, slices by metric
 * then slice. Without `split`, every metric is whole.
 */
export function balanceShards(sizes: readonly MetricSize[], count: number, split?: SliceSettings): Shard[] {
  if (!Number.isInteger(count) || count < 1) throw new RangeError(`shard count ${count} is not a positive integer`)
  const units = unitsOf(sizes, split)
  const shards: Shard[] = Array.from({ length: Math.max(1, Math.min(count, units.length)) }, (_, index) => ({ index, metrics: [], bytes: 0 }))
  const byId = (a: BalanceUnit, b: BalanceUnit) => bySlice({ metricId: a.metricId, slice: a.slice?.slice ?? 0 }, { metricId: b.metricId, slice: b.slice?.slice ?? 0 })
  const largestFirst = [...units].sort((a, b) => b.bytes - a.bytes || byId(a, b))
  for (const unit of largestFirst) {
    let lightest = shards[0]
    for (const shard of shards) if (shard.bytes < lightest.bytes) lightest = shard
    if (unit.slice) (lightest.slices ??= []).push(unit.slice)
    else lightest.metrics.push(unit.metricId)
    lightest.bytes += unit.bytes
  }
  for (const shard of shards) {
    shard.metrics.sort()
    shard.slices?.sort(bySlice)
  }
  return shards
}

/**
 * What makes a plan's slices not a split of their metrics, or undefined: each cut metric's slices
 * 0..S-1 once each with one S, and no metric both whole and cut. (A plan that fails this would run
 * some of a metric's groups twice or never.)
 */
export function findSlicesProblem(shards: readonly Shard[]): string | undefined {
  const whole = new Set(shards.flatMap((s) => s.metrics))
  const seen = new Map<string, { count: number; slices: Set<number> }>()
  for (const shard of shards) {
    for (const slice of shard.slices ?? []) {
      if (whole.has(slice.metricId)) return `metric ${slice.metricId} is both whole and cut into slices`
      const entry = seen.get(slice.metricId) ?? { count: slice.count, slices: new Set<number>() }
      if (entry.count !== slice.count) return `metric ${slice.metricId}: slices of ${entry.count} and of ${slice.count}`
      if (slice.slice >= slice.count || entry.slices.has(slice.slice)) return `metric ${slice.metricId}: slice ${slice.slice} of ${slice.count} ${entry.slices.has(slice.slice) ? 'twice' : 'out of range'}`
      entry.slices.add(slice.slice)
      seen.set(slice.metricId, entry)
    }
  }
  for (const [metricId, entry] of seen) if (entry.slices.size !== entry.count) return `metric ${metricId}: ${entry.slices.size} of its ${entry.count} slices planned`
  return undefined
}

/** Parses `i/K` (0 <= i < K); a bad value is a usage error naming the flag. */
export function parseShardSelection(text: string, flag = '--shard'): ShardSelection {
  const match = /^(\d{1,6})\/(\d{1,6})$/.exec(text.trim())
  const index = match ? Number(match[1]) : NaN
  const count = match ? Number(match[2]) : NaN
  if (!match || count < 1 || index >= count) throw new UsageError(`${flag}: ${JSON.stringify(text)} is not a shard i/K with 0 <= i < K (e.g. 0/4)`)
  return { index, count }
}

/** The plan of a lake no `gras plan` has run on yet: every metric is placed by its id. */
export function emptyShardPlan(count: number, asOf: string): ShardPlan {
  return {
    schemaVersion: shardPlanSchemaVersion,
    planId: 'none',
    createdAt: asOf,
    asOf,
    shards: Array.from({ length: count }, (_, index) => ({ index, metrics: [], bytes: 0 })),
  }
}

/** FNV-1a of the id: stable across runs, processes and Node versions. */
function stableHash(text: string): number {
  let hash = 0x811c9dc5
  for (const byte of new TextEncoder().encode(text)) hash = Math.imul(hash ^ byte, 0x01000193) >>> 0
  return hash
}

/**
 * The metrics of shard `selection` among `present` (what the job's lake root holds): the plan's
 * metrics of that shard, plus every present metric in the plan's scope that it does not name,
 * placed by a stable hash; `absent`: the shard's planned metrics that are not present (reported,
 * as a requested metric would be). A series id in `present` goes where its metric goes. A metric
 * cut into slices is, by `unit` `series` (train, infer, monitor), in every shard holding one of its
 * slices, each running only its slices' groups (`slices`, by metric); by `metric` (features, which
 * reads a metric's bronze once for all its series), in the shard of its slice 0 only.
 */
export function metricsOfShard(
  plan: ShardPlan,
  selection: ShardSelection,
  present: readonly string[],
  unit: 'series' | 'metric' = 'series',
): { metrics: string[]; unplanned: string[]; absent: string[]; slices: Map<string, MetricSlices> } {
  if (selection.count !== plan.shards.length) {
    throw new UsageError(`--shard ${selection.index}/${selection.count}: plan ${plan.planId} has ${plan.shards.length} shards (use --shard i/${plan.shards.length})`)
  }
  const planned = new Map<string, number>()
  for (const shard of plan.shards) for (const id of shard.metrics) planned.set(id, shard.index)
  // A cut metric: its slices here, and the shard of its slice 0.
  const slices = new Map<string, MetricSlices>()
  for (const slice of plan.shards[selection.index]?.slices ?? []) {
    const of = slices.get(slice.metricId) ?? { count: slice.count, owned: [] }
    of.owned.push(slice.slice)
    slices.set(slice.metricId, of)
  }
  for (const shard of plan.shards) for (const slice of shard.slices ?? []) if (slice.slice === 0) planned.set(slice.metricId, shard.index)
  const cut = new Set(plan.shards.flatMap((s) => (s.slices ?? []).map((c) => c.metricId)))
  if (unit === 'metric') slices.clear()
  const inShard = (metricId: string) => (unit === 'series' && cut.has(metricId) ? slices.has(metricId) : planned.get(metricId) === selection.index)
  const metrics: string[] = []
  const unplanned: string[] = []
  // A requested series puts its metric in scope: its shard reads the metric's bronze.
  const inScope = plan.requested ? new Set(plan.requested.map(metricOfSeries)) : undefined
  for (const id of present) {
    const metricId = metricOfSeries(id)
    if (inScope && !inScope.has(metricId)) continue
    if (planned.has(metricId) ? !inShard(metricId) : stableHash(metricId) % selection.count !== selection.index) continue
    metrics.push(id)
    if (!planned.has(metricId)) unplanned.push(id)
  }
  const here = new Set(present.map(metricOfSeries))
  const mine = [...planned].filter(([metricId]) => inShard(metricId)).map(([metricId]) => metricId)
  const absent = mine.filter((id) => !here.has(id)).sort()
  for (const metricId of slices.keys()) if (!here.has(metricId)) slices.delete(metricId)
  return { metrics, unplanned, absent, slices }
}
