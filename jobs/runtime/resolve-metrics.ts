/**
 * Which metrics a job runs on: the ones found as `metric=<id>/` partitions under a lake prefix, or
 * the requested ones, each of which must be found there (otherwise it is reported, not skipped
 * silently). A job with nothing to work on is an error that says what the lake does hold.
 *
 * Bronze partitions are metrics; every later layer's are series ids (core/series-id.ts), a
 * dimensionless metric's being its metric id; under silver, a metric with dimensions is one
 * `pack=<id>/` partition whose newest manifest lists its series. A requested metric id selects every
 * series of the metric and a requested series id that one series; under bronze, a requested
 * series id selects its metric (features reads a metric's files once for all its series).
 */
import { bronzeRoot, metricIdOfPackPrefix, metricIdOfPrefix, seriesIdOfPrefix, silverFeaturesRoot } from '../core/lake-layout.js'
import { metricOfSeries, parseSeriesId } from '../core/series-id.js'
import type { ObjectStore } from '../io/object-store.js'
import { metricIdPattern } from '../core/ids.js'
import { InputMissingError, UsageError } from '../core/errors.js'
import { emptyShardPlan, metricsOfShard, type ShardPlan, type ShardSelection } from '../core/shard-plan.js'
import type { MetricSlices } from '../core/shard-slices.js'
import { findShardPlan, latestPlanId, readShardPlan } from '../io/shard-plans.js'
import { listPackSeries } from '../io/silver-reader.js'
import type { Logger } from './logger.js'

/** The shard a run is limited to, and the plan that defines it. */
export interface ShardScope {
  plan: ShardPlan
  selection: ShardSelection
}

export interface ResolvedMetrics {
  metrics: string[]
  /** Requested ids not in the lake, each with the error to report for it. */
  missing: { metricId: string; error: Error }[]
  /** Partitions whose name is not a valid metric id (left alone, reported). */
  invalidPartitions: string[]
  /** With a shard: metrics of this shard the plan did not name (placed by hash; reported). */
  unplanned: string[]
  /** With a shard, outside bronze: the metrics cut into slices of which this shard runs some, by metric id (core/shard-slices.ts). */
  slices: ReadonlyMap<string, MetricSlices>
}

/**
 * The scope of `--shard i/K --plan <id>`. A named plan must exist (66). `latest` on a lake no plan
 * was written to yet (a fresh install's first hourly features run) places every metric by its id.
 */
export async function loadShardScope(lake: ObjectStore, selection: ShardSelection, planId: string, asOfMs: number, log: Logger): Promise<ShardScope> {
  if (planId !== latestPlanId) return { selection, plan: await readShardPlan(lake, planId) }
  const plan = await findShardPlan(lake, planId)
  if (plan) return { selection, plan }
  log.warn({ shard: `${selection.index}/${selection.count}` }, 'no shard plan in the lake yet: metrics placed by their id until gras plan runs')
  return { selection, plan: emptyShardPlan(selection.count, new Date(asOfMs).toISOString()) }
}

/**
 * Lists `metric=` partitions under `root`; `requested` (if any) narrows and checks them, and
 * `shard` (if any) keeps the ones of that shard: under bronze a metric cut into slices is the
 * work of the shard of its slice 0, elsewhere of every shard holding one of its slices.
 */
/**
 * `packCutoff`: the data cutoff (epoch ms) whose pack lists a metric with dimensions' series: the
 * run's own, so every shard of a run groups the same series list, whatever features wrote since
 * (absent: the newest pack's).
 */
export async function resolveMetrics(lake: ObjectStore, root: string, requested: readonly string[] | undefined, shard?: ShardScope, packCutoff?: (metricId: string) => number): Promise<ResolvedMetrics> {
  for (const id of requested ?? []) checkRequestedId(id, '--metrics')
  if (root === bronzeRoot && requested) requested = [...new Set(requested.map(metricOfSeries))]
  const partitions = await metricPartitions(lake, root, packCutoff)
  const inShard = shard ? metricsOfShard(shard.plan, shard.selection, partitions.found, root === bronzeRoot ? 'metric' : 'series') : { metrics: partitions.found, unplanned: [], absent: [], slices: new Map<string, MetricSlices>() }
  const found = inShard.metrics
  const slices = inShard.slices
  const unplanned = inShard.unplanned
  const invalidPartitions = partitions.invalidPartitions
  if (!requested || requested.length === 0) {
    // A metric the plan gave this shard and the lake lacks is this shard's failure, not silence.
    const missing = await missingErrors(lake, root, inShard.absent)
    return withBrokenPacks({ metrics: found, missing, invalidPartitions, unplanned, slices }, partitions.broken)
  }
  // A requested metric of another shard is that shard's work, not missing from this one.
  const metrics = [...new Set(requested.flatMap((id) => found.filter((f) => selects(id, f))))]
  const unknown = requested.filter((id) => !partitions.found.some((f) => selects(id, f)))
  const missing = [
    ...unknown.filter((id) => partitions.broken.has(metricOfSeries(id))).map((id) => ({ metricId: id, error: partitions.broken.get(metricOfSeries(id))! })),
    ...(await missingErrors(lake, root, unknown.filter((id) => !partitions.broken.has(metricOfSeries(id))))),
  ]
  return withBrokenPacks({ metrics, missing, invalidPartitions, unplanned: unplanned.filter((id) => metrics.includes(id)), slices }, partitions.broken)
}

/** A metric whose pack manifest cannot be read stands as its metric id until here: it fails with that error instead of running. */
function withBrokenPacks(resolved: ResolvedMetrics, broken: ReadonlyMap<string, Error>): ResolvedMetrics {
  if (broken.size === 0) return resolved
  const failed = resolved.metrics.filter((id) => broken.has(id))
  return { ...resolved, metrics: resolved.metrics.filter((id) => !broken.has(id)), missing: [...resolved.missing, ...failed.map((id) => ({ metricId: id, error: broken.get(id)! }))] }
}

