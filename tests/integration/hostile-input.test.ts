/**
 * Hostile and broken input: a seeded fuzzer over Parquet bytes (a few hundred cases here;
 * bench/reliability.ts runs more) and a corpus of bad files and bad metric partitions through the
 * real CLI. Nothing crashes or hangs, every error names its input, bad files are quarantined, good
 * ones processed, and nothing is written outside the lake.
 */
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { mkdirSync, readFileSync, readdirSync, writeFileSync, statSync } from 'node:fs'
import { join, relative } from 'node:path'
import { parquetWriteBuffer } from 'hyparquet-writer'
import { IsolatedParquetReader } from '../../jobs/io/parquet-isolated.js'
import { findEventProblem } from '../../jobs/features/check-events.js'
import { DataError } from '../../jobs/core/errors.js'
import { fuzzCases } from '../helpers/fuzz-parquet.js'
import { runCli } from '../helpers/run-cli.js'
import { configDir, fixturesDir, tempDir } from '../helpers/paths.js'

const day = Date.UTC(2024, 0, 29)
const hour = 3_600_000
const goodFile = (ts: number[], values: (number | null)[]) =>
  new Uint8Array(parquetWriteBuffer({ columnData: [{ name: 'ts', data: ts.map((t) => new Date(t)), type: 'TIMESTAMP' }, { name: 'value', data: values, type: 'DOUBLE' }] }))
const hours = Array.from({ length: 24 }, (_, h) => day + h * hour)
export const fuzzSeed = Number(process.env.GRAS_FUZZ_SEED ?? 7)

test('fuzzed Parquet bytes: every case reads or fails with a DataError naming the file, within the time limit', { timeout: 180_000 }, async () => {
  const bases = [goodFile(hours, hours.map((_, h) => h)), new Uint8Array(readFileSync(join(fixturesDir, 'foreign/duckdb-zstd-tz-bigint.parquet')))]
  const limitMs = 2_000
  const reader = new IsolatedParquetReader(limitMs)
  const outcomes = { read: 0, dataError: 0, timedOut: 0 }
  let slowest = 0
  try {
    for (const c of fuzzCases(bases, 300, fuzzSeed)) {
      const source = `fuzz-${c.index}-${c.mutation}.parquet`
      const started = performance.now()
      try {
        const bytes = c.bytes.buffer.slice(c.bytes.byteOffset, c.bytes.byteOffset + c.bytes.byteLength) as ArrayBuffer
        const events = await reader.read({ byteLength: bytes.byteLength, bytesFetched: 0, slice: (a, b) => bytes.slice(a, b) }, source)
        findEventProblem(events, day)
        outcomes.read++
      } catch (error) {
        assert.ok(error instanceof DataError, `case ${c.index} (${c.mutation}) threw ${(error as Error)?.name}: ${(error as Error)?.message}`)
        assert.ok((error as Error).message.includes(source), `case ${c.index}: the error names the file: ${(error as Error).message}`)
        if (/did not finish within/.test((error as Error).message)) outcomes.timedOut++
        outcomes.dataError++
      }
      slowest = Math.max(slowest, performance.now() - started)
    }
  } finally {
    await reader.close()
  }
  assert.ok(outcomes.dataError > 50 && outcomes.read > 0, JSON.stringify(outcomes))
  assert.ok(slowest < limitMs + 1_000, `slowest case took ${slowest} ms`)
  console.log(JSON.stringify({ seed: fuzzSeed, cases: 300, ...outcomes, slowestMs: Math.round(slowest) }))
})

