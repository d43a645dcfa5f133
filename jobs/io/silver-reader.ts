/**
 * Reads a series' silver features back as a regular series, through the manifest of a data cutoff:
 * a dimensionless metric's from its own folder, a series of a metric with dimensions from its
 * metric's pack (one file of every series, one row group each). A pack's manifest is parsed once
 * per process (a small cache keyed by its key, etag and size) and its file's footer once (keyed by
 * the file's key and size and the run that wrote it), so reading its many series one by one costs
 * a ranged read each, and a group's series (SilverReads) one listing between them.
 */
import { parquetMetadataAsync, parquetRead, cachedAsyncBuffer, type AsyncBuffer, type FileMetaData } from 'hyparquet'
import { compressors } from 'hyparquet-compressors'
import {
  silverCutoffManifestKey,
  silverCutoffPrefix,
  silverManifestKey,
  silverPackCutoffManifestKey,
  silverPackCutoffPrefix,
  silverPackManifestKey,
  silverPackNewestPrefix,
} from '../core/lake-layout.js'
import { metricOfSeries, parseSeriesId } from '../core/series-id.js'
import { toIsoSeconds } from '../core/time.js'
import type { RegularSeries } from '../core/series.js'
import { readEvents, readRows } from './parquet-read.js'
import { prefetchedBuffer, type HeldRange } from './prefetched-buffer.js'
import type { ObjectInfo, ObjectStore } from './object-store.js'
import { DataError, InputMissingError } from '../core/errors.js'
import { parseLakeDocument } from './lake-document.js'
import { featuresManifestSchema, findPackProblem, packManifestSchema, seriesIdOfManifest, seriesManifestOf, type FeaturesManifest, type PackManifest, type PackSeries } from './silver-manifest.js'

export interface SilverSeries {
  manifest: FeaturesManifest
  series: RegularSeries
  /** 1 where the value was observed, 0 where the gap policy filled it. */
  observed: Uint8Array
}

/**
 * A series' silver features (`seriesId`; a dimensionless metric's is the metric id). Without `cutoffMs`, the newest cutoff's. With it (the run's as-of
 * floored to the metric's step), the features of exactly that cutoff when they exist, else the
 * newest ones if they are not newer than it (the data stops earlier, or a lake from before
 * cutoff folders); never features newer than the cutoff. Throws InputMissingError (66) when
 * there is none that fits, DataError (65) when a manifest or its file is inconsistent. A series of
 * a metric with dimensions whose metric has no pack is read from its own folder, as a lake
 * written before packs holds it.
 */
export function readSilverSeries(lake: ObjectStore, seriesId: string, cutoffMs?: number): Promise<SilverSeries> {
  return new SilverReads(lake).read(seriesId, cutoffMs)
}

/**
 * The silver reads of one unit of work (a group of series, train-neural's series), as
 * readSilverSeries makes them, but each metric's pack is looked up by one listing for all of
 * them: the series of a group so read the same pack even when features writes a newer one
 * meanwhile, and a group of 500 series pays one listing instead of 500. Make one per unit, not
 * per process: a later unit must see the packs written since.
 */
export class SilverReads {
  private readonly packs = new Map<string, Promise<FoundManifest | undefined>>()
  private readonly held = new WeakMap<FoundManifest, Promise<HeldRange[]>>()

  constructor(private readonly lake: ObjectStore) {}

