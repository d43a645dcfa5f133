/**
 * The run a `gras report` without --run-id is about: the newest run that wrote predictions (by the
 * time the lake stored the file) or trained a model (by the registry's created_at).
 */
import { predictionsPrefixForMetric } from '../core/lake-layout.js'
import type { ModelRegistry } from '../io/model-registry.js'
import type { ObjectStore } from '../io/object-store.js'

interface Candidate {
  runId: string
  atMs: number
}

const concurrency = 8

/** The newest run's id over `metricIds`, or undefined when no run wrote predictions or trained. */
export async function lastRunId(lake: ObjectStore, registry: ModelRegistry, metricIds: readonly string[]): Promise<string | undefined> {
  let newest: Candidate | undefined
  const consider = (candidate: Candidate | undefined) => {
    if (candidate && Number.isFinite(candidate.atMs) && (!newest || candidate.atMs > newest.atMs)) newest = candidate
  }
  for (let i = 0; i < metricIds.length; i += concurrency) {
    const batch = metricIds.slice(i, i + concurrency)
    const found = await Promise.all(batch.map(async (id) => [await newestPrediction(lake, id), await newestVersion(registry, id)]))
    for (const pair of found) pair.forEach(consider)
  }
  return newest?.runId
}

/** predictions/metric=<id>/date=<day>/<run id>.parquet written last. */
async function newestPrediction(lake: ObjectStore, metricId: string): Promise<Candidate | undefined> {
  let newest: Candidate | undefined
  for (const info of await lake.list(`${predictionsPrefixForMetric(metricId)}/`)) {
    const match = /\/date=\d{8}\/([^/]+)\.parquet$/.exec(info.key)
    if (match && info.lastModifiedMs !== undefined && (!newest || info.lastModifiedMs > newest.atMs)) newest = { runId: match[1], atMs: info.lastModifiedMs }
  }
  return newest
}

async function newestVersion(registry: ModelRegistry, metricId: string): Promise<Candidate | undefined> {
  let newest: Candidate | undefined
  for (const version of await registry.listVersions(metricId)) {
    const atMs = Date.parse(version.createdAt)
    if (!newest || atMs > newest.atMs) newest = { runId: version.runId, atMs }
  }
  return newest
}
