import { test } from 'node:test'
import assert from 'node:assert/strict'
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { parquetWriteBuffer } from 'hyparquet-writer'
import { parquetMetadata } from 'hyparquet'
import { readEvents } from '../../../jobs/io/parquet-read.js'
import { LocalObjectStore } from '../../../jobs/io/local-store.js'
import { DataError } from '../../../jobs/runtime/errors.js'
import { fixturesDir } from '../../helpers/paths.js'

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
  await assert.rejects(readEvents(stringTs, 'f1'), /f1: column ts has type BYTE_ARRAY\/UTF8 \(expected TIMESTAMP millis or micros\)/)
  const stringValue = parquetBytes([{ name: 'ts', data: ts.map((t) => new Date(t)), type: 'TIMESTAMP' }, { name: 'value', data: ['a', 'b'], type: 'STRING' }])
  await assert.rejects(readEvents(stringValue, 'f2'), /f2: column value has type BYTE_ARRAY\/UTF8 \(expected DOUBLE, FLOAT or INT64\)/)
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
