/**
 * Bronze as real writers lay it out, through the real CLI: DuckDB's `PARTITION_BY (year, month,
 * day)` (unpadded `month=1/day=5`) beside the Java app's padded partitions, a re-delivery that
 * overlaps part of an earlier file, events 800 µs apart, things under the metric that are not
 * partitions (reported: a warning naming them and `gras_files_skipped` pushed to a loopback
 * recorder standing in for the Pushgateway), a file nested below a day (quarantined), file names
 * as S3 allows them, and symbolic links out of the lake (never followed). DuckDB's own read of the
 * same files, with identical (ts, value) rows counted once, is the expected silver.
 */
import { test, before, after } from 'node:test'
import assert from 'node:assert/strict'
import { createServer, type Server } from 'node:http'
import { existsSync, mkdirSync, readdirSync, readFileSync, symlinkSync, utimesSync, writeFileSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { DuckDBInstance } from '@duckdb/node-api'
import { parquetReadObjects } from 'hyparquet'
import { runCli } from '../helpers/run-cli.js'
import { configDir, tempDir } from '../helpers/paths.js'
import { encodeParquet, eventsFileSpec } from '../helpers/parquet-bytes.js'

const cwd = tempDir('bronze-layout')
const lake = join(cwd, '.gras/lake')
const env = { GRAS_CONFIG: configDir }
const metricDir = (metric: string) => join(lake, `bronze/gras/metric=${metric}`)
const day = (d: number) => Date.UTC(2024, 0, d)
const hour = 3_600_000
const micros = (ms: number) => BigInt(Math.round(ms * 1000))

function write(path: string, bytes: Uint8Array): void {
  mkdirSync(dirname(path), { recursive: true })
  writeFileSync(path, bytes)
}

/** A ts (µs) / value file made with the hand-made writer (the Java app's shape). */
const eventsFile = (tsMs: number[], values: number[]) => encodeParquet(eventsFileSpec(tsMs.map(micros), values))

let pushes: string[] = []
let pushgateway: Server
let pushgatewayUrl = ''
const instance = await DuckDBInstance.create(':memory:')
const db = await instance.connect()

const redeliveryPath = join(metricDir('G'), 'year=2024/month=1/day=28/redelivery.parquet')
const javaPath = join(metricDir('G'), 'year=2024/month=01/day=29/java.parquet')
const strange = ['é.parquet', '2024-01-29T10:00:00Z.parquet', 'a+b.parquet', 'x (1).parquet', 'with space.parquet', `${'n'.repeat(232)}.parquet`]
const strangeBad = `bad:(é)+${'q'.repeat(224)}.parquet`

before(async () => {
  pushgateway = createServer((request, response) => {
    let body = ''
    request.on('data', (chunk) => (body += chunk))
    request.on('end', () => {
      pushes.push(body)
      response.writeHead(200).end()
    })
  })
  await new Promise<void>((resolve) => pushgateway.listen(0, '127.0.0.1', resolve))
  pushgatewayUrl = `http://127.0.0.1:${(pushgateway.address() as { port: number }).port}`

  // G: 28 days of events every 20 minutes (72 a day), written by DuckDB with Hive partitions.
  await db.run(`set timezone = 'UTC'`)
  await db.run(`create table events as select timestamp '2024-01-01 00:00:00' + to_minutes(i * 20) as ts, ((i % 13) * 1.5)::double as value from range(0, 28 * 72) t(i)`)
  mkdirSync(metricDir('G'), { recursive: true })
  await db.run(`copy (select ts, value, year(ts) as year, month(ts) as month, day(ts) as day from events) to '${metricDir('G')}' (format parquet, partition_by (year, month, day), overwrite_or_ignore)`)
  assert.ok(existsSync(join(metricDir('G'), 'year=2024/month=1/day=5')), 'DuckDB writes unpadded partitions')
  // Delivered later: 3 of its 72 events repeat DuckDB's first three of day 28 exactly, 69 are new.
  const first = day(28)
  const repeated = [0, 1, 2].map((k) => first + k * 20 * 60_000)
  const fresh = Array.from({ length: 69 }, (_, k) => first + 10 * 60_000 + k * 20 * 60_000)
  const repeatedValues = (await db.runAndReadAll(`select value from events where ts >= timestamp '2024-01-28' order by ts limit 3`)).getRows().map((r) => Number(r[0]))
  write(redeliveryPath, eventsFile([...repeated, ...fresh], [...repeatedValues, ...fresh.map(() => 1)]))
  const later = new Date(Date.now() + 60_000)
  utimesSync(redeliveryPath, later, later)
  // The Java app pads its partitions; two of its events are 800 µs apart.
  write(javaPath, eventsFile([day(29) + 10 * hour, day(29) + 10 * hour + 0.8, day(29) + 11 * hour], [5, 7, 11]))
  // Not partitions of the contract: reported, never silently dropped.
  write(join(metricDir('G'), 'stray.parquet'), eventsFile([day(29)], [1]))
  write(join(metricDir('G'), 'year=2024/notes.txt'), new TextEncoder().encode('x'))
  write(join(metricDir('G'), 'year=2024/month=13/day=1/x.parquet'), eventsFile([day(29)], [1]))
  write(join(metricDir('G'), 'year=2024/month=1/day=32/x.parquet'), eventsFile([day(29)], [1]))
  write(join(metricDir('G'), 'year=2024/month=1/tmp/x.parquet'), eventsFile([day(29)], [1]))
  write(join(metricDir('G'), 'year=__HIVE_DEFAULT_PARTITION__/x.parquet'), eventsFile([day(29)], [1]))
  // Nested below a day: neither summed in nor skipped silently.
  write(join(metricDir('G'), 'year=2024/month=01/day=29/predictions/x.parquet'), eventsFile([day(29) + 12 * hour], [1000]))

  // K: names as S3 allows them, each a good file for a different hour; one bad file with such a name.
  strange.forEach((name, k) => write(join(metricDir('K'), 'year=2024/month=01/day=29', name), eventsFile([day(29) + k * hour], [k + 1])))
  write(join(metricDir('K'), 'year=2024/month=01/day=29', strangeBad), eventsFile([day(30)], [1]))
})

after(async () => {
  db.closeSync()
  await new Promise((resolve) => pushgateway.close(resolve))
})

async function silverRows(metric: string): Promise<{ ts: number; value: number; observed: boolean; event_count: number }[]> {
  const manifest = JSON.parse(readFileSync(join(lake, `silver/gras/features/metric=${metric}/_manifest.json`), 'utf8')) as { dataKey: string }
  const bytes = readFileSync(join(lake, manifest.dataKey))
  return (await parquetReadObjects({ file: bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer, parsers: { timestampFromMilliseconds: (v: bigint) => Number(v), timestampFromMicroseconds: (v: bigint) => Number(v / 1000n) } })) as never
}

test('features reads unpadded and padded partitions, counts a partial re-delivery once, keeps µs, reports non-partitions and quarantines nested files', { timeout: 120_000 }, async () => {
  const result = await runCli(['--pushgateway', pushgatewayUrl, 'features', '--metrics', 'G,K', '--as-of', '2024-01-30T00:00:00Z', '--run-id', 'layout-1'], { cwd, env })
  assert.equal(result.code, 0, result.stderr + result.stdout.slice(-2000))

  // Expected: DuckDB over the same good files, identical (ts, value) rows once.
  const files = [`${metricDir('G')}/year=2024/month=1/day=*/data_*.parquet`, redeliveryPath, javaPath].map((p) => `'${p}'`).join(', ')
  const truth = new Map(
    (await db.runAndReadAll(`select epoch_ms(date_trunc('hour', ts))::bigint, sum(value)::double, count(*)::int from (select distinct ts, value from read_parquet([${files}])) group by 1`))
      .getRows()
      .map((r) => [Number(r[0]), { sum: Number(r[1]), count: Number(r[2]) }]),
  )
  const silver = (await silverRows('G')).filter((r) => r.observed)
  const missing = [...truth.keys()].filter((ts) => !silver.some((r) => r.ts === ts)).map((ts) => new Date(ts).toISOString())
  assert.deepEqual(missing, [], 'every hour with events, from every partition style')
  assert.equal(silver.length, truth.size)
  for (const row of silver) {
    const want = truth.get(row.ts)!
    assert.ok(want, `hour ${new Date(row.ts).toISOString()} has events in DuckDB's read`)
    assert.equal(row.event_count, want.count, new Date(row.ts).toISOString())
    assert.ok(Math.abs(row.value - want.sum) < 1e-9, `${new Date(row.ts).toISOString()}: ${row.value} vs ${want.sum}`)
  }
  assert.equal(silver.find((r) => r.ts === day(29) + 10 * hour)?.event_count, 2, 'events 800 µs apart are two events')
  assert.equal(silver.find((r) => r.ts === day(28))?.event_count, 3 + 3, 'DuckDB\'s three and the re-delivery\'s three new ones; its three repeats counted once')

  const manifest = JSON.parse(readFileSync(join(lake, 'silver/gras/features/metric=G/_manifest.json'), 'utf8'))
  const redelivery = manifest.inputFiles.find((f: { key: string }) => f.key.endsWith('redelivery.parquet'))
  assert.deepEqual([redelivery.rows, redelivery.redelivered], [72, 3])
  assert.deepEqual(manifest.quarantined.map((q: { key: string; reason: string }) => [q.key, q.reason]), [
    ['bronze/gras/metric=G/year=2024/month=01/day=29/predictions/x.parquet', 'path: bronze/gras/metric=G/year=2024/month=01/day=29/predictions/x.parquet is nested below its day partition (expected bronze/gras/metric=<id>/year=/month=/day=/<name>.parquet)'],
  ])
  const skipped = ['stray.parquet', 'year=2024/notes.txt', 'year=2024/month=13/', 'year=2024/month=1/day=32/', 'year=2024/month=1/tmp/', 'year=__HIVE_DEFAULT_PARTITION__/'].map((p) => `bronze/gras/metric=G/${p}`)
  const warning = result.logs.find((l) => l.msg === 'bronze objects skipped: not a partition or file of the contract' && l.metric === 'G')
  assert.deepEqual([...(warning?.paths as string[])].sort(), [...skipped].sort())
  assert.equal(warning?.objects, 6)
  assert.ok(pushes.some((body) => /^gras_files_skipped 6$/m.test(body)), `gras_files_skipped pushed: ${pushes.join('\n').slice(0, 2000)}`)
})

test('any S3-legal file name is read; a bad file with such a name is quarantined under a safe, bounded key that keeps the original in its reason', { timeout: 120_000 }, async () => {
  const result = await runCli(['features', '--metrics', 'K', '--as-of', '2024-01-30T00:00:00Z', '--run-id', 'layout-2'], { cwd, env })
  assert.equal(result.code, 0, result.stderr + result.stdout.slice(-2000))
  const manifest = JSON.parse(readFileSync(join(lake, 'silver/gras/features/metric=K/_manifest.json'), 'utf8'))
  assert.deepEqual(manifest.inputFiles.map((f: { key: string }) => f.key.split('/').pop()).sort(), [...strange].sort())
  assert.equal(manifest.quarantined.length, 1)
  const record = manifest.quarantined[0]
  assert.equal(record.key, `bronze/gras/metric=K/year=2024/month=01/day=29/${strangeBad}`)
  assert.match(record.quarantinedAs, /^quarantine\/bronze\/gras\/metric=K\/year=2024\/month=01\/day=29\/[A-Za-z0-9=._ -]{1,160}$/)
  const reason = JSON.parse(readFileSync(join(lake, `${record.quarantinedAs}.reason.json`), 'utf8'))
  assert.equal(reason.source, record.key)
  assert.match(reason.reason, /outside the partition day/)
  assert.ok(existsSync(join(lake, record.quarantinedAs)))
})

test('symbolic links out of the lake are never followed: a linked day brings nothing in, a linked quarantine/ is never written through', { timeout: 120_000 }, async () => {
  const home = tempDir('symlinks')
  const linkedLake = join(home, '.gras/lake')
  const outside = tempDir('outside')
  const dayDir = join(linkedLake, 'bronze/gras/metric=L/year=2024/month=01')
  write(join(dayDir, 'day=29/good.parquet'), eventsFile([day(29) + hour], [1]))
  write(join(outside, 'day/outside.parquet'), eventsFile([day(28) + hour], [1_000_000]))
  symlinkSync(join(outside, 'day'), join(dayDir, 'day=28'))
  const ok = await runCli(['features', '--metrics', 'L', '--as-of', '2024-01-30T00:00:00Z', '--run-id', 'links-1'], { cwd: home, env })
  assert.equal(ok.code, 0, ok.stderr)
  const manifest = JSON.parse(readFileSync(join(linkedLake, 'silver/gras/features/metric=L/_manifest.json'), 'utf8'))
  assert.deepEqual(manifest.inputFiles.map((f: { key: string }) => f.key), ['bronze/gras/metric=L/year=2024/month=01/day=29/good.parquet'])

  mkdirSync(join(outside, 'quarantine'))
  symlinkSync(join(outside, 'quarantine'), join(linkedLake, 'quarantine'))
  write(join(dayDir, 'day=29/bad.parquet'), eventsFile([day(30)], [1]))
  const refused = await runCli(['features', '--metrics', 'L', '--as-of', '2024-01-30T00:00:00Z', '--run-id', 'links-2'], { cwd: home, env })
  assert.equal(refused.code, 78, refused.stderr)
  assert.match(JSON.stringify(refused.logs), /quarantine\/bronze\/gras\/metric=L\/year=2024\/month=01\/day=29\/bad\.parquet.* resolves outside the lake .* through a symbolic link/)
  assert.deepEqual(readdirSync(join(outside, 'quarantine')), [], 'nothing written through the link')
})
