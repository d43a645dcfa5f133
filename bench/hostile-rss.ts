/**
 * Peak RSS of `gras features` over a hostile bronze corpus (node dist/bench/hostile-rss.js): the
 * bombs of tests/unit/io/parquet-read.test.ts at full size beside a good file, in one partition.
 * The features pod's limit is 2 GiB; the run must stay under it, quarantine every bomb and still
 * write the good file's features. Peak RSS is the CLI process's (its decode worker included), as
 * GNU time reports it.
 */
import { spawnSync } from 'node:child_process'
import { mkdirSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { gzipSync } from 'node:zlib'
import { cliPath, configDir, tempDir } from '../tests/helpers/paths.js'
import { Codec, dictionaryBombSpec, encodeParquet, eventsFileSpec, ParquetType, type FileSpec } from '../tests/helpers/parquet-bytes.js'

const podLimitBytes = 2 * 1024 ** 3
const day = Date.UTC(2024, 0, 29)
const hours = Array.from({ length: 24 }, (_, h) => BigInt(day + h * 3_600_000) * 1000n)
const spec = (edit: (s: FileSpec) => void) => {
  const s = eventsFileSpec(hours, hours.map((_, h) => h))
  edit(s)
  return encodeParquet(s)
}

const bombRows = 15_000_000
const corpus: Record<string, Uint8Array> = {
  'good.parquet': spec(() => {}),
  // 255 KiB of gzip that inflates 1000:1, its page declaring 2 GB in a chunk whose footer declares 1,000 bytes.
  'gzip-lying.parquet': spec((s) => {
    const body = gzipSync(new Uint8Array(256 * 1024 ** 2), { level: 9 })
    s.rowGroups[0].chunks[1] = { column: 'value', type: ParquetType.DOUBLE, codec: Codec.GZIP, numValues: 24, totalUncompressed: 1000, pages: [{ values: 24, uncompressedSize: 2_000_000_000, body }] }
  }),
  // The same page with an honest footer: refused by the budget as it is decompressed.
  'gzip-honest.parquet': spec((s) => {
    const body = gzipSync(new Uint8Array(64 * 1024 ** 2), { level: 9 })
    s.rowGroups[0].chunks[1] = { column: 'value', type: ParquetType.DOUBLE, codec: Codec.GZIP, numValues: 24, totalUncompressed: 2_000_000_100, pages: [{ values: 24, uncompressedSize: 2_000_000_000, body }] }
  }),
  // 1 KB declaring 50M rows.
  'rows-50m.parquet': spec((s) => {
    s.numRows = 50_000_000
    s.rowGroups[0].numRows = 50_000_000
    for (const chunk of s.rowGroups[0].chunks) {
      chunk.numValues = 50_000_000
      chunk.pages[0].values = 50_000_000
    }
  }),
  // A timestamp bomb inside the budget: a few bytes of RLE that decode to 15M rows per column.
  'ts-bomb.parquet': encodeParquet(dictionaryBombSpec(bombRows, hours[3], 1)),
}

const cwd = tempDir('hostile-rss')
const partition = join(cwd, '.gras/lake/bronze/gras/metric=H/year=2024/month=01/day=29')
mkdirSync(partition, { recursive: true })
for (const [name, bytes] of Object.entries(corpus)) writeFileSync(join(partition, name), bytes)

const started = performance.now()
const run = spawnSync('/usr/bin/time', ['-f', 'maxrss_kb=%M', process.execPath, cliPath, 'features', '--metrics', 'H', '--as-of', '2024-01-30T00:00:00Z', '--run-id', 'hostile-rss'], {
  cwd,
  env: { ...process.env, GRAS_CONFIG: configDir },
  encoding: 'utf8',
  maxBuffer: 64 * 1024 ** 2,
})
const seconds = (performance.now() - started) / 1000
const peakKb = Number(/maxrss_kb=(\d+)/.exec(run.stderr)?.[1])
const logs = run.stdout.split('\n').filter(Boolean).map((line) => JSON.parse(line) as Record<string, unknown>)
const quarantined = logs.filter((l) => l.msg === 'file quarantined').map((l) => ({ file: String(l.file).split('/').pop(), reason: String(l.reason).slice(0, 150) }))
const written = logs.find((l) => l.msg === 'features written')
console.log(`corpus: ${Object.entries(corpus).map(([n, b]) => `${n} ${(b.length / 1024).toFixed(0)} KiB`).join(', ')}`)
for (const q of quarantined) console.log(`quarantined ${q.file}: ${q.reason}`)
console.log(`exit ${run.status}; features written: ${written ? `${written.rows} rows` : 'no'}; ${seconds.toFixed(1)} s`)
console.log(`peak RSS of gras features: ${(peakKb / 1024).toFixed(0)} MiB (pod limit ${podLimitBytes / 1024 ** 2} MiB)`)
const ok = run.status === 0 && quarantined.length === Object.keys(corpus).length - 1 && Boolean(written) && peakKb * 1024 < podLimitBytes
if (!ok) {
  console.error(run.stderr.slice(-2000))
  process.exitCode = 1
}
