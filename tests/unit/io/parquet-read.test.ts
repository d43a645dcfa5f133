import { test } from 'node:test'
import assert from 'node:assert/strict'
import { readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { gzipSync } from 'node:zlib'
import { DuckDBInstance } from '@duckdb/node-api'
import { parquetWriteBuffer } from 'hyparquet-writer'
import { parquetMetadata } from 'hyparquet'
import { readEvents, readLimits } from '../../../jobs/io/parquet-read.js'
import { IsolatedParquetReader } from '../../../jobs/io/parquet-isolated.js'
import { LocalObjectStore } from '../../../jobs/io/local-store.js'
import { DataError } from '../../../jobs/core/errors.js'
import { fixturesDir, tempDir } from '../../helpers/paths.js'
import { Codec, dictionaryBombSpec, encodeParquet, eventsFileSpec, ParquetType, type FileSpec } from '../../helpers/parquet-bytes.js'

const foreign = join(fixturesDir, 'foreign')
const expected = JSON.parse(readFileSync(join(foreign, 'expected.json'), 'utf8')) as Record<string, { rows: number; total: number; firstMs: number; lastMs: number; rowGroups: number }>

for (const [file, want] of Object.entries(expected)) {
  test(`reads ${file} as DuckDB does, fetching only the ts and value chunks`, async () => {
    const store = new LocalObjectStore(foreign)
    const info = (await store.list('')).find((f) => f.key === file)!
    const buffer = await store.openBuffer(info)
    const events = await readEvents(buffer, file)
    assert.equal(events.tsMs.length, want.rows)
    let total = 0
    for (const v of events.values) total += v
    assert.ok(Math.abs(total - want.total) < 1e-6 * want.total, `sum ${total} vs ${want.total}`)
    assert.equal(events.tsMs[0], want.firstMs)
    assert.equal(events.tsMs[events.tsMs.length - 1], want.lastMs)
    assert.equal(parquetMetadata(readFileSync(join(foreign, file)).buffer).row_groups.length, want.rowGroups)
    // The wide payload column is most of the file: reading it would fetch well over half.
    assert.ok(buffer.bytesFetched < info.size / 3, `fetched ${buffer.bytesFetched} of ${info.size} bytes`)
  })
}

function parquetBytes(columnData: Parameters<typeof parquetWriteBuffer>[0]['columnData']): ArrayBuffer {
  return parquetWriteBuffer({ columnData })
}

const ts = [Date.UTC(2024, 0, 29), Date.UTC(2024, 0, 29, 1)]

test('a file without ts or value is a DataError naming the file and the column', async () => {
  const bytes = parquetBytes([{ name: 'time', data: ts.map((t) => new Date(t)), type: 'TIMESTAMP' }, { name: 'value', data: [1, 2], type: 'DOUBLE' }])
  await assert.rejects(readEvents(bytes, 'bronze/x.parquet'), (e: unknown) => e instanceof DataError && /bronze\/x\.parquet: missing column ts \(found time, value\)/.test((e as Error).message))
})

test('wrong types are DataErrors naming the column and the types', async () => {
  const stringTs = parquetBytes([{ name: 'ts', data: ['2024-01-29', '2024-01-30'], type: 'STRING' }, { name: 'value', data: [1, 2], type: 'DOUBLE' }])
  await assert.rejects(readEvents(stringTs, 'f1'), /f1: column ts has type BYTE_ARRAY\/UTF8 \(expected TIMESTAMP millis, micros or nanos, or INT96\)/)
  const stringValue = parquetBytes([{ name: 'ts', data: ts.map((t) => new Date(t)), type: 'TIMESTAMP' }, { name: 'value', data: ['a', 'b'], type: 'STRING' }])
  await assert.rejects(readEvents(stringValue, 'f2'), /f2: column value has type BYTE_ARRAY\/UTF8 \(expected DOUBLE, FLOAT, INT32 or INT64\)/)
})

test('corrupt and truncated files are DataErrors naming the file', async () => {
  const good = new Uint8Array(parquetBytes([{ name: 'ts', data: ts.map((t) => new Date(t)), type: 'TIMESTAMP' }, { name: 'value', data: [1, 2], type: 'DOUBLE' }]))
  const events = await readEvents(good.buffer, 'good')
  assert.deepEqual(Array.from(events.values), [1, 2])
  await assert.rejects(readEvents(good.slice(0, good.length - 20).buffer, 'truncated.parquet'), /parquet: truncated\.parquet is not a readable Parquet file/)
  await assert.rejects(readEvents(new Uint8Array(0).buffer, 'empty.parquet'), /parquet: empty\.parquet is not a readable Parquet file/)
  const garbled = good.slice()
  for (let i = 4; i < garbled.length - 8; i++) garbled[i] = (garbled[i] * 31 + 7) & 0xff
  await assert.rejects(readEvents(garbled.buffer, 'garbled.parquet'), (e: unknown) => e instanceof DataError && /garbled\.parquet/.test((e as Error).message))
})

test('nulls become NaN so the contract check can report them', async () => {
  const bytes = parquetBytes([{ name: 'ts', data: ts.map((t) => new Date(t)), type: 'TIMESTAMP' }, { name: 'value', data: [1, null], type: 'DOUBLE' }])
  const events = await readEvents(bytes, 'nulls')
  assert.ok(Number.isNaN(events.values[1]))
})

// Hand-made files whose metadata contradicts itself (tests/helpers/parquet-bytes.ts): each is
// corrupt and refused whole, never read in part. DuckDB, reading the same bytes, shows they are
// well-formed Parquet apart from the contradiction.
const day = Date.UTC(2024, 0, 29)
const micros72 = Array.from({ length: 72 }, (_, i) => BigInt(day + i * 60_000) * 1000n)
const values72 = micros72.map((_, i) => i)
const handMade = (edit: (spec: FileSpec) => void = () => {}, ts = micros72, values = values72, groups = 3) => {
  const spec = eventsFileSpec(ts, values, groups)
  edit(spec)
  return encodeParquet(spec)
}

async function duckdbRows(bytes: Uint8Array): Promise<number> {
  const dir = tempDir('duck-read')
  const path = join(dir, 'f.parquet')
  writeFileSync(path, bytes)
  const instance = await DuckDBInstance.create(':memory:')
  const db = await instance.connect()
  try {
    return Number((await db.runAndReadAll(`select count(*)::int from read_parquet('${path}')`)).getRows()[0][0])
  } finally {
    db.closeSync()
  }
}

test('a footer num_rows smaller than its row groups (10 vs 72) is corrupt, not 10 rows read', async () => {
  const good = handMade()
  assert.equal((await readEvents(good.buffer as ArrayBuffer, 'good.parquet')).tsMs.length, 72)
  const lying = handMade((spec) => (spec.numRows = 10))
  assert.equal(await duckdbRows(lying), 72, 'DuckDB reads the row groups')
  await assert.rejects(readEvents(lying.buffer as ArrayBuffer, 'lying.parquet'), /lying\.parquet: the footer declares 10 rows but its 3 row group\(s\) hold 72 \(corrupt metadata\)/)
})

test('row group, column chunk and page value counts must agree', async () => {
  const pageLies = handMade((spec) => (spec.rowGroups[1].chunks[0].pages[0].values = 30))
  await assert.rejects(readEvents(pageLies.buffer as ArrayBuffer, 'p.parquet'), /p\.parquet: column ts \(row group 1\): pages hold 30 values, the column chunk declares 24 and its row group 24 rows/)
  const chunkLies = handMade((spec) => (spec.rowGroups[2].chunks[1].numValues = 20))
  await assert.rejects(readEvents(chunkLies.buffer as ArrayBuffer, 'c.parquet'), /c\.parquet: column value \(row group 2\): pages hold 24 values, the column chunk declares 20/)
  const duplicated = handMade((spec) => spec.schema.push({ name: 'value', type: ParquetType.DOUBLE }))
  await assert.rejects(readEvents(duplicated.buffer as ArrayBuffer, 'd.parquet'), /d\.parquet: 2 columns named value \(expected one\)/)
})

test('a page that inflates past what its chunk declares is corrupt (a 4 MiB gzip page in a chunk declaring 1,000 bytes)', async () => {
  const bomb = gzipSync(new Uint8Array(4 * 1024 * 1024))
  const bytes = handMade((spec) => {
    spec.rowGroups[0].chunks[1] = { column: 'value', type: ParquetType.DOUBLE, codec: Codec.GZIP, numValues: 24, totalUncompressed: 1000, pages: [{ values: 24, uncompressedSize: 4 * 1024 * 1024, body: bomb }] }
  })
  await assert.rejects(readEvents(bytes.buffer as ArrayBuffer, 'bomb.parquet'), /bomb\.parquet: column value \(row group 0\): pages inflate to 4194\d+ bytes, more than the 1000 the column chunk declares/)
})

test('the decoded-size budget is charged as pages are decompressed: an honest 1.4 GB page is refused before it is allocated', async () => {
  const declared = 1_400_000_000
  const bytes = handMade((spec) => {
    spec.rowGroups[0].chunks[1] = { column: 'value', type: ParquetType.DOUBLE, codec: Codec.GZIP, numValues: 24, totalUncompressed: declared + 100, pages: [{ values: 24, uncompressedSize: declared, body: gzipSync(new Uint8Array(1024)) }] }
  })
  const reader = new IsolatedParquetReader(10_000)
  try {
    const file = { byteLength: bytes.length, bytesFetched: 0, slice: (a: number, b?: number) => bytes.slice(a, b).buffer as ArrayBuffer }
    await assert.rejects(reader.read(file, 'honest-bomb.parquet'), /honest-bomb\.parquet: cannot decode column data: decoded size budget exceeded by a GZIP page of 1400000000 bytes/)
  } finally {
    await reader.close()
  }
  // The same budget, smaller: pages are charged as decompressed, the footer's claim is not trusted.
  const small = handMade((spec) => {
    spec.rowGroups[0].chunks[1] = { column: 'value', type: ParquetType.DOUBLE, codec: Codec.GZIP, numValues: 24, totalUncompressed: 1 << 20, pages: [{ values: 24, uncompressedSize: 512 * 1024, body: gzipSync(new Uint8Array(512 * 1024)) }] }
  })
  await assert.rejects(readEvents(small.buffer as ArrayBuffer, 's.parquet', { ...readLimits, maxDecodedBytes: 256 * 1024 }), /s\.parquet: cannot decode column data: decoded size budget exceeded by a GZIP page of 524288 bytes/)
})

test('a 1 KB file declaring 50M rows is refused before anything is allocated for them', async () => {
  const rows = 50_000_000
  const bytes = handMade(
    (spec) => {
      spec.numRows = rows
      spec.rowGroups[0].numRows = rows
      for (const chunk of spec.rowGroups[0].chunks) {
        chunk.numValues = rows
        chunk.pages[0].values = rows
      }
    },
    micros72.slice(0, 1),
    [1],
    1,
  )
  assert.ok(bytes.length < 1024)
  await assert.rejects(readEvents(bytes.buffer as ArrayBuffer, 'rows.parquet'), /rows\.parquet: decoded size budget exceeded by 50000000 rows of ts and value/)
})

test('microseconds survive: events 800 µs apart are distinct and exact to the microsecond', async () => {
  const ts = [BigInt(day) * 1000n, BigInt(day) * 1000n + 800n, BigInt(day) * 1000n + 1_000_001n]
  const events = await readEvents(handMade(undefined, ts, [1, 2, 3], 1).buffer as ArrayBuffer, 'us.parquet')
  assert.deepEqual(Array.from(events.tsMs, (t) => Math.round((t - day) * 1000)), [0, 800, 1_000_001])
})

test('a decode that reaches the worker heap limit is a DataError naming the file, and the next file is read by a fresh worker', async () => {
  // 8M rows of one dictionary value: a few bytes of RLE that decode to arrays far above a 64 MiB heap.
  const bomb = encodeParquet(dictionaryBombSpec(8_000_000, micros72[0], 1))
  const reader = new IsolatedParquetReader(20_000, { maxOldGenerationSizeMb: 64, maxYoungGenerationSizeMb: 16 })
  const asFile = (bytes: Uint8Array) => ({ byteLength: bytes.length, bytesFetched: 0, slice: (a: number, b?: number) => bytes.slice(a, b).buffer as ArrayBuffer })
  try {
    await assert.rejects(reader.read(asFile(bomb), 'heap-bomb.parquet'), (e: unknown) => e instanceof DataError && /heap-bomb\.parquet: the decoder failed: .*(memory|heap)/i.test((e as Error).message))
    assert.equal((await reader.read(asFile(handMade()), 'after.parquet')).tsMs.length, 72)
  } finally {
    await reader.close()
  }
})

test('a small file (an hour of events) is read in one request: the footer fetch keeps the bytes its chunks sit in', async () => {
  const bytes = handMade()
  const slices: [number, number][] = []
  const counting = {
    byteLength: bytes.byteLength,
    async slice(start: number, end?: number): Promise<ArrayBuffer> {
      slices.push([start, end ?? bytes.byteLength])
      return bytes.slice(start, end).buffer as ArrayBuffer
    },
  }
  assert.ok(bytes.byteLength < 16 * 1024, `the hand-made file is small (${bytes.byteLength} bytes)`)
  assert.equal((await readEvents(counting, 'small.parquet')).tsMs.length, 72)
  assert.deepEqual(slices, [[0, bytes.byteLength]])
})
