/**
 * The silver pack of a metric with dimensions, through the built CLI on bronze DuckDB writes: one
 * features file per cutoff holding every series (a row group each), its cutoff manifest and the
 * newest one; read back series by series on a local lake and on S3 (s3rver), and by DuckDB's own
 * Parquet reader; a backfill never moves the newest manifest back; a malformed or inconsistent
 * pack is a DataError (exit 65) naming its key.
 */
import { test, before, after } from 'node:test'
import assert from 'node:assert/strict'
import { mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs'
import { join, relative } from 'node:path'
import { DuckDBInstance } from '@duckdb/node-api'
import { PutObjectCommand } from '@aws-sdk/client-s3'
import { silverFeaturesKey, silverFeaturesRoot, silverPackCutoffManifestKey, silverPackFeaturesKey, silverPackManifestKey } from '../../jobs/core/lake-layout.js'
import { DataError, InputMissingError } from '../../jobs/core/errors.js'
import { LocalObjectStore } from '../../jobs/io/local-store.js'
import { encodeParquet } from '../../jobs/io/parquet-write.js'
import { writeSilver } from '../../jobs/features/write-silver.js'
import type { ObjectStore } from '../../jobs/io/object-store.js'
import { SilverReads, readSilverSeries } from '../../jobs/io/silver-reader.js'
import { resolveMetrics } from '../../jobs/runtime/resolve-metrics.js'
import { assertOneErrorLine, configDirWith, runCli } from '../helpers/run-cli.js'
import { tempDir } from '../helpers/paths.js'
import { startS3Store, type S3Server } from '../helpers/servers.js'
import type { S3ObjectStore } from '../../jobs/io/s3-store.js'

const instance = await DuckDBInstance.create(':memory:')
const db = await instance.connect()
await db.run(`set timezone = 'UTC'`)
after(() => db.closeSync())

const config = configDirWith(`
metrics:
  P:
    aggregation: sum
    dimensions: [region, store]
`)
const asOf = '2024-01-04T00:00:00Z'
const asOfMs = Date.parse(asOf)
const backfillMs = Date.parse('2024-01-03T00:00:00Z')
const hour = 3_600_000

const cwd = tempDir('silver-pack')
const lakeDir = join(cwd, '.gras/lake')
let s3: S3Server
let s3Lake: S3ObjectStore

/** Seven series (one with a null region, one that starts a day late), an event every 20 minutes, one file per day. */
async function writeBronze(): Promise<void> {
  const dir = join(lakeDir, 'bronze/gras/metric=P')
  mkdirSync(dir, { recursive: true })
  await db.run(`copy (
      select *, year(ts) as year, month(ts) as month, day(ts) as day from (
        select timestamp '2024-01-01 00:00:00' + to_minutes(i * 20) as ts, ((i * 7 + s * 13) % 31 + 0.5)::double as value,
          ['eu', 'us', 'ap', null][1 + s % 4] as region, 's' || (s // 2) as store
        from range(0, 3 * 72) t(i), range(0, 7) u(s)
        where s <> 6 or i >= 72)
    ) to '${dir}' (format parquet, partition_by (year, month, day), overwrite_or_ignore)`)
}

function silverFiles(): string[] {
  const root = join(lakeDir, silverFeaturesRoot)
  const out: string[] = []
  const walk = (dir: string) => {
    for (const name of readdirSync(dir)) {
      const path = join(dir, name)
      if (statSync(path).isDirectory()) walk(path)
      else out.push(relative(lakeDir, path))
    }
  }
  walk(root)
  return out.sort()
}

/** Every series of the pack as DuckDB reads the file: (series_id, ts, value, observed) ordered as stored. */
async function duckdbRows(path: string): Promise<Map<string, { ts: number[]; values: number[]; observed: number[] }>> {
  const rows = (await db.runAndReadAll(`select series_id, epoch_ms(ts)::bigint, value, observed::int from read_parquet('${path}')`)).getRows()
  const out = new Map<string, { ts: number[]; values: number[]; observed: number[] }>()
  for (const [id, ts, value, observed] of rows) {
    if (!out.has(id as string)) out.set(id as string, { ts: [], values: [], observed: [] })
    const series = out.get(id as string)!
    series.ts.push(Number(ts))
    series.values.push(Number(value))
    series.observed.push(Number(observed))
  }
  return out
}

/** A store that counts the requests made through it. */
function counting(store: ObjectStore): { store: ObjectStore; counts: Record<string, number>; gets: string[] } {
  const counts: Record<string, number> = { list: 0, get: 0, slice: 0 }
  const gets: string[] = []
  const wrapped: ObjectStore = Object.create(store)
  wrapped.list = async (prefix) => (counts.list++, store.list(prefix))
  wrapped.get = async (key) => (counts.get++, gets.push(key), store.get(key))
  wrapped.openBuffer = async (info) => {
    const buffer = await store.openBuffer(info)
    return Object.assign(Object.create(buffer), { byteLength: buffer.byteLength, slice: (start: number, end?: number) => (counts.slice++, buffer.slice(start, end)) })
  }
  return { store: wrapped, counts, gets }
}

before(async () => {
  await writeBronze()
  const features = await runCli(['features', '--metrics', 'P', '--as-of', asOf, '--run-id', 'pack-1'], { cwd, env: { GRAS_CONFIG: config } })
  assert.equal(features.code, 0, features.stderr + features.stdout.slice(-2000))
  ;({ s3, store: s3Lake } = await startS3Store('gras-pack', 'gras'))
  for (const key of silverFiles()) await s3.client.send(new PutObjectCommand({ Bucket: 'gras-pack', Key: `gras/${key}`, Body: readFileSync(join(lakeDir, key)) }))
})
after(async () => s3?.close())

test('one pack per metric with dimensions: one file, its cutoff manifest and the newest; DuckDB reads the same rows per series_id as readSilverSeries', { timeout: 120_000 }, async () => {
  const cutoff = 'silver/gras/features/pack=P/cutoff=20240104T000000Z'
  assert.deepEqual(silverFiles(), [`${cutoff}/_manifest.json`, `${cutoff}/features.parquet`, 'silver/gras/features/pack=P/newest/_manifest.json'])
  const manifest = JSON.parse(readFileSync(join(lakeDir, silverPackManifestKey('P')), 'utf8'))
  assert.equal(manifest.schemaVersion, 2)
  assert.equal(manifest.dataKey, silverPackFeaturesKey('P', asOfMs))
  assert.deepEqual(manifest, JSON.parse(readFileSync(join(lakeDir, silverPackCutoffManifestKey('P', asOfMs)), 'utf8')), 'the newest is a copy of the cutoff manifest')
  const ids = manifest.series.map((s: { seriesId: string }) => s.seriesId)
  assert.equal(ids.length, 7)
  assert.deepEqual(ids, [...ids].sort())
  assert.ok(ids.includes('P~region=~store=s1'), 'a null region is the empty value')
  const late = manifest.series.find((s: { seriesId: string }) => s.seriesId === 'P~region=ap~store=s3')
  assert.deepEqual([late.startTs, late.rows, late.files], ['2024-01-02T00:00:00Z', 48, 2])

  const theirs = await duckdbRows(join(lakeDir, manifest.dataKey))
  assert.deepEqual([...theirs.keys()], ids, 'DuckDB: rows sorted by series id, every series once')
  const lake = new LocalObjectStore(lakeDir)
  for (const id of ids) {
    const ours = await readSilverSeries(lake, id, asOfMs)
    const want = theirs.get(id)!
    assert.deepEqual(Array.from(ours.series.values), want.values, id)
    assert.deepEqual(Array.from(ours.observed), want.observed, id)
    assert.equal(ours.series.startMs, want.ts[0], id)
    assert.equal(ours.series.startMs + (ours.series.values.length - 1) * hour, want.ts.at(-1), id)
    assert.deepEqual([ours.manifest.metricId, ours.manifest.seriesId, ours.manifest.window.end], ['P', id, asOf])
  }
  // The bronze truth, from DuckDB's GROUP BY over the same files: the observed hours' sums.
  const truth = (await db.runAndReadAll(`select epoch_ms(date_trunc('hour', ts))::bigint, sum(value)::double from read_parquet('${lakeDir}/bronze/gras/metric=P/*/*/*/*.parquet') where region = 'eu' and store = 's0' group by all order by all`)).getRows()
  const eu = await readSilverSeries(lake, 'P~region=eu~store=s0')
  assert.deepEqual(
    truth.map(([ts, sum]) => [Number(ts), Number(sum)]),
    Array.from(eu.series.values, (v, i) => [eu.series.startMs + i * hour, v]),
  )
  const groups = (await db.runAndReadAll(`select count(distinct row_group_id)::int from parquet_metadata('${join(lakeDir, manifest.dataKey)}')`)).getRows()
  assert.equal(groups[0][0], 7, 'one row group per series')
})

test('resolveMetrics under silver gives the pack\'s series ids; --metrics P selects all of them, a series id one', async () => {
  const lake = new LocalObjectStore(lakeDir)
  const all = (await resolveMetrics(lake, silverFeaturesRoot, undefined)).metrics
  assert.equal(all.length, 7)
  assert.ok(all.every((id) => id.startsWith('P~')), all.join(' '))
  assert.deepEqual((await resolveMetrics(lake, silverFeaturesRoot, ['P'])).metrics, all)
  assert.deepEqual((await resolveMetrics(lake, silverFeaturesRoot, ['P~region=us~store=s0'])).metrics, ['P~region=us~store=s0'])
  const unknown = await resolveMetrics(lake, silverFeaturesRoot, ['P~region=zz~store=s0'])
  assert.match(unknown.missing[0].error.message, /unknown series P~region=zz~store=s0: not in the newest silver\/gras\/features\/pack=P\//)
})

test('on S3 (s3rver): every series reads back the same, the manifest and the footer fetched once, then one listing and one ranged GET per series', { timeout: 120_000 }, async () => {
  const local = new LocalObjectStore(lakeDir)
  const { store, counts, gets } = counting(s3Lake)
  const ids = (await resolveMetrics(store, silverFeaturesRoot, ['P'])).metrics
  assert.equal(ids.length, 7)
  assert.equal(counts.slice, 0, 'listing the series reads the newest manifest, not the file')
  const first = await readSilverSeries(store, ids[0], asOfMs)
  const opened = { ...counts }
  for (const id of ids) {
    const remote = id === ids[0] ? first : await readSilverSeries(store, id, asOfMs)
    const here = await readSilverSeries(local, id, asOfMs)
    assert.deepEqual(Array.from(remote.series.values), Array.from(here.series.values), id)
    assert.deepEqual(remote.observed, here.observed, id)
  }
  assert.deepEqual(gets, [silverPackManifestKey('P'), silverPackCutoffManifestKey('P', asOfMs)], 'each manifest is read once')
  assert.equal(counts.list - opened.list, ids.length - 1, 'one listing per further series')
  assert.equal(counts.slice - opened.slice, ids.length - 1, 'one ranged GET per further series')
})

test('SilverReads, the reads of one group: one listing for all the series of a pack, one ranged GET each; the next group lists again', { timeout: 120_000 }, async () => {
  const { store, counts } = counting(s3Lake)
  const ids = (await resolveMetrics(store, silverFeaturesRoot, ['P'])).metrics
  const before = { ...counts }
  const reads = new SilverReads(store)
  const read = await Promise.all(ids.map((id) => reads.read(id, asOfMs)))
  assert.equal(counts.list - before.list, 1, 'one listing of the cutoff for every series of the group')
  assert.ok(counts.slice - before.slice <= ids.length, `at most one ranged GET per series (${counts.slice - before.slice} for ${ids.length})`)
  for (const [i, id] of ids.entries()) assert.deepEqual(Array.from(read[i].series.values), Array.from((await readSilverSeries(new LocalObjectStore(lakeDir), id, asOfMs)).series.values), id)
  // A new group's reads list again: a pack written since is seen by the next group, not by this one.
  const again = { ...counts }
  await reads.read(ids[0], asOfMs)
  assert.equal(counts.list, again.list, 'the same group does not list again')
  await new SilverReads(store).read(ids[0], asOfMs)
  assert.equal(counts.list, again.list + 1, 'a new group lists again')
})

test('SilverReads.prefetch: a group\'s row groups in one ranged GET, then its series read from it, the same rows', { timeout: 120_000 }, async () => {
  const { store, counts } = counting(s3Lake)
  // Another uri: this process's pack cache then opens the file through this counter.
  Object.defineProperty(store, 'uri', { value: `${s3Lake.uri}#prefetch` })
  const ids = (await resolveMetrics(store, silverFeaturesRoot, ['P'])).metrics
  const reads = new SilverReads(store)
  const before = counts.slice
  await reads.prefetch(ids, asOfMs)
  const fetched = counts.slice - before
  const read = await Promise.all(ids.map((id) => reads.read(id, asOfMs)))
  assert.equal(counts.slice - before - fetched, 0, 'no ranged GET per series after the prefetch')
  assert.ok(fetched <= 4, `the footer and the group's row groups: ${fetched} ranged GETs`)
  const local = new LocalObjectStore(lakeDir)
  for (const [i, id] of ids.entries()) {
    const here = await readSilverSeries(local, id, asOfMs)
    assert.deepEqual(Array.from(read[i].series.values), Array.from(here.series.values), id)
    assert.deepEqual(read[i].observed, here.observed, id)
  }
  // Series far apart in the pack are not fetched as one span: their reads fetch their own.
  const far = new SilverReads(store)
  const spread = counts.slice
  await far.prefetch([ids[0], ids[ids.length - 1]], asOfMs)
  assert.equal(counts.slice, spread, 'nothing fetched for two series with the others between them')
})

test('a backfill writes its own pack and never moves the newest manifest back', { timeout: 120_000 }, async () => {
  const newest = readFileSync(join(lakeDir, silverPackManifestKey('P')))
  const backfill = await runCli(['features', '--metrics', 'P', '--as-of', '2024-01-03T00:00:00Z', '--run-id', 'pack-backfill'], { cwd, env: { GRAS_CONFIG: config } })
  assert.equal(backfill.code, 0, backfill.stderr)
  assert.deepEqual(readFileSync(join(lakeDir, silverPackManifestKey('P'))), newest)
  const own = JSON.parse(readFileSync(join(lakeDir, silverPackCutoffManifestKey('P', backfillMs)), 'utf8'))
  assert.deepEqual([own.runId, own.window.end, own.dataKey], ['pack-backfill', '2024-01-03T00:00:00Z', silverPackFeaturesKey('P', backfillMs)])
  const lake = new LocalObjectStore(lakeDir)
  assert.equal((await readSilverSeries(lake, 'P~region=eu~store=s0', backfillMs)).manifest.runId, 'pack-backfill')
  assert.equal((await readSilverSeries(lake, 'P~region=eu~store=s0')).manifest.runId, 'pack-1')
  await assert.rejects(readSilverSeries(lake, 'P~region=eu~store=s0', backfillMs - hour), (error: Error) => {
    assert.ok(error instanceof InputMissingError)
    assert.match(error.message, /pack=P\/cutoff=20240102T230000Z\/_manifest\.json missing; the newest, 2024-01-04T00:00:00Z, is later/)
    return true
  })
  const logged = backfill.logs.find((l) => l.msg === 'features written')
  assert.equal(logged?.latest, false)
})

test('a cutoff from before packs: a series\' own folder, as the previous release wrote it, still serves a read at that cutoff', { timeout: 120_000 }, async () => {
  const lake = new LocalObjectStore(lakeDir)
  const seriesId = 'P~region=eu~store=s0'
  const oldCutoff = Date.parse('2024-01-02T00:00:00Z')
  // The previous release's layout: silver/gras/features/metric=<series id>/cutoff=<C>/, a one-series manifest.
  const n = 24
  const ts = Float64Array.from({ length: n }, (_, i) => oldCutoff - (n - i) * hour)
  const values = Float64Array.from({ length: n }, (_, i) => 100 + i)
  const dataKey = silverFeaturesKey(seriesId, oldCutoff)
  const data = encodeParquet([{ name: 'ts', type: 'TIMESTAMP', data: ts }, { name: 'value', type: 'DOUBLE', data: values }, { name: 'observed', type: 'BOOLEAN', data: Array(n).fill(true) }], {})
  const iso = (ms: number) => new Date(ms).toISOString().replace('.000Z', 'Z')
  await writeSilver(lake, { schemaVersion: 1, metricId: 'P', seriesId, dimensions: { region: 'eu', store: 's0' }, runId: 'before-packs', dataKey, rows: n, stepMs: hour, startTs: iso(ts[0]), endTs: iso(oldCutoff), filledSteps: 0, window: { start: iso(ts[0]), end: iso(oldCutoff) }, inputFiles: [], quarantined: [], bytesRead: 0 }, data)
  const read = await new SilverReads(lake).read(seriesId, oldCutoff)
  assert.equal(read.manifest.runId, 'before-packs')
  assert.deepEqual([...read.series.values], [...values])
  // Newer cutoffs still come from the pack, and a series with no folder still gets the pack's error.
  assert.equal((await new SilverReads(lake).read(seriesId, asOfMs)).manifest.runId, 'pack-1')
  await assert.rejects(new SilverReads(lake).read('P~region=us~store=s0', oldCutoff), (error: Error) => error instanceof InputMissingError && /is later/.test(error.message))
})

test('a malformed or inconsistent pack manifest is a DataError naming its key; the jobs exit 65 with one line naming it', { timeout: 120_000 }, async () => {
  const key = silverPackManifestKey('P')
  const path = join(lakeDir, key)
  const original = readFileSync(path, 'utf8')
  const lake = new LocalObjectStore(lakeDir)
  const cases: [string, (m: Record<string, any>) => void, RegExp][] = [
    ['a field of the wrong type', (m) => (m.series[1].rows = 'many'), /series\[1\]\.rows: Invalid input: expected number/],
    ['rows not contiguous', (m) => (m.series[2].rowStart += 1), /series\[2\]\.rowStart: \d+ \(expected \d+, the end of the series before it\)/],
    ['series out of order', (m) => ([m.series[0].seriesId, m.series[1].seriesId] = [m.series[1].seriesId, m.series[0].seriesId]), /series\[1\]\.seriesId: \S+ does not sort after/],
    ['another metric\'s series', (m) => (m.series[0].seriesId = 'Q~region=eu~store=s0'), /is not a series id of metric P/],
    ['the file\'s size', (m) => (m.dataBytes += 1), /features\.parquet has \d+ bytes \(expected \d+ from silver\/gras\/features\/pack=P\/newest\/_manifest\.json\)/],
  ]
  try {
    for (const [what, change, message] of cases) {
      const doc = JSON.parse(original)
      change(doc)
      writeFileSync(path, JSON.stringify(doc, null, 2))
      await assert.rejects(readSilverSeries(lake, 'P~region=eu~store=s0'), (error: Error) => {
        assert.ok(error instanceof DataError, `${what}: ${error.message}`)
        assert.ok(error.message.includes(key.replace('newest/_manifest.json', '')), `${what}: ${error.message}`)
        assert.match(error.message, message, what)
        return true
      })
    }
    writeFileSync(path, original.replace('"series"', '"series_"'))
    // An hour later: no pack of that cutoff, so the jobs list the series from the newest manifest.
    const train = await runCli(['train', '--metrics', 'P', '--as-of', new Date(asOfMs + hour).toISOString()], { cwd, env: { GRAS_CONFIG: config } })
    assert.equal(train.code, 65, train.stderr)
    assertOneErrorLine(train, /P: silver\/gras\/features\/pack=P\/newest\/_manifest\.json: series: Invalid input/)
  } finally {
    writeFileSync(path, original)
  }
})

test('resolveMetrics lists a metric\'s series from the pack of the run\'s cutoff when given one: every shard of a run groups the same list', { timeout: 120_000 }, async () => {
  // As of 2024-01-02 the late series (its first event on that day) is in no pack yet.
  const early = Date.parse('2024-01-02T00:00:00Z')
  const features = await runCli(['features', '--metrics', 'P', '--as-of', '2024-01-02T00:00:00Z', '--run-id', 'pack-early'], { cwd, env: { GRAS_CONFIG: config } })
  assert.equal(features.code, 0, features.stderr)
  const lake = new LocalObjectStore(lakeDir)
  const newest = (await resolveMetrics(lake, silverFeaturesRoot, ['P'])).metrics
  const ofCutoff = (await resolveMetrics(lake, silverFeaturesRoot, ['P'], undefined, () => early)).metrics
  assert.equal(newest.length, 7)
  assert.deepEqual(ofCutoff, newest.filter((id) => ofCutoff.includes(id)))
  assert.equal(ofCutoff.length, 6, `the cutoff's pack: ${ofCutoff.join(' ')}`)
  // A cutoff without a pack of its own lists the newest.
  assert.deepEqual((await resolveMetrics(lake, silverFeaturesRoot, ['P'], undefined, () => early + hour)).metrics, newest)
})
