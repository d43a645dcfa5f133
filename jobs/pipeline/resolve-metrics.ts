/**
 * Which metrics a job runs on: the ones found as `metric=<id>/` partitions under a lake prefix, or
 * the requested ones, each of which must be found there (otherwise it is reported, not skipped
 * silently).
 */
import { metricIdOfPrefix } from '../core/lake-layout.js'
import type { ObjectStore } from '../io/object-store.js'
import { metricIdPattern } from '../runtime/config-schema.js'
import { InputMissingError, UsageError } from '../runtime/errors.js'

export interface ResolvedMetrics {
  metrics: string[]
  /** Requested ids not in the lake, each with the error to report for it. */
  missing: { metricId: string; error: Error }[]
  /** Partitions whose name is not a valid metric id (left alone, reported). */
  invalidPartitions: string[]
}

/** Lists `metric=` partitions under `root`; `requested` (if any) narrows and checks them. */
export async function resolveMetrics(lake: ObjectStore, root: string, requested: readonly string[] | undefined): Promise<ResolvedMetrics> {
  for (const id of requested ?? []) {
    if (!metricIdPattern.test(id)) throw new UsageError(`--metrics: ${JSON.stringify(id)} is not a valid metric id (expected ${metricIdPattern.source})`)
  }
  const prefixes = (await lake.listPrefixes(root)).filter((p) => /metric=[^/]*\/$/.test(p))
  const found: string[] = []
  const invalidPartitions: string[] = []
  for (const prefix of prefixes) {
    const id = metricIdOfPrefix(prefix)
    if (id) found.push(id)
    else invalidPartitions.push(prefix)
  }
  if (!requested || requested.length === 0) return { metrics: found, missing: [], invalidPartitions }
  const metrics = requested.filter((id) => found.includes(id))
  const missing = requested
    .filter((id) => !found.includes(id))
    .map((metricId) => ({ metricId, error: new InputMissingError(`metrics: unknown metric ${metricId}: no ${root}/metric=${metricId}/ in ${lake.uri}`) }))
  return { metrics, missing, invalidPartitions }
}
