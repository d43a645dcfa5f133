/**
 * Shard plans in the lake: `plans/<plan id>/plan.json`, and `plans/latest.json` for runs that do
 * not name a plan (the features CronJob). Read back through a schema: a plan that is not one is a
 * DataError naming the key, never a shard that silently holds nothing.
 */
import { z } from 'zod'
import { latestShardPlanKey, shardPlanKey } from '../core/lake-layout.js'
import { InputMissingError } from '../core/errors.js'
import { findSlicesProblem, shardPlanSchemaVersion, type ShardPlan } from '../core/shard-plan.js'
import { parseLakeDocument } from './lake-document.js'
import type { ObjectStore } from './object-store.js'

const sliceSchema = z.object({
  metricId: z.string().min(1),
  slice: z.number().int().min(0),
  count: z.number().int().min(2),
  series: z.number().int().min(0),
  bytes: z.number().min(0),
})

// Version 1 (before slices) is read as version 2 without slices: its shards are what they were.
const shardPlanSchema = z
  .object({
    schemaVersion: z.union([z.literal(1), z.literal(shardPlanSchemaVersion)]),
    planId: z.string().min(1),
    createdAt: z.iso.datetime(),
    asOf: z.iso.datetime(),
    requested: z.array(z.string()).optional(),
    shards: z
      .array(z.object({ index: z.number().int().min(0), metrics: z.array(z.string()), slices: z.array(sliceSchema).optional(), bytes: z.number().min(0) }))
      .min(1)
      .refine((shards) => shards.every((s, i) => s.index === i), 'shard indexes must be 0, 1, 2, ... in order')
      .superRefine((shards, ctx) => {
        const problem = findSlicesProblem(shards)
        if (problem) ctx.addIssue({ code: 'custom', message: problem })
      }),
  })
  .transform((plan): ShardPlan => ({ ...plan, schemaVersion: shardPlanSchemaVersion }))

/** The plan id `latest` stands for the newest plan written. */
export const latestPlanId = 'latest'

export async function writeShardPlan(lake: ObjectStore, plan: ShardPlan): Promise<{ key: string }> {
  const body = JSON.stringify(plan, null, 2) + '\n'
  const key = shardPlanKey(plan.planId)
  await lake.put(key, body)
  await lake.put(latestShardPlanKey, body)
  return { key }
}

/** The plan `planId` (or the newest for `latest`); exit 66 when there is none, 65 when malformed. */
export async function readShardPlan(lake: ObjectStore, planId: string): Promise<ShardPlan> {
  const plan = await findShardPlan(lake, planId)
  if (!plan) throw new InputMissingError(`plan: no shard plan ${planId} (${planKeyOf(planId)} missing in ${lake.uri}): run gras plan first`)
  return plan
}

const planKeyOf = (planId: string) => (planId === latestPlanId ? latestShardPlanKey : shardPlanKey(planId))

/** Like readShardPlan, but undefined when the plan does not exist. */
export async function findShardPlan(lake: ObjectStore, planId: string): Promise<ShardPlan | undefined> {
  const key = planKeyOf(planId)
  // Asked by a listing first: a GET of a missing key is a 403, not a 404, to a role that may only list plans/.
  if (!(await lake.exists(key))) return undefined
  const bytes = await lake.get(key)
  if (!bytes) return undefined
  // The source says what the document is for, as the job's other messages do.
  return parseLakeDocument(shardPlanSchema, bytes, `plan: ${key}`)
}
