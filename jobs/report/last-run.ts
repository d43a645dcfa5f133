/**
 * The run a `gras report` without --run-id is about: the newest run that wrote predictions (by the
 * time the lake stored the file) or trained a model (by the registry's created_at).
 */
import { predictionsCopyOfKey, predictionsPrefixForMetric } from '../core/lake-layout.js'
import { metricOfSeries } from '../core/series-id.js'
import type { ModelRegistry } from '../io/model-registry.js'
import type { ObjectStore } from '../io/object-store.js'

interface Candidate {
  runId: string
  atMs: number
}

const concurrency = 8

/** The newest run's id over `metricIds` (series ids), or undefined when no run wrote predictions or trained. */
export async function lastRunId(lake: ObjectStore, registry: ModelRegistry, metricIds: readonly string[]): Promise<string | undefined> {
  let newest: Candidate | undefined
  const consider = (candidate: Candidate | undefined) => {
    if (candidate && Number.isFinite(candidate.atMs) && (!newest || candidate.atMs > newest.atMs)) newest = candidate
  }
  // The copies are per metric (one per group and run): each metric's folder is listed once.
  const copyFolders = [...new Set(metricIds.map(metricOfSeries))]
  for (let i = 0; i < copyFolders.length; i += concurrency) (await Promise.all(copyFolders.slice(i, i + concurrency).map((id) => newestPrediction(lake, id)))).forEach(consider)
  for (let i = 0; i < metricIds.length; i += concurrency) (await Promise.all(metricIds.slice(i, i + concurrency).map((id) => newestVersion(registry, id)))).forEach(consider)
  return newest?.runId
}

/** predictions/metric=<id>/date=<day>/<run id>[~<k>of<C>].parquet written last. */
async function newestPrediction(lake: ObjectStore, metricId: string): Promise<Candidate | undefined> {
  let newest: Candidate | undefined
  for (const info of await lake.list(`${predictionsPrefixForMetric(metricId)}/`)) {
    const copy = predictionsCopyOfKey(info.key)
    if (copy && info.lastModifiedMs !== undefined && (!newest || info.lastModifiedMs > newest.atMs)) newest = { runId: copy.runId, atMs: info.lastModifiedMs }
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
