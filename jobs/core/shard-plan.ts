/**
 * Splitting a lake's metrics into shards that Argo runs side by side: balanced by input size, the
 * same split for every step of one run (it is written once, by `gras plan`), and total: a metric the
 * plan has not seen still lands in exactly one shard, so a shard run never skips data silently.
 */
import { UsageError } from './errors.js'
import { metricOfSeries } from './series-id.js'

export const shardPlanSchemaVersion = 1

export interface MetricSize {
  metricId: string
  /** Bronze bytes in the metric's history window: what a shard's run time grows with. */
  bytes: number
}

export interface Shard {
  index: number
  metrics: string[]
  bytes: number
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

/**
 * Longest-processing-time-first: each metric, largest first, goes to the least-loaded shard (ties
 * to the lowest index). No shard exceeds the mean by more than one metric's size, LPT is within
 * 4/3 of the best split (Graham, 1969), and the result depends only on the sizes. Never more
 * shards than metrics; metric ids sorted within a shard.
 */
export function balanceShards(sizes: readonly MetricSize[], count: number): Shard[] {
  if (!Number.isInteger(count) || count < 1) throw new RangeError(`shard count ${count} is not a positive integer`)
  const shards: Shard[] = Array.from({ length: Math.max(1, Math.min(count, sizes.length)) }, (_, index) => ({ index, metrics: [], bytes: 0 }))
  const largestFirst = [...sizes].sort((a, b) => b.bytes - a.bytes || (a.metricId < b.metricId ? -1 : a.metricId > b.metricId ? 1 : 0))
  for (const size of largestFirst) {
    let lightest = shards[0]
    for (const shard of shards) if (shard.bytes < lightest.bytes) lightest = shard
    lightest.metrics.push(size.metricId)
    lightest.bytes += size.bytes
  }
  for (const shard of shards) shard.metrics.sort()
  return shards
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
 * as a requested metric would be). A series id in `present` goes where its metric goes, so every
 * job runs all series of a metric in one shard: the shard that read the metric's bronze once.
 */
export function metricsOfShard(plan: ShardPlan, selection: ShardSelection, present: readonly string[]): { metrics: string[]; unplanned: string[]; absent: string[] } {
  if (selection.count !== plan.shards.length) {
    throw new UsageError(`--shard ${selection.index}/${selection.count}: plan ${plan.planId} has ${plan.shards.length} shards (use --shard i/${plan.shards.length})`)
  }
  const planned = new Map<string, number>()
  for (const shard of plan.shards) for (const id of shard.metrics) planned.set(id, shard.index)
  const metrics: string[] = []
  const unplanned: string[] = []
  // A requested series puts its metric in scope: its shard reads the metric's bronze.
  const inScope = plan.requested ? new Set(plan.requested.map(metricOfSeries)) : undefined
  for (const id of present) {
    const metricId = metricOfSeries(id)
    if (inScope && !inScope.has(metricId)) continue
    const index = planned.get(metricId) ?? stableHash(metricId) % selection.count
    if (index !== selection.index) continue
    metrics.push(id)
    if (!planned.has(metricId)) unplanned.push(id)
  }
  const here = new Set(present.map(metricOfSeries))
  const absent = (plan.shards[selection.index]?.metrics ?? []).filter((id) => !here.has(id))
  return { metrics, unplanned, absent }
}
