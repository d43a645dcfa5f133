/**
 * Writes one cutoff's silver features: the feature file and its manifest under
 * `cutoff=<window end>/`, then the series' newest-cutoff manifest, but only when no newer cutoff
 * is there already. A backfill (an older `--as-of`) so keeps its own outputs beside the present
 * ones and never replaces them; a rerun of the same cutoff rewrites the same keys.
 */
import { silverCutoffManifestKey, silverManifestKey } from '../core/lake-layout.js'
import { toIsoSeconds } from '../core/time.js'
import type { ObjectStore } from '../io/object-store.js'
import { parseLakeDocument } from '../io/lake-document.js'
import { featuresManifestSchema, seriesIdOfManifest, type FeaturesManifest } from '../io/silver-manifest.js'

export interface SilverWrite {
  /** True when this cutoff is now the metric's newest (the newest-cutoff manifest names it). */
  latest: boolean
  /** The newest cutoff in the lake after the write (ISO). */
  newestCutoff: string
}

/** The data cutoff a manifest describes: the end of its window (epoch ms). */
export function manifestCutoffMs(manifest: Pick<FeaturesManifest, 'window'>): number {
  return Date.parse(manifest.window.end)
}

/**
 * Writes `data` at `manifest.dataKey`, the cutoff's manifest, then moves the newest-cutoff manifest
 * forward if this cutoff is not older than the one it names. Each put is atomic (beside, then
 * renamed, or one S3 PUT), and a crash between them leaves the previous newest manifest in place.
 * The read-then-write of the newest manifest is not atomic: the workflows' mutex and the CronJob's
 * `concurrencyPolicy: Forbid` keep two forward runs of one metric apart.
 */
export async function writeSilver(lake: ObjectStore, manifest: FeaturesManifest, data: Uint8Array): Promise<SilverWrite> {
  const cutoffMs = manifestCutoffMs(manifest)
  const body = JSON.stringify(manifest, null, 2) + '\n'
  await lake.put(manifest.dataKey, data)
  const seriesId = seriesIdOfManifest(manifest)
  await lake.put(silverCutoffManifestKey(seriesId, cutoffMs), body)
  const newest = await readNewestCutoffMs(lake, seriesId)
  if (newest !== undefined && newest > cutoffMs) return { latest: false, newestCutoff: toIsoSeconds(newest) }
  await lake.put(silverManifestKey(seriesId), body)
  return { latest: true, newestCutoff: manifest.window.end }
}

/**
 * The cutoff the newest-cutoff manifest names; undefined when there is none. A malformed one is a
 * DataError, not replaced: puts are atomic, so it was not torn by us, and replacing it could move
 * the newest cutoff back.
 */
async function readNewestCutoffMs(lake: ObjectStore, seriesId: string): Promise<number | undefined> {
  // Asked first by a listing: a metric's first run has no manifest, and a GET of a missing key is
  // retried by the S3 store and needs a bucket-wide ListBucket grant to read as 404.
  const key = silverManifestKey(seriesId)
  if (!(await lake.exists(key))) return undefined
  const bytes = await lake.get(key)
  return bytes && manifestCutoffMs(parseLakeDocument(featuresManifestSchema, bytes, key))
}
