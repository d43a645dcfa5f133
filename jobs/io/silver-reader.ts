/** Reads a series' silver features back as a regular series, through the manifest of a data cutoff. */
import { silverCutoffManifestKey, silverCutoffPrefix, silverManifestKey } from '../core/lake-layout.js'
import { toIsoSeconds } from '../core/time.js'
import type { RegularSeries } from '../core/series.js'
import { cachedAsyncBuffer } from 'hyparquet'
import { readEvents, readRows } from './parquet-read.js'
import type { ObjectStore } from './object-store.js'
import { DataError, InputMissingError } from '../core/errors.js'
import { parseLakeDocument } from './lake-document.js'
import { featuresManifestSchema, seriesIdOfManifest, type FeaturesManifest } from './silver-manifest.js'

export interface SilverSeries {
  manifest: FeaturesManifest
  series: RegularSeries
  /** 1 where the value was observed, 0 where the gap policy filled it. */
  observed: Uint8Array
}

/**
 * A series' silver features (`metricId`: its series id; a dimensionless metric's is the metric id). Without `cutoffMs`, the newest cutoff's. With it (the run's as-of
 * floored to the metric's step), the features of exactly that cutoff when they exist, else the
 * newest ones if they are not newer than it (the data stops earlier, or a lake from before
 * cutoff folders); never features newer than the cutoff. Throws InputMissingError (66) when
 * there is none that fits, DataError (65) when a manifest or its file is inconsistent.
 */
export async function readSilverSeries(lake: ObjectStore, metricId: string, cutoffMs?: number): Promise<SilverSeries> {
  let manifestKey = silverManifestKey(metricId)
  let manifest: FeaturesManifest | undefined
  if (cutoffMs !== undefined) {
    const exactKey = silverCutoffManifestKey(metricId, cutoffMs)
    // A listing, not a GET: the cutoff often has no folder, and a GET of a missing key is retried.
    const cutoffFiles = await lake.list(silverCutoffPrefix(metricId, cutoffMs))
    if (cutoffFiles.some((f) => f.key === exactKey)) {
      manifest = await readManifest(lake, exactKey)
      if (manifest) manifestKey = exactKey
    }
  }
  manifest ??= await readManifest(lake, manifestKey)
  if (!manifest) throw new InputMissingError(`silver: no features for metric ${metricId} (${manifestKey} missing): run gras features first`)
  if (cutoffMs !== undefined && Date.parse(manifest.window.end) > cutoffMs) {
    const wanted = toIsoSeconds(cutoffMs)
    throw new InputMissingError(
      `silver: no features for metric ${metricId} as of ${wanted} (${silverCutoffManifestKey(metricId, cutoffMs)} missing; the newest, ${manifest.window.end}, is later): run gras features --as-of ${wanted} first`,
    )
  }
  if (seriesIdOfManifest(manifest) !== metricId) throw new DataError(`silver: ${manifestKey} describes series ${seriesIdOfManifest(manifest)} (expected ${metricId})`)
  const dataFiles = await lake.list(manifest.dataKey.slice(0, manifest.dataKey.lastIndexOf('/')))
  const info = dataFiles.find((f) => f.key === manifest.dataKey)
  if (!info) throw new InputMissingError(`silver: ${manifest.dataKey} named by ${manifestKey} is missing`)
  // Two reads of one file (values, then the observed mask): the cache fetches each byte range once.
  const buffer = cachedAsyncBuffer(await lake.openBuffer(info))
  const events = await readEvents(buffer, manifest.dataKey)
  const observedRows = await readRows(buffer, manifest.dataKey, ['observed'])
  const observed = Uint8Array.from(observedRows, (r) => (r.observed === false ? 0 : 1))
  const n = events.tsMs.length
  if (n !== manifest.rows) throw new DataError(`silver: ${manifest.dataKey} has ${n} rows (expected ${manifest.rows} from the manifest)`)
  for (let i = 1; i < n; i++) {
    if (events.tsMs[i] - events.tsMs[i - 1] !== manifest.stepMs) {
      throw new DataError(`silver: ${manifest.dataKey}: row ${i} is not one step (${manifest.stepMs} ms) after row ${i - 1}`)
    }
  }
  return { manifest, observed, series: { metricId, startMs: events.tsMs[0], stepMs: manifest.stepMs, values: events.values } }
}

async function readManifest(lake: ObjectStore, key: string): Promise<FeaturesManifest | undefined> {
  const bytes = await lake.get(key)
  return bytes && parseLakeDocument(featuresManifestSchema, bytes, key)
}