/** Refuses (64, naming `flag`) what is neither a metric id nor a canonical series id. */
export function checkRequestedId(id: string, flag: string): string {
  if (!metricIdPattern.test(id) && !parseSeriesId(id)) {
    throw new UsageError(`${flag}: ${JSON.stringify(id)} is not a valid metric id (expected ${metricIdPattern.source}) or series id (<metric>~<name>=<value>..., names sorted, values percent-encoded)`)
  }
  return id
}

/** True when requested id `id` names unit `found`: the series itself, or a series of metric `id`. */
function selects(id: string, found: string): boolean {
  return id === found || (metricOfSeries(id) === id && metricOfSeries(found) === id)
}

async function missingErrors(lake: ObjectStore, root: string, unknown: readonly string[]): Promise<ResolvedMetrics['missing']> {
  if (unknown.length === 0) return []
  const inventory = await describeLakeMetrics(lake)
  return unknown.map((metricId) => {
    const series = metricOfSeries(metricId) !== metricId
    const what =
      root === bronzeRoot
        ? `${series ? 'series' : 'metric'} ${metricId}: no ${root}/metric=${metricId}/`
        : series
          ? `series ${metricId}: not in the newest ${root}/pack=${metricOfSeries(metricId)}/ nor a ${root}/metric=${metricId}/`
          : `metric ${metricId}: no ${root}/metric=${metricId}/ nor a pack=${metricId}/`
    return { metricId, error: new InputMissingError(`metrics: unknown ${what} in ${lake.uri} (${inventory})`) }
  })
}

/**
 * The units under `root`: bronze's metrics, or silver's series, those of each pack read from its
 * newest manifest (a metric's pack replaces any folders of its series a lake from before packs
 * still holds). `broken`: metrics whose pack manifest cannot be read, by id, with the error; each
 * is in `found` as its metric id.
 */
async function metricPartitions(lake: ObjectStore, root: string, packCutoff?: (metricId: string) => number): Promise<{ found: string[]; invalidPartitions: string[]; broken: Map<string, Error> }> {
  const listed = await lake.listPrefixes(root)
  const found: string[] = []
  const invalidPartitions: string[] = []
  const broken = new Map<string, Error>()
  const idOf = root === bronzeRoot ? metricIdOfPrefix : seriesIdOfPrefix
  for (const prefix of listed.filter((p) => /metric=[^/]*\/$/.test(p))) {
    const id = idOf(prefix)
    if (id) found.push(id)
    else invalidPartitions.push(prefix)
  }
  if (root !== silverFeaturesRoot) return { found, invalidPartitions, broken }
  const packed = new Set<string>()
  const series: string[] = []
  for (const prefix of listed.filter((p) => /pack=[^/]*\/$/.test(p))) {
    const metricId = metricIdOfPackPrefix(prefix)
    if (!metricId) {
      invalidPartitions.push(prefix)
      continue
    }
    try {
      const ids = await listPackSeries(lake, metricId, packCutoff?.(metricId))
      if (!ids) continue
      packed.add(metricId)
      series.push(...ids)
    } catch (error) {
      packed.add(metricId)
      broken.set(metricId, error as Error)
      series.push(metricId)
    }
  }
  if (packed.size === 0) return { found, invalidPartitions, broken }
  const all = [...found.filter((id) => !(packed.has(metricOfSeries(id)) && id !== metricOfSeries(id))), ...series].sort()
  return { found: all, invalidPartitions, broken }
}

/** What the lake holds, for messages: its bronze metrics and the metrics with features, or that it is empty. */
export async function describeLakeMetrics(lake: ObjectStore): Promise<string> {
  const bronze = (await metricPartitions(lake, bronzeRoot)).found
  const silver = (await metricPartitions(lake, silverFeaturesRoot)).found
  if (bronze.length === 0 && silver.length === 0) {
    const anything = (await lake.listPrefixes('')).length > 0
    return anything ? `the lake has no metric=<id>/ partitions under ${bronzeRoot}/ or ${silverFeaturesRoot}/` : `the lake ${lake.uri} is empty or does not exist; check --lake / GRAS_LAKE, or write sample data with gras demo-data`
  }
  const list = (ids: string[]) => (ids.length > 0 ? ids.join(', ') : 'none')
  return `the lake has bronze metrics: ${list(bronze)}; with features: ${list(silver)}`
}

/** True when `metricId` (a metric or series id) has bronze data or features in the lake. */
export async function lakeHasMetric(lake: ObjectStore, metricId: string): Promise<boolean> {
  for (const root of [bronzeRoot, silverFeaturesRoot]) if ((await metricPartitions(lake, root)).found.includes(metricId)) return true
  return false
}

/** Refuses a metric the lake has no data for (exit 66), naming what the lake does have. */
export async function assertLakeHasMetric(lake: ObjectStore, command: string, metricId: string): Promise<void> {
  if (!(await lakeHasMetric(lake, metricId))) throw new InputMissingError(`${command}: unknown metric ${metricId}: no data in ${lake.uri} (${await describeLakeMetrics(lake)})`)
}

/** The error for a job that found no metric to work on under `root`. */
export async function noMetricsError(lake: ObjectStore, job: string, root: string): Promise<InputMissingError> {
  const hint = root === bronzeRoot ? 'the Java writer puts bronze files under bronze/gras/metric=<id>/' : 'run gras features first'
  return new InputMissingError(`${job}: no metrics under ${root}/ in ${lake.uri}: ${await describeLakeMetrics(lake)} (${hint})`)
}
