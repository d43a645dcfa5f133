/**
 * Bad bronze input through the real CLI: every bad file is quarantined with a reason naming the
 * file and field, the good files are still processed, and exit codes follow README "Exit codes".
 */
import { test, before } from 'node:test'
import assert from 'node:assert/strict'
import { copyFileSync, mkdirSync, readFileSync, readdirSync, writeFileSync, existsSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { parquetWriteBuffer } from 'hyparquet-writer'
import { parquetReadObjects } from 'hyparquet'
import { runCli } from '../helpers/run-cli.js'
import { configDir, fixturesDir, tempDir } from '../helpers/paths.js'

const cwd = tempDir('e2e-bad')
const lake = join(cwd, '.gras/lake')
const env = { GRAS_CONFIG: configDir }
const day = Date.UTC(2024, 0, 29)
const hour = 3_600_000
const dayDir = (metric: string) => join(lake, `bronze/gras/metric=${metric}/year=2024/month=01/day=29`)

function write(path: string, bytes: Uint8Array | ArrayBuffer): void {
  mkdirSync(dirname(path), { recursive: true })
  writeFileSync(path, new Uint8Array(bytes))
}

function file(ts: number[], values: (number | null)[], extra: Record<string, unknown> = {}): ArrayBuffer {
  return parquetWriteBuffer({
    columnData: [
      { name: 'ts', data: ts.map((t) => new Date(t)), type: 'TIMESTAMP' },
      { name: 'value', data: values, type: 'DOUBLE' },
      ...Object.entries(extra).map(([name, data]) => ({ name, data: data as unknown[] })),
    ],
  })
}

const hours = (from: number, to: number) => Array.from({ length: to - from }, (_, i) => day + (from + i) * hour)
const expectedBad: Record<string, RegExp> = {
  'corrupt.parquet': /not a readable Parquet file/,
  'truncated.parquet': /not a readable Parquet file/,
  'zero-bytes.parquet': /not a readable Parquet file/,
  'missing-value.parquet': /missing column value/,
  'string-ts.parquet': /column ts has type BYTE_ARRAY\/UTF8/,
  'nan-values.parquet': /value: 1 null, non-finite or out-of-range value\(s\)/,
  'duplicate-ts.parquet': /ts: duplicate timestamp 2024-01-29T20:00:00\.000000Z/,
  'other-day.parquet': /outside the partition day 2024-01-29/,
  // Names only the file it conflicts with (a-good), not every file delivered before it.
  'conflicting.parquet': /ts: 3 timestamp\(s\) already delivered with a different value by bronze\/gras\/metric=G\/year=2024\/month=01\/day=29\/a-good\.parquet \(first 2024-01-29T09:00:00\.000000Z: -1 here, 19 there\)$/,
}

before(() => {
  const g = dayDir('G')
  const good = new Uint8Array(file(hours(0, 12), hours(0, 12).map((_, i) => 10 + i)))
  write(join(g, 'a-good.parquet'), good)
  write(join(g, 'b-good.parquet'), file(hours(12, 18), hours(12, 18).map(() => 5)))
  write(join(g, 'corrupt.parquet'), new TextEncoder().encode('PAR1 this is not parquet at all PAR1'))
  write(join(g, 'truncated.parquet'), good.slice(0, good.length - 30))
  write(join(g, 'zero-bytes.parquet'), new Uint8Array(0))
  write(join(g, 'missing-value.parquet'), parquetWriteBuffer({ columnData: [{ name: 'ts', data: [new Date(day)], type: 'TIMESTAMP' }, { name: 'amount', data: [1], type: 'DOUBLE' }] }))
  write(join(g, 'string-ts.parquet'), parquetWriteBuffer({ columnData: [{ name: 'ts', data: ['2024-01-29T18:00:00Z'], type: 'STRING' }, { name: 'value', data: [1], type: 'DOUBLE' }] }))
  write(join(g, 'nan-values.parquet'), file(hours(18, 20), [1, NaN]))
  write(join(g, 'duplicate-ts.parquet'), file([day + 20 * hour, day + 20 * hour], [1, 2]))
  write(join(g, 'other-day.parquet'), file([day + 21 * hour, day + 30 * hour], [1, 2]))
  // Delivered after a-good: an exact copy is the same events again; new values for 3 of its hours conflict.
  write(join(g, 'redelivered.parquet'), good)
  write(join(g, 'conflicting.parquet'), file(hours(9, 12), [-1, -1, -1]))
  writeFileSync(join(g, 'notes.txt'), 'not parquet: ignored by name')
  // R: files from another writer (DuckDB), several codecs and timestamp units in one partition.
  for (const name of readdirSync(join(fixturesDir, 'foreign')).filter((n) => n.endsWith('.parquet'))) {
    mkdirSync(dayDir('R'), { recursive: true })
    copyFileSync(join(fixturesDir, 'foreign', name), join(dayDir('R'), name))
  }
})

test('bad files are quarantined with reasons, good files still make features', async () => {
  const result = await runCli(['features', '--as-of', '2024-01-30T00:00:00Z', '--run-id', 'bad-1'], { cwd, env })
  // R's three DuckDB files repeat the same timestamps: the float copy has the same values (a
  // re-delivery, counted once), the bigint copy doubled ones (a conflict, quarantined).
  assert.equal(result.code, 0, result.stderr)
  const quarantined = result.logs.filter((l) => l.msg === 'file quarantined')
  const gReasons = new Map(quarantined.filter((l) => l.metric === 'G').map((l) => [String(l.file).split('/').pop()!, String(l.reason)]))
  assert.deepEqual([...gReasons.keys()].sort(), Object.keys(expectedBad).sort())
  for (const [name, pattern] of Object.entries(expectedBad)) {
    assert.match(gReasons.get(name)!, pattern, name)
    const reasonFile = join(lake, 'quarantine', `bronze/gras/metric=G/year=2024/month=01/day=29/${name}.reason.json`)
    const reason = JSON.parse(readFileSync(reasonFile, 'utf8'))
    assert.match(reason.reason, pattern)
    assert.ok(existsSync(reasonFile.replace(/\.reason\.json$/, '')), 'the bad file is copied')
    assert.ok(existsSync(join(dayDir('G'), name)), 'and never removed from bronze')
  }
  const manifest = JSON.parse(readFileSync(join(lake, 'silver/gras/features/metric=G/_manifest.json'), 'utf8'))
  assert.deepEqual(manifest.inputFiles.map((f: { key: string; redelivered?: number }) => [f.key.split('/').pop(), f.redelivered ?? 0]), [['a-good.parquet', 0], ['b-good.parquet', 0], ['redelivered.parquet', 12]])
  assert.equal(manifest.rows, 18)
  const silver = await readSilverValues(join(lake, manifest.dataKey))
  assert.deepEqual(silver, [...hours(0, 12).map((_, i) => 10 + i), ...hours(12, 18).map(() => 5)], 'each event counted once (the config sums per hour)')
  assert.equal(manifest.quarantined.length, Object.keys(expectedBad).length)

  const r = JSON.parse(readFileSync(join(lake, 'silver/gras/features/metric=R/_manifest.json'), 'utf8'))
  assert.deepEqual(r.inputFiles.map((f: { key: string; rows: number; redelivered?: number }) => [f.key.split('/').pop(), f.rows, f.redelivered ?? 0]), [
    ['duckdb-gzip-millis-float.parquet', 8640, 0],
    ['duckdb-snappy-micros-double.parquet', 8640, 8640],
  ])
  assert.deepEqual(r.quarantined.map((q: { key: string }) => q.key.split('/').pop()), ['duckdb-zstd-tz-bigint.parquet'])
  assert.equal(r.rows, 24)

  // Idempotent: a rerun quarantines the same files to the same keys and writes the same features.
  const again = await runCli(['features', '--as-of', '2024-01-30T00:00:00Z', '--run-id', 'bad-1'], { cwd, env })
  assert.equal(again.code, 0)
  assert.deepEqual(JSON.parse(readFileSync(join(lake, 'silver/gras/features/metric=G/_manifest.json'), 'utf8')).inputFiles, manifest.inputFiles)
})

test('unknown metric and empty window exit 66 naming the metric; a bad id exits 64; bad config 78', async () => {
  const unknown = await runCli(['features', '--metrics', 'ZZ', '--as-of', '2024-01-30T00:00:00Z'], { cwd, env })
  assert.equal(unknown.code, 66)
  assert.ok(unknown.logs.some((l) => l.metric === 'ZZ' && /unknown metric ZZ/.test(JSON.stringify(l.err))))
  const empty = await runCli(['features', '--metrics', 'G', '--as-of', '2030-01-01T00:00:00Z'], { cwd, env })
  assert.equal(empty.code, 66)
  assert.ok(empty.logs.some((l) => /empty window/.test(JSON.stringify(l.err))))
  const badId = await runCli(['features', '--metrics', '../etc'], { cwd, env })
  assert.equal(badId.code, 64)
  assert.match(badId.stderr, /--metrics: "\.\.\/etc" is not a valid metric id/)
  const badFlag = await runCli(['features', '--as-of', 'yesterday'], { cwd, env })
  assert.equal(badFlag.code, 64)
  assert.match(badFlag.stderr, /--as-of: "yesterday" is not an ISO-8601 time/)
  const badConfigDir = tempDir('bad-config')
  writeFileSync(join(badConfigDir, 'gras.yaml'), 'defaults:\n  horizon: -1\n')
  const badConfig = await runCli(['features'], { cwd, env: { GRAS_CONFIG: badConfigDir } })
  assert.equal(badConfig.code, 78)
  assert.match(badConfig.stderr, /gras\.yaml: defaults\.horizon/)
  const noModel = await runCli(['infer', '--metrics', 'G'], { cwd, env })
  assert.equal(noModel.code, 66)
  assert.ok(noModel.logs.some((l) => /no approved model/.test(JSON.stringify(l.err))))
})

async function readSilverValues(path: string): Promise<number[]> {
  const bytes = readFileSync(path)
  const rows = await parquetReadObjects({ file: bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer, columns: ['value'] })
  return rows.map((row) => row.value as number)
}
