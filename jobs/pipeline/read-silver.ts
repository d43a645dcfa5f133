/** Reads a metric's silver features back as a regular series, through its manifest. */
import { silverManifestKey } from '../core/lake-layout.js'
import type { RegularSeries } from '../core/series.js'
import { cachedAsyncBuffer } from 'hyparquet'
import { readEvents, readRows } from '../io/parquet-read.js'
import type { ObjectStore } from '../io/object-store.js'
import { DataError, InputMissingError } from '../runtime/errors.js'
import type { FeaturesManifest } from '../features/run.js'

export interface SilverSeries {
  manifest: FeaturesManifest
  series: RegularSeries
  /** 1 where the value was observed, 0 where the gap policy filled it. */
  observed: Uint8Array
}

export async function readSilverSeries(lake: ObjectStore, metricId: string): Promise<SilverSeries> {
  const manifestKey = silverManifestKey(metricId)
  const manifestBytes = await lake.get(manifestKey)
  if (!manifestBytes) throw new InputMissingError(`silver: no features for metric ${metricId} (${manifestKey} missing): run gras features first`)
  let manifest: FeaturesManifest
  try {
    manifest = JSON.parse(new TextDecoder().decode(manifestBytes)) as FeaturesManifest
  } catch (error) {
    throw new DataError(`silver: ${manifestKey} is not valid JSON: ${(error as Error).message}`)
  }
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