  /**
   * Fetches the row groups of `seriesIds` (a group's: one metric's, adjacent in its pack, which
   * holds them in id order) in one ranged read, for the reads of them that follow: a group of 500
   * series then costs one GET of its pack, not 500. Skipped when their bytes are not close together
   * or too many to hold; a failure is left to the reads, which report it per series.
   */
  async prefetch(seriesIds: readonly string[], cutoffMs?: number): Promise<void> {
    const metricId = seriesIds.length > 0 ? metricOfSeries(seriesIds[0]) : undefined
    if (metricId === undefined || metricId === seriesIds[0] || seriesIds.some((id) => metricOfSeries(id) !== metricId)) return
    const found = await this.packOf(metricId, cutoffMs).catch(() => undefined)
    if (!found || this.held.has(found)) return
    const held = (async (): Promise<HeldRange[]> => {
      const pack = await openPackIndex(this.lake, metricId, found)
      const { file, metadata } = await openPackFile(this.lake, pack, found)
      const spans = seriesIds.flatMap((id) => {
        const group = pack.rowGroups.get(id)
        return group === undefined ? [] : [rowGroupSpan(metadata, group)]
      })
      if (spans.length === 0) return []
      const start = Math.min(...spans.map((s) => s.start))
      const end = Math.max(...spans.map((s) => s.end))
      const wanted = spans.reduce((n, s) => n + s.end - s.start, 0)
      if (end - start > prefetchMaxBytes || end - start > 2 * wanted) return []
      return [{ start, bytes: new Uint8Array(await file.slice(start, end)) }]
    })().catch(() => [])
    this.held.set(found, held)
    await held
  }

  async read(seriesId: string, cutoffMs?: number): Promise<SilverSeries> {
    const { lake } = this
    const metricId = metricOfSeries(seriesId)
    if (metricId === seriesId) return readSeriesFolder(lake, seriesId, cutoffMs)
    const found = await this.packOf(metricId, cutoffMs)
    if (found && cutoffMs !== undefined && (await this.packIsNewer(metricId, found, cutoffMs)) && (await lake.exists(silverManifestKey(seriesId)))) {
      // A cutoff from before packs (a backfill past the upgrade): the series' own folder holds it.
      return readSeriesFolder(lake, seriesId, cutoffMs)
    }
    if (found) return readPackSeries(lake, seriesId, found, cutoffMs, await this.held.get(found))
    if (await lake.exists(silverManifestKey(seriesId))) return readSeriesFolder(lake, seriesId, cutoffMs)
    throw new InputMissingError(`silver: no features for series ${seriesId} (${silverPackManifestKey(metricId)} missing): run gras features first`)
  }

  /** Whether the pack found for `cutoffMs` is not that cutoff's but a newer one's. */
  private async packIsNewer(metricId: string, found: FoundManifest, cutoffMs: number): Promise<boolean> {
    if (found.info.key === silverPackCutoffManifestKey(metricId, cutoffMs)) return false
    return Date.parse((await openPackIndex(this.lake, metricId, found)).manifest.window.end) > cutoffMs
  }

  private packOf(metricId: string, cutoffMs: number | undefined): Promise<FoundManifest | undefined> {
    const key = `${metricId}\n${cutoffMs ?? ''}`
    let found = this.packs.get(key)
    if (!found) {
      found = findPackManifest(this.lake, metricId, cutoffMs)
      // A failed listing (throttled, say) is not kept: the next series asks again.
      found.catch(() => this.packs.get(key) === found && this.packs.delete(key))
      this.packs.set(key, found)
    }
    return found
  }
}

/**
 * The series ids of metric `metricId`'s pack of `cutoffMs` when there is one, else of its newest
 * pack, in order; undefined when it has no pack. A malformed or inconsistent pack manifest is a
 * DataError naming its key.
 */
export async function listPackSeries(lake: ObjectStore, metricId: string, cutoffMs?: number): Promise<string[] | undefined> {
  const found = await findPackManifest(lake, metricId, cutoffMs)
  if (!found) return undefined
  return (await openPackIndex(lake, metricId, found)).manifest.series.map((s) => s.seriesId)
}

async function readSeriesFolder(lake: ObjectStore, metricId: string, cutoffMs: number | undefined): Promise<SilverSeries> {
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
  if (cutoffMs !== undefined && Date.parse(manifest.window.end) > cutoffMs) throw newerThanCutoff(metricId, cutoffMs, silverCutoffManifestKey(metricId, cutoffMs), manifest.window.end)
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
  checkSteps(events.tsMs, manifest.stepMs, manifest.dataKey, 0)
  return { manifest, observed, series: { metricId, startMs: events.tsMs[0], stepMs: manifest.stepMs, values: events.values } }
}

