/**
 * Writes one cutoff's silver features: the feature file and its manifest under
 * `cutoff=<window end>/`, then the newest-cutoff manifest, but only when no newer cutoff is there
 * already. A backfill (an older `--as-of`) so keeps its own outputs beside the present ones and
 * never replaces them; a rerun of the same cutoff rewrites the same keys. One series' folder
 * (`writeSilver`) and a metric's pack (`writeSilverPack`) follow the same rule.
 */
import { silverCutoffManifestKey, silverManifestKey, silverPackCutoffManifestKey, silverPackManifestKey } from '../core/lake-layout.js'
import { toIsoSeconds } from '../core/time.js'
import type { ObjectStore } from '../io/object-store.js'
import { parseLakeDocument } from '../io/lake-document.js'
import { featuresManifestSchema, packManifestSchema, seriesIdOfManifest, type FeaturesManifest, type PackManifest } from '../io/silver-manifest.js'

export interface SilverWrite {
  /** True when this cutoff is now the newest (the newest-cutoff manifest names it). */
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
  const seriesId = seriesIdOfManifest(manifest)
  const cutoffMs = manifestCutoffMs(manifest)
  return writeCutoff(lake, { dataKey: manifest.dataKey, cutoffKey: silverCutoffManifestKey(seriesId, cutoffMs), newestKey: silverManifestKey(seriesId), schema: featuresManifestSchema }, manifest, data)
}

/** The same for the pack of a metric with dimensions: its one file, its cutoff manifest, then its newest-cutoff manifest. */
export async function writeSilverPack(lake: ObjectStore, manifest: PackManifest, data: Uint8Array): Promise<SilverWrite> {
  const cutoffMs = manifestCutoffMs(manifest)
  return writeCutoff(lake, { dataKey: manifest.dataKey, cutoffKey: silverPackCutoffManifestKey(manifest.metricId, cutoffMs), newestKey: silverPackManifestKey(manifest.metricId), schema: packManifestSchema }, manifest, data)
}

interface CutoffKeys {
  dataKey: string
  cutoffKey: string
  newestKey: string
  schema: typeof featuresManifestSchema | typeof packManifestSchema
}

async function writeCutoff(lake: ObjectStore, keys: CutoffKeys, manifest: Pick<FeaturesManifest, 'window'>, data: Uint8Array): Promise<SilverWrite> {
  const cutoffMs = manifestCutoffMs(manifest)
  const body = JSON.stringify(manifest, null, 2) + '\n'
  await lake.put(keys.dataKey, data)
  await lake.put(keys.cutoffKey, body)
  const newest = await readNewestCutoffMs(lake, keys)
  if (newest !== undefined && newest > cutoffMs) return { latest: false, newestCutoff: toIsoSeconds(newest) }
  await lake.put(keys.newestKey, body)
  return { latest: true, newestCutoff: manifest.window.end }
}

/**
 * The cutoff the newest-cutoff manifest names; undefined when there is none. A malformed one is a
 * DataError, not replaced: puts are atomic, so it was not torn by us, and replacing it could move
 * the newest cutoff back.
 */
async function readNewestCutoffMs(lake: ObjectStore, keys: CutoffKeys): Promise<number | undefined> {
  // Asked first by a listing: a first run has no manifest, and a GET of a missing key is retried
  // by the S3 store and needs a bucket-wide ListBucket grant to read as 404.
  if (!(await lake.exists(keys.newestKey))) return undefined
  const bytes = await lake.get(keys.newestKey)
  return bytes && manifestCutoffMs(parseLakeDocument(keys.schema, bytes, keys.newestKey))
}
