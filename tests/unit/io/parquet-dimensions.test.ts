/**
 * The reader with a metric's dimension columns, on files DuckDB writes: every row's tuple of
 * dimension values (dictionary-encoded and plain strings, nulls, non-ASCII, a `/` and spaces,
 * integers) as DuckDB reads it, the other columns left unfetched, the dimension columns charged
 * to the decode budget, and what is not a dimension refused naming the column and its type.
 */
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { DuckDBInstance } from '@duckdb/node-api'
import { readEvents, readLimits } from '../../../jobs/io/parquet-read.js'
import { IsolatedParquetReader } from '../../../jobs/io/parquet-isolated.js'
import { LocalObjectStore } from '../../../jobs/io/local-store.js'
import type { EventBatch } from '../../../jobs/core/series.js'
import { tempDir } from '../../helpers/paths.js'

const dir = tempDir('parquet-dims')
const instance = await DuckDBInstance.create(':memory:')
const db = await instance.connect()
await db.run(`set timezone = 'UTC'`)

/** Writes `select` to `<name>.parquet` with DuckDB; returns its bytes. */
async function duck(name: string, select: string, options = ''): Promise<ArrayBuffer> {
  const path = join(dir, `${name}.parquet`)
  await db.run(`copy (${select}) to '${path}' (format parquet${options})`)
  const bytes = readFileSync(path)
  return bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer
}

const regions = `['eu', 'us west/coast', 'Zürich 東京', null]`
const events = `select timestamp '2024-01-29 00:00:00' + to_minutes(i) as ts, (i * 0.5)::double as value,
  ${regions}[1 + i % 4] as region, ['web', 'app'][1 + (i // 4) % 2] as channel, (i % 3)::int as shard,
  ${Array.from({ length: 8 }, (_, k) => `md5((i + ${k * 1000})::varchar)`).join(' || ')} as payload from range(0, 600) t(i)`

function tuplesOfRows(batch: EventBatch): string[] {
  const series = batch.series!
  return Array.from(series.index, (t) => JSON.stringify(series.tuples[t]))
}

async function duckTuples(path: string, columns: string[]): Promise<string[]> {
  const rows = (await db.runAndReadAll(`select ${columns.map((c) => `${c}::varchar`).join(', ')} from read_parquet('${path}')`)).getRows()
  return rows.map((r) => JSON.stringify(r.map((v) => (v === null || v === '' ? null : String(v)))))
}

test('each row gets its tuple of dimension values as DuckDB reads them, dictionary-encoded or plain, with nulls', async () => {
  for (const [name, options] of [['dict', ''], ['plain', ', dictionary_size_limit 1'], ['groups', ', row_group_size 128']] as const) {
    const bytes = await duck(name, events, options)
    const batch = await readEvents(bytes, `${name}.parquet`, readLimits, ['region', 'channel', 'shard'])
    assert.equal(batch.tsMs.length, 600)
    assert.deepEqual(batch.series!.names, ['region', 'channel', 'shard'])
    assert.equal(batch.series!.tuples.length, 24, `${name}: 4 regions x 2 channels x 3 shards`)
    assert.deepEqual(tuplesOfRows(batch), await duckTuples(join(dir, `${name}.parquet`), ['region', 'channel', 'shard']), name)
    assert.ok(batch.series!.tuples.some((t) => t[0] === null), 'a null region is "no value"')
    assert.ok(batch.series!.tuples.some((t) => t[0] === 'Zürich 東京'))
    assert.ok(batch.series!.tuples.some((t) => t[0] === 'us west/coast'))
  }
})

test('without dimensions the batch has no series, and only the declared columns are fetched (not the wide payload)', async () => {
  await duck('wide', events)
  const store = new LocalObjectStore(dir)
  const info = (await store.list('')).find((f) => f.key === 'wide.parquet')!
  const plain = await store.openBuffer(info)
  assert.equal((await readEvents(plain, 'wide.parquet')).series, undefined)
  const withDims = await store.openBuffer(info)
  await readEvents(withDims, 'wide.parquet', readLimits, ['region', 'channel'])
  assert.ok(withDims.bytesFetched < info.size / 2, `fetched ${withDims.bytesFetched} of ${info.size} bytes`)
})

test('the dimension columns are charged to the decode budget', async () => {
  const bytes = await duck('budget', events)
  const fits = async (maxDecodedBytes: number, dimensions: string[]) => readEvents(bytes, 'budget.parquet', { ...readLimits, maxDecodedBytes }, dimensions).then(() => true, () => false)
  // The smallest budget ts and value fit in, to 1 KB.
  let low = 0
  let high = 1 << 24
  while (high - low > 1024) {
    const mid = (low + high) >> 1
    if (await fits(mid, [])) high = mid
    else low = mid
  }
  assert.ok(await fits(high, []))
  await assert.rejects(readEvents(bytes, 'budget.parquet', { ...readLimits, maxDecodedBytes: high }, ['region', 'channel']), /budget\.parquet: decoded size budget exceeded by/)
  assert.ok(await fits(high + 600 * 2 * 24 + 64 * 1024, ['region', 'channel']), 'with room for the two columns it fits')
})

test('a missing dimension column, or one of another type, is refused naming the column and its type', async () => {
  const missing = await duck('missing', `select ts, value, channel from (${events})`)
  await assert.rejects(readEvents(missing, 'missing.parquet', readLimits, ['region', 'channel']), /missing\.parquet: missing dimension column region \(found ts, value, channel\)/)
  const cases: [string, string, RegExp][] = [
    ['double', 'value::double', /dimension column region has type DOUBLE \(expected BYTE_ARRAY annotated UTF8\/STRING, INT32 or INT64\)/],
    ['blob', `channel::blob`, /dimension column region has type BYTE_ARRAY \(expected/],
    ['date', `date '2024-01-01'`, /dimension column region has type INT32\/DATE/],
    ['list', `[region]`, /dimension column region has type group\/LIST/],
  ]
  for (const [name, expr, pattern] of cases) {
    const bytes = await duck(name, `select ts, value, ${expr} as region from (${events})`)
    await assert.rejects(readEvents(bytes, `${name}.parquet`, readLimits, ['region']), pattern, name)
  }
})

test('the decode worker returns the same series as the in-process reader', async () => {
  const bytes = new Uint8Array(await duck('worker', events))
  const reader = new IsolatedParquetReader(10_000)
  try {
    const file = { byteLength: bytes.length, bytesFetched: 0, slice: (a: number, b?: number) => bytes.slice(a, b).buffer as ArrayBuffer }
    const viaWorker = await reader.read(file, 'worker.parquet', ['channel', 'region'])
    const inProcess = await readEvents(bytes.buffer as ArrayBuffer, 'worker.parquet', readLimits, ['channel', 'region'])
    assert.deepEqual(viaWorker.series!.tuples, inProcess.series!.tuples)
    assert.deepEqual(Array.from(viaWorker.series!.index), Array.from(inProcess.series!.index))
    assert.deepEqual(viaWorker.series!.names, ['channel', 'region'])
  } finally {
    await reader.close()
  }
})

test.after(() => db.closeSync())