function newerThanCutoff(what: string, cutoffMs: number, exactKey: string, newestEnd: string): InputMissingError {
  const wanted = toIsoSeconds(cutoffMs)
  return new InputMissingError(`silver: no features for metric ${what} as of ${wanted} (${exactKey} missing; the newest, ${newestEnd}, is later): run gras features --as-of ${wanted} first`)
}

function checkSteps(tsMs: Float64Array, stepMs: number, dataKey: string, firstRow: number): void {
  for (let i = 1; i < tsMs.length; i++) {
    if (tsMs[i] - tsMs[i - 1] !== stepMs) throw new DataError(`silver: ${dataKey}: row ${firstRow + i} is not one step (${stepMs} ms) after row ${firstRow + i - 1}`)
  }
}

async function readManifest(lake: ObjectStore, key: string): Promise<FeaturesManifest | undefined> {
  const bytes = await lake.get(key)
  return bytes && parseLakeDocument(featuresManifestSchema, bytes, key)
}

/** A pack manifest found by a listing: its key and what the listing says of it (etag, size), and of the pack's file when the same listing saw it. */
interface FoundManifest {
  info: ObjectInfo
  data?: ObjectInfo
}

/** The pack manifest of exactly `cutoffMs` when there is one, else the newest; undefined when the metric has no pack. */
async function findPackManifest(lake: ObjectStore, metricId: string, cutoffMs: number | undefined): Promise<FoundManifest | undefined> {
  if (cutoffMs !== undefined) {
    const exactKey = silverPackCutoffManifestKey(metricId, cutoffMs)
    const files = await lake.list(silverPackCutoffPrefix(metricId, cutoffMs))
    const info = files.find((f) => f.key === exactKey)
    if (info) return { info, data: files.find((f) => f.key !== exactKey && f.key.endsWith('/features.parquet')) }
  }
  const newestKey = silverPackManifestKey(metricId)
  const info = (await lake.list(silverPackNewestPrefix(metricId))).find((f) => f.key === newestKey)
  return info && { info }
}

/** A pack manifest read and checked, its series by id. */
interface PackIndex {
  key: string
  manifest: PackManifest
  index: Map<string, PackSeries>
  /** The row group of each series: its place in the manifest, which loadPackFile checks against the file. */
  rowGroups: Map<string, number>
}

/** A pack's file opened, its footer parsed and checked against the manifest. */
interface PackFile {
  file: AsyncBuffer
  metadata: FileMetaData
}

/**
 * Kept per process, the most recently used last: a job reads one metric's series after another,
 * a few metrics at a time with workers. The newest manifest and its cutoff's copy are two
 * manifests of one file, opened once.
 */
const packsKept = 4
const packIndexes = new Map<string, Promise<PackIndex>>()
const packFiles = new Map<string, Promise<PackFile>>()

function cached<T>(cache: Map<string, Promise<T>>, key: string, load: () => Promise<T>): Promise<T> {
  let value = cache.get(key)
  if (value) cache.delete(key)
  else {
    value = load()
    value.catch(() => cache.get(key) === value && cache.delete(key))
  }
  cache.set(key, value)
  while (cache.size > packsKept) cache.delete(cache.keys().next().value!)
  return value
}

function openPackIndex(lake: ObjectStore, metricId: string, found: FoundManifest): Promise<PackIndex> {
  return cached(packIndexes, `${lake.uri}\n${found.info.key}\n${found.info.etag ?? ''}\n${found.info.size}`, () => loadPackIndex(lake, metricId, found.info.key))
}

