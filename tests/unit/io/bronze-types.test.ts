/**
 * The bronze reader's type whitelist against files other writers made: DuckDB (@duckdb/node-api)
 * writes every type it can, and its own read of the file is the expected value; hand-made bytes
 * (tests/helpers/parquet-bytes.ts) cover the annotations DuckDB never writes alone (an INT32
 * whose only annotation is the converted type DATE, as older parquet-mr writes it; a repeated
 * primitive, as parquet-protobuf writes lists; contradicting annotations).
 */
import { test, after } from 'node:test'
import assert from 'node:assert/strict'
import { readFileSync, rmSync } from 'node:fs'
import { join } from 'node:path'
import { DuckDBInstance } from '@duckdb/node-api'
import { readEvents } from '../../../jobs/io/parquet-read.js'
import { DataError } from '../../../jobs/core/errors.js'
import { tempDir } from '../../helpers/paths.js'
import { Codec, Converted, encodeParquet, eventsFileSpec, integerLogical, ParquetType, plainDouble, plainInt32, plainInt64, timestampLogical, type FileSpec } from '../../helpers/parquet-bytes.js'

const dir = tempDir('bronze-types')
const instance = await DuckDBInstance.create(':memory:')
const db = await instance.connect()
await db.run(`set timezone = 'UTC'`)
after(() => {
  db.closeSync()
  rmSync(dir, { recursive: true, force: true })
})

const bytesOf = (path: string) => {
  const b = readFileSync(path)
  return b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength) as ArrayBuffer
}

let fileCount = 0
/** Writes `select <ts> as ts, <value> as value from range(24)` with DuckDB; returns the path. */
async function duckdbFile(ts: string, value: string): Promise<string> {
  const path = join(dir, `f${fileCount++}.parquet`)
  await db.run(`copy (select ${ts} as ts, ${value} as value from range(0, 24) t(i)) to '${path}' (format parquet)`)
  return path
}

async function duckdbTruth(path: string): Promise<{ rows: number; total: number }> {
  const result = await db.runAndReadAll(`select count(*)::int, sum(value::double)::double from read_parquet('${path}')`)
  const [rows, total] = result.getRows()[0]
  return { rows: Number(rows), total: Number(total) }
}

const tsHour = `timestamp '2024-01-29 00:00:00' + to_hours(i)`

test('values DuckDB writes as plain numbers are read exactly as DuckDB reads them', async () => {
  for (const type of ['double', 'float', 'tinyint', 'smallint', 'integer', 'bigint', 'utinyint', 'usmallint', 'uinteger', 'ubigint']) {
    const path = await duckdbFile(tsHour, type.startsWith('u') ? `(i * 7)::${type}` : `(i * 7 - 50)::${type}`)
    const truth = await duckdbTruth(path)
    const events = await readEvents(bytesOf(path), path)
    assert.equal(events.values.length, truth.rows, type)
    assert.equal(events.values.reduce((s, v) => s + v, 0), truth.total, type)
  }
})

test('an integer value beyond 2^53 is refused rather than rounded', async () => {
  const path = await duckdbFile(tsHour, `(2::bigint ** 60)::bigint + i`)
  await assert.rejects(readEvents(bytesOf(path), path), /column value: integer 1152921504606846976 at row 0 is beyond 2\^53/)
})