test('a hostile lake: bad files quarantined, bad partitions reported, good data processed, nothing written outside the lake', { timeout: 120_000 }, async () => {
  const cwd = tempDir('hostile')
  const lake = join(cwd, '.gras/lake')
  const dayDir = (metric: string) => join(lake, `bronze/gras/metric=${metric}/year=2024/month=01/day=29`)
  const put = (metric: string, name: string, bytes: Uint8Array) => {
    mkdirSync(dayDir(metric), { recursive: true })
    writeFileSync(join(dayDir(metric), name), bytes)
  }
  put('G', 'good.parquet', goodFile(hours, hours.map((_, h) => 100 + h)))
  put('G', 'zero.parquet', new Uint8Array(0))
  put('G', 'nulls.parquet', goodFile([day + 30], [null]))
  put('G', 'huge.parquet', goodFile([day + 40, day + 50], [1e308, 1e308]))
  put('G', 'future.parquet', goodFile([day + 400 * day], [1]))
  put('G', 'unsorted.parquet', goodFile([day + 3 * hour + 7, day + 1 * hour + 7, day + 2 * hour + 7], [1, 2, 3]))
  const evilIds = ['..%2F..%2Fetc', 'a\u0001b', 'x'.repeat(200), '%2E%2E']
  for (const id of evilIds) put(id, 'x.parquet', goodFile([day], [1]))
  mkdirSync(join(lake, 'bronze/gras/metric=G/year=2024/month=13/day=40'), { recursive: true })
  writeFileSync(join(lake, 'bronze/gras/metric=G/year=2024/month=13/day=40/bad-date.parquet'), goodFile([day], [1]))
  const before = new Set(listFiles(cwd))

  const result = await runCli(['features', '--as-of', '2024-01-30T00:00:00Z', '--run-id', 'hostile-1'], { cwd, env: { GRAS_CONFIG: configDir } })
  assert.equal(result.code, 0, result.stderr)
  const quarantined = Object.fromEntries(result.logs.filter((l) => l.msg === 'file quarantined').map((l) => [String(l.file).split('/').pop(), String(l.reason)]))
  assert.match(quarantined['zero.parquet'], /not a readable Parquet file/)
  assert.match(quarantined['nulls.parquet'], /value: 1 null/)
  assert.match(quarantined['huge.parquet'], /out-of-range/)
  assert.match(quarantined['future.parquet'], /outside the partition day/)
  assert.equal(quarantined['unsorted.parquet'], undefined, 'unsorted rows are fine')
  const warned = result.logs.find((l) => l.msg === 'skipped partitions with invalid metric ids')
  assert.equal((warned?.partitions as string[]).length, evilIds.length, 'every bad metric id is reported')
  const manifest = JSON.parse(readFileSync(join(lake, 'silver/gras/features/metric=G/_manifest.json'), 'utf8'))
  assert.deepEqual(manifest.inputFiles.map((f: { key: string }) => f.key.split('/').pop()), ['good.parquet', 'unsorted.parquet'])
  for (const file of listFiles(cwd).filter((f) => !before.has(f))) assert.ok(file.startsWith('.gras/'), `${file} was written outside .gras/`)
  // The month=13 partition names no real day: never read, but reported, not dropped silently.
  assert.ok(!result.logs.some((l) => l.msg === 'file quarantined' && String(l.file).includes('bad-date.parquet')))
  const skipped = result.logs.find((l) => l.msg === 'bronze objects skipped: not a partition or file of the contract' && l.metric === 'G')
  assert.deepEqual(skipped?.paths, ['bronze/gras/metric=G/year=2024/month=13/'])
})

test('oversized or hostile flag and config values are refused with the field named', async () => {
  const cwd = tempDir('hostile-config')
  const dir = tempDir('hostile-config-dir')
  writeFileSync(join(dir, 'gras.yaml'), `defaults:\n  horizon: 1000000000\n  historyDays: 99999999\nmetrics:\n  "${'y'.repeat(100)}": {}\n`)
  const bad = await runCli(['features'], { cwd, env: { GRAS_CONFIG: dir } })
  assert.equal(bad.code, 78)
  assert.match(bad.stderr, /defaults\.horizon/)
  assert.match(bad.stderr, /defaults\.historyDays/)
  assert.match(bad.stderr, /metrics\.y+/)
  const badRun = await runCli(['features', '--run-id', '../../etc/passwd'], { cwd, env: { GRAS_CONFIG: configDir } })
  assert.equal(badRun.code, 64)
  assert.match(badRun.stderr, /--run-id/)
})

function listFiles(root: string): string[] {
  const out: string[] = []
  const walk = (dir: string) => {
    for (const name of readdirSync(dir)) {
      const path = join(dir, name)
      if (statSync(path).isDirectory()) walk(path)
      else out.push(relative(root, path))
    }
  }
  walk(root)
  return out
}
