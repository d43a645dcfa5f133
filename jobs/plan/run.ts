/**
 * `gras plan`: sizes every bronze metric's history window (one listing per metric), counts the
 * series of each metric with dimensions from its newest silver pack manifest, splits the metrics
 * into shards balanced by those bytes (a metric of more than plan.maxSeriesPerShard series as
 * slices, core/shard-slices.ts), and writes the plan to the lake. What it returns is what Argo
 * fans out over (`withParam`): one item per shard, each naming the plan and `i/K`.
 */
import { z } from 'zod'
import { bronzeMetricPrefix, bronzePartitionDay, bronzeRoot, silverPackManifestKey, silverPackNewestPrefix } from '../core/lake-layout.js'
import { balanceShards, shardCountFor, shardPlanSchemaVersion, type MetricSize, type ShardPlan } from '../core/shard-plan.js'
import { parseLakeDocument } from '../io/lake-document.js'
import { dayMs, floorToStep } from '../core/time.js'
import type { ObjectStore } from '../io/object-store.js'
import { writeShardPlan } from '../io/shard-plans.js'
import { historyWindow, settingsFor, type GrasConfig } from '../runtime/config-schema.js'
import type { JobContext } from '../runtime/job-context.js'
import { noMetricsError, resolveMetrics } from '../runtime/resolve-metrics.js'

/** One Argo item per shard: `{{item.shard}}` and `{{item.plan}}` in the template. */
export interface ShardItem {
  shard: string
  plan: string
  /** Whole metrics, and slices of cut ones. */
  metrics: number
  slices: number
  bytes: number
}

export async function runPlan(context: JobContext, requested: readonly string[] | undefined, shards?: number): Promise<{ plan: ShardPlan; key: string; items: ShardItem[] }> {
  const log = context.logger.child({ job: 'plan', run_id: context.runId })
  const resolved = await resolveMetrics(context.lake, bronzeRoot, requested)
  if (resolved.metrics.length === 0) throw resolved.missing[0]?.error ?? (await noMetricsError(context.lake, 'plan', bronzeRoot))
  const sizes: MetricSize[] = []
  for (const metricId of resolved.metrics) {
    const bytes = await windowBytes(context.lake, context.config, metricId, context.asOfMs)
    const series = settingsFor(context.config, metricId).dimensions.length > 0 ? await packSeriesCount(context.lake, metricId) : undefined
    sizes.push({ metricId, bytes, ...(series === undefined ? {} : { series }) })
  }
  // A requested metric without bronze stays in the plan: its shard fails it by name, the others run.
  for (const { metricId, error } of resolved.missing) {
    log.warn({ metric: metricId, err: error }, 'requested metric has no bronze data: planned so that its shard reports it')
    sizes.push({ metricId, bytes: 0 })
  }
  const total = sizes.reduce((sum, s) => sum + s.bytes, 0)
  const settings = context.config.plan
  // From the sizes: enough shards for the bytes, and for the series at maxSeriesPerShard each.
  const totalSeries = sizes.reduce((sum, s) => sum + (s.series ?? 1), 0)
  const fromSizes = Math.max(shardCountFor(total, settings.targetShardBytes, settings.maxShards), shardCountFor(totalSeries, settings.maxSeriesPerShard, settings.maxShards))
  const count = shards ?? (settings.shards > 0 ? settings.shards : fromSizes)
  const plan: ShardPlan = {
    schemaVersion: shardPlanSchemaVersion,
    planId: context.runId,
    createdAt: new Date(context.now()).toISOString(),
    asOf: new Date(context.asOfMs).toISOString(),
    ...(requested && requested.length > 0 ? { requested: [...requested] } : {}),
    shards: balanceShards(sizes, count, { maxSeriesPerShard: settings.maxSeriesPerShard, seriesPerGroup: context.config.train.seriesPerGroup }),
  }
  const { key } = await writeShardPlan(context.lake, plan)
  const largest = Math.max(...plan.shards.map((s) => s.bytes))
  const cut = [...new Set(plan.shards.flatMap((s) => (s.slices ?? []).map((c) => c.metricId)))].sort()
  log.info({ plan: plan.planId, key, metrics: sizes.length, series: totalSeries, bytes: total, shards: plan.shards.length, largestShardBytes: largest, ...(cut.length > 0 ? { cut } : {}) }, 'plan written')
  const items = plan.shards.map((s) => ({ shard: `${s.index}/${plan.shards.length}`, plan: plan.planId, metrics: s.metrics.length, slices: s.slices?.length ?? 0, bytes: s.bytes }))
  return { plan, key, items }
}

/** Bronze bytes of a metric's files in its history window: one recursive listing of the metric. */
async function windowBytes(lake: ObjectStore, config: GrasConfig, metricId: string, asOfMs: number): Promise<number> {
  const { startMs, endMs } = historyWindow(settingsFor(config, metricId), asOfMs)
  const firstDayMs = floorToStep(startMs, dayMs)
  let bytes = 0
  for (const info of await lake.list(bronzeMetricPrefix(metricId))) {
    const day = info.key.endsWith('.parquet') ? bronzePartitionDay(info.key) : undefined
    if (day !== undefined && day >= firstDayMs && day < endMs) bytes += info.size
  }
  return bytes
}

// Only the series list is counted: the rest of the manifest is the silver reader's to check.
const packSeriesSchema = z.object({ series: z.array(z.unknown()) })

/**
 * The series of a metric's newest silver pack: one listing of its newest/ folder (a GET of a
 * missing key is retried, and refused to a role that may not list the bucket), then one GET of the
 * manifest; undefined when the metric has no pack yet (its first features run is to come).
 */
async function packSeriesCount(lake: ObjectStore, metricId: string): Promise<number | undefined> {
  const key = silverPackManifestKey(metricId)
  if (!(await lake.list(silverPackNewestPrefix(metricId))).some((f) => f.key === key)) return undefined
  const bytes = await lake.get(key)
  return bytes && parseLakeDocument(packSeriesSchema, bytes, key).series.length
}