function openPackFile(lake: ObjectStore, pack: PackIndex, found: FoundManifest): Promise<PackFile> {
  // The run that wrote the file is in the key too: a rerun of the cutoff by another run may write a file of the same size.
  return cached(packFiles, `${lake.uri}\n${pack.manifest.dataKey}\n${pack.manifest.dataBytes}\n${pack.manifest.runId}`, () => loadPackFile(lake, pack, found))
}

async function loadPackIndex(lake: ObjectStore, metricId: string, key: string): Promise<PackIndex> {
  const bytes = await lake.get(key)
  if (!bytes) throw new InputMissingError(`silver: ${key} is missing (listed, then gone): run gras features again`)
  const manifest = parseLakeDocument(packManifestSchema, bytes, key)
  if (manifest.metricId !== metricId) throw new DataError(`silver: ${key}: metricId: ${manifest.metricId} (expected ${metricId})`)
  const problem = findPackProblem(manifest, (seriesId, metric) => parseSeriesId(seriesId)?.metricId === metric && seriesId !== metric)
  if (problem) throw new DataError(`silver: ${key}: ${problem}`)
  return { key, manifest, index: new Map(manifest.series.map((series) => [series.seriesId, series])), rowGroups: new Map(manifest.series.map((series, i) => [series.seriesId, i])) }
}

async function loadPackFile(lake: ObjectStore, pack: PackIndex, found: FoundManifest): Promise<PackFile> {
  const { key, manifest } = pack
  const dataKey = manifest.dataKey
  const data = found.data?.key === dataKey ? found.data : (await lake.list(dataKey.slice(0, dataKey.lastIndexOf('/')))).find((f) => f.key === dataKey)
  if (!data) throw new InputMissingError(`silver: ${dataKey} named by ${key} is missing`)
  if (data.size !== manifest.dataBytes) throw new DataError(`silver: ${dataKey} has ${data.size} bytes (expected ${manifest.dataBytes} from ${key})`)
  const file = await lake.openBuffer(data)
  let metadata: FileMetaData
  try {
    // The footer's reads go through a cache; the row groups, each read once by its series, do not.
    metadata = await parquetMetadataAsync(cachedAsyncBuffer(file), { parsers })
  } catch (error) {
    throw new DataError(`silver: ${dataKey} is not a readable Parquet file: ${(error as Error).message}`, { cause: error })
  }
  const groups = metadata.row_groups
  if (groups.length !== manifest.series.length) throw new DataError(`silver: ${dataKey} has ${groups.length} row groups (expected ${manifest.series.length}, one per series of ${key})`)
  for (const [group, series] of manifest.series.entries()) {
    if (Number(groups[group].num_rows) !== series.rows) throw new DataError(`silver: ${dataKey}: row group ${group} has ${groups[group].num_rows} rows (expected ${series.rows}, those of ${series.seriesId} in ${key})`)
  }
  const names = new Set(metadata.schema.slice(1).map((e) => e.name))
  const missing = packColumns.filter((name) => !names.has(name))
  if (missing.length > 0) throw new DataError(`silver: ${dataKey}: missing column(s) ${missing.join(', ')}`)
  return { file, metadata }
}

const packColumns = ['series_id', 'ts', 'value', 'observed']

// Timestamps as epoch milliseconds, as the rest of the jobs hold them.
const parsers = {
  timestampFromMilliseconds: (v: bigint) => Number(v),
  timestampFromMicroseconds: (v: bigint) => Number(v) / 1000,
  timestampFromNanoseconds: (v: bigint) => Number(v) / 1e6,
}

/** The most a group's prefetch holds in memory: 500 series of 42 hourly days are about 10 MB. */
const prefetchMaxBytes = 64 * 1024 ** 2