test('values DuckDB writes as anything but a plain number are refused naming the column and its type', async () => {
  const cases: [string, RegExp][] = [
    [`date '2024-01-01' + i::int`, /column value has type INT32\/DATE/],
    [`time '10:00:00' + to_minutes(i)`, /column value has type INT64\/TIME/],
    [`${tsHour}`, /column value has type INT64\/TIMESTAMP/],
    [`(i * 1.25)::decimal(9,2)`, /column value has type INT32\/DECIMAL/],
    [`(i * 1.25)::decimal(18,3)`, /column value has type INT64\/DECIMAL/],
    [`to_hours(i)`, /column value has type FIXED_LEN_BYTE_ARRAY\/INTERVAL/],
    [`[i::double, i::double]`, /column value has type group\/LIST/],
    [`map([i::varchar], [i::double])`, /column value has type group\/MAP/],
    [`{'a': i::double}`, /column value has type group \(expected/],
    [`i::varchar`, /column value has type BYTE_ARRAY\/UTF8/],
    [`i % 2 = 0`, /column value has type BOOLEAN/],
    [`uuid()`, /column value has type FIXED_LEN_BYTE_ARRAY\/UUID/],
  ]
  for (const [value, pattern] of cases) {
    const path = await duckdbFile(tsHour, value)
    await assert.rejects(readEvents(bytesOf(path), path), (e: unknown) => e instanceof DataError && pattern.test((e as Error).message) && (e as Error).message.includes(path), value)
  }
})

test('ts: DuckDB timestamps of every unit are read to the microsecond; dates, times and numbers are refused', async () => {
  const micros = await duckdbFile(`timestamp '2024-01-29 00:00:00' + to_microseconds(i * 800)`, 'i::double')
  const events = await readEvents(bytesOf(micros), micros)
  assert.equal(Math.round((events.tsMs[1] - events.tsMs[0]) * 1000), 800, '800 µs apart stay 800 µs apart')
  assert.equal(new Set(events.tsMs).size, 24)
  for (const ts of [`(${tsHour})::timestamp_ms`, `(${tsHour})::timestamptz`, `(${tsHour})::timestamp_ns`, `(${tsHour})::timestamp_s`]) {
    const path = await duckdbFile(ts, 'i::double')
    const read = await readEvents(bytesOf(path), path)
    assert.equal(read.tsMs[5], Date.UTC(2024, 0, 29, 5), ts)
  }
  const subMicro = await duckdbFile(`case when i = 0 then '2024-01-29 00:00:00.000000500'::timestamp_ns else (${tsHour})::timestamp_ns end`, 'i::double')
  await assert.rejects(readEvents(bytesOf(subMicro), subMicro), /column ts: timestamp 1706486400000000500 ns is not a whole microsecond/, 'nanoseconds are not rounded away')
  for (const [ts, pattern] of [[`date '2024-01-29' + 0`, /column ts has type INT32\/DATE/], [`time '10:00:00'`, /column ts has type INT64\/TIME/], ['i::bigint', /column ts has type INT64/]] as const) {
    const path = await duckdbFile(ts, 'i::double')
    await assert.rejects(readEvents(bytesOf(path), path), pattern, ts)
  }
})

const day = Date.UTC(2024, 0, 29)
const hourMicros = (h: number) => BigInt(day + h * 3_600_000) * 1000n
const tsMicros = Array.from({ length: 24 }, (_, h) => hourMicros(h))

function withValueColumn(schema: FileSpec['schema'][number], body: Uint8Array, type: number): FileSpec {
  const spec = eventsFileSpec(tsMicros, tsMicros.map(() => 0))
  spec.schema[1] = schema
  spec.rowGroups[0].chunks[1] = { column: 'value', type, codec: Codec.UNCOMPRESSED, numValues: 24, pages: [{ values: 24, uncompressedSize: body.length, body }] }
  return spec
}

test('hand-made annotations: an INT32 value annotated only with the converted type DATE is refused, not read as days x 86,400,000', async () => {
  const bytes = encodeParquet(withValueColumn({ name: 'value', type: ParquetType.INT32, converted: Converted.DATE }, plainInt32(tsMicros.map(() => 315)), ParquetType.INT32))
  await assert.rejects(readEvents(bytes.buffer as ArrayBuffer, 'date.parquet'), /date\.parquet: column value has type INT32\/DATE \(expected DOUBLE, FLOAT, INT32 or INT64\)/)
})

test('hand-made annotations: value as a timestamp, JSON, ENUM or a contradicting integer width is refused; INTEGER(64,true) and INT_64 are numbers', async () => {
  const int64 = plainInt64(tsMicros.map((_, i) => i * 3))
  const refused: [FileSpec['schema'][number], RegExp][] = [
    [{ name: 'value', type: ParquetType.INT64, converted: Converted.TIMESTAMP_MICROS }, /column value has type INT64\/TIMESTAMP_MICROS/],
    [{ name: 'value', type: ParquetType.INT64, logical: timestampLogical('MILLIS') }, /column value has type INT64\/TIMESTAMP\(MILLIS\)/],
    [{ name: 'value', type: ParquetType.INT64, converted: Converted.INT_64, logical: integerLogical(32, true) }, /column value has type INT64\/INT_64\/INTEGER\(32,true\)/],
    [{ name: 'value', type: ParquetType.INT64, converted: Converted.TIME_MICROS }, /column value has type INT64\/TIME_MICROS/],
  ]
  for (const [schema, pattern] of refused) {
    await assert.rejects(readEvents(encodeParquet(withValueColumn(schema, int64, ParquetType.INT64)).buffer as ArrayBuffer, 'v.parquet'), pattern)
  }
  const strings = new Uint8Array([...Array(24)].flatMap(() => [1, 0, 0, 0, 0x31]))
  for (const converted of [Converted.JSON, Converted.ENUM]) {
    await assert.rejects(readEvents(encodeParquet(withValueColumn({ name: 'value', type: ParquetType.BYTE_ARRAY, converted }, strings, ParquetType.BYTE_ARRAY)).buffer as ArrayBuffer, 'v.parquet'), /column value has type BYTE_ARRAY\/(JSON|ENUM)/)
  }
  for (const schema of [{ name: 'value', type: ParquetType.INT64, logical: integerLogical(64, true) }, { name: 'value', type: ParquetType.INT64, converted: Converted.INT_64 }]) {
    const events = await readEvents(encodeParquet(withValueColumn(schema, int64, ParquetType.INT64)).buffer as ArrayBuffer, 'v.parquet')
    assert.equal(events.values[23], 69)
  }
})

test('hand-made: a repeated double value (parquet-protobuf lists) is refused naming the column', async () => {
  // Three rows [[1, 2], [], [3]]: 4 level entries; rep levels 0,1,0,0 and def levels 1,1,0,1 bit-packed.
  const levels = (bits: number) => [2, 0, 0, 0, 3, bits]
  const body = new Uint8Array([...levels(0b0010), ...levels(0b1011), ...plainDouble([1, 2, 3])])
  const spec = eventsFileSpec(tsMicros.slice(0, 3), [0, 0, 0])
  spec.schema[1] = { name: 'value', type: ParquetType.DOUBLE, repetition: 2 }
  spec.rowGroups[0].chunks[1] = { column: 'value', type: ParquetType.DOUBLE, codec: Codec.UNCOMPRESSED, numValues: 4, pages: [{ values: 4, uncompressedSize: body.length, body }] }
  await assert.rejects(readEvents(encodeParquet(spec).buffer as ArrayBuffer, 'proto.parquet'), /proto\.parquet: column value has type repeated\/DOUBLE/)
})

test('hand-made: ts annotated MILLIS in its converted type but MICROS in its logical type is refused', async () => {
  const spec = eventsFileSpec(tsMicros, tsMicros.map(() => 1))
  spec.schema[0] = { name: 'ts', type: ParquetType.INT64, converted: Converted.TIMESTAMP_MILLIS, logical: timestampLogical('MICROS') }
  await assert.rejects(readEvents(encodeParquet(spec).buffer as ArrayBuffer, 'ts.parquet'), /column ts has type INT64\/TIMESTAMP_MILLIS\/TIMESTAMP\(MICROS\)/)
})