/** The bytes of a row group's column chunks, from its first page (a dictionary's, when it has one) to the end of its last. */
function rowGroupSpan(metadata: FileMetaData, group: number): { start: number; end: number } {
  let start = Infinity
  let end = 0
  for (const column of metadata.row_groups[group].columns) {
    const meta = column.meta_data
    if (!meta) continue
    const first = Number(meta.dictionary_page_offset ?? meta.data_page_offset)
    start = Math.min(start, first)
    end = Math.max(end, first + Number(meta.total_compressed_size))
  }
  return { start, end }
}

async function readPackSeries(lake: ObjectStore, seriesId: string, found: FoundManifest, cutoffMs: number | undefined, held: HeldRange[] = []): Promise<SilverSeries> {
  const metricId = metricOfSeries(seriesId)
  const pack = await openPackIndex(lake, metricId, found)
  const { manifest } = pack
  if (cutoffMs !== undefined && Date.parse(manifest.window.end) > cutoffMs) throw newerThanCutoff(metricId, cutoffMs, silverPackCutoffManifestKey(metricId, cutoffMs), manifest.window.end)
  const series = pack.index.get(seriesId)
  if (!series) throw new InputMissingError(`silver: no features for series ${seriesId} in ${pack.key} (its pack holds ${manifest.series.length} other series of metric ${metricId})`)
  const opened = await openPackFile(lake, pack, found)
  const { metadata } = opened
  const file = held.length > 0 ? prefetchedBuffer(opened.file, held) : opened.file
  const rows = series.rows
  const tsMs = new Float64Array(rows).fill(Number.NaN)
  const values = new Float64Array(rows).fill(Number.NaN)
  const observed = new Uint8Array(rows).fill(1)
  const idsSeen = new Set<unknown>()
  const covered: Record<string, number> = { series_id: 0, ts: 0, value: 0, observed: 0 }
  const fail = (problem: string, cause?: unknown) => new DataError(`silver: ${manifest.dataKey}: ${problem}`, { cause })
  let problem: string | undefined
  try {
    await parquetRead({
      file,
      metadata,
      columns: packColumns,
      rowStart: series.rowStart,
      rowEnd: series.rowStart + rows,
      compressors,
      parsers,
      onChunk({ columnName, columnData, rowStart }) {
        const at = rowStart - series.rowStart
        if (at < 0 || at + columnData.length > rows) {
          problem ??= `column ${columnName}: rows ${rowStart}..${rowStart + columnData.length} outside those of ${seriesId} (${series.rowStart}..${series.rowStart + rows})`
          return
        }
        covered[columnName] += columnData.length
        for (let i = 0; i < columnData.length; i++) {
          const v = columnData[i]
          if (columnName === 'series_id') idsSeen.add(v)
          else if (columnName === 'observed') observed[at + i] = v === false ? 0 : 1
          else (columnName === 'ts' ? tsMs : values)[at + i] = v === null || v === undefined ? Number.NaN : Number(v)
        }
      },
    })
  } catch (error) {
    throw fail(`cannot decode the rows of ${seriesId}: ${(error as Error).message}`, error)
  }
  if (problem) throw fail(problem)
  for (const [name, count] of Object.entries(covered)) if (count !== rows) throw fail(`column ${name}: decoded ${count} rows of ${seriesId} (expected ${rows})`)
  if (idsSeen.size !== 1 || !idsSeen.has(seriesId)) throw fail(`rows ${series.rowStart}..${series.rowStart + rows} hold series_id ${[...idsSeen].slice(0, 3).join(', ')} (expected ${seriesId}, from ${pack.key})`)
  if (tsMs[0] !== Date.parse(series.startTs)) throw fail(`row ${series.rowStart}: ts ${Number.isNaN(tsMs[0]) ? 'null' : toIsoSeconds(tsMs[0])} (expected ${series.startTs}, the start of ${seriesId} in ${pack.key})`)
  checkSteps(tsMs, manifest.stepMs, manifest.dataKey, series.rowStart)
  return { manifest: seriesManifestOf(manifest, series), observed, series: { metricId: seriesId, startMs: tsMs[0], stepMs: manifest.stepMs, values } }
}
