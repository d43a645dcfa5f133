/**
 * Incremental features through the built CLI: bronze files written by DuckDB, one per hour, and
 * the day caches in silver. A run after no change fetches no bronze byte; a new hour's file is the
 * only one read; a rewritten, removed or out-of-order file rebuilds its day; a new file that
 * conflicts with a cached event is quarantined with the reason a full read gives; a backfill reuses
 * the caches; --full ignores them; a malformed cache is rebuilt with a warning. Every result is
 * compared byte for byte with a first run on a fresh lake holding the same bronze (timestamps kept,
 * so the delivery order is the same), on a local lake and on S3 (s3rver, where etags are MD5s).
 */
import { test, after, before } from 'node:test'
import assert from 'node:assert/strict'
import { cpSync, existsSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, utimesSync, writeFileSync } from 'node:fs'
import { dirname, join, relative } from 'node:path'
import { DeleteObjectCommand, GetObjectCommand, ListObjectsV2Command, PutObjectCommand } from '@aws-sdk/client-s3'
import { DuckDBInstance } from '@duckdb/node-api'
import { runCli, type CliResult } from '../helpers/run-cli.js'
import { configDir, tempDir } from '../helpers/paths.js'
import { startS3Server, testCredentials, type S3Server } from '../helpers/servers.js'

const instance = await DuckDBInstance.create(':memory:')
const db = await instance.connect()
await db.run(`set timezone = 'UTC'`)
after(() => db.closeSync())

const asOf = '2024-01-04T00:00:00Z'
const runId = 'incremental'
const dayNames = ['01', '02', '03']
const bronzeG = 'bronze/gras/metric=G'

function fileKey(day: string, hour: number, name = `part-${String(hour).padStart(2, '0')}`): string {
  return `${bronzeG}/year=2024/month=01/day=${day}/${name}.parquet`
}

/** DuckDB writes hour `hour` of January `day` (six events, ten minutes apart; `shift` changes every value) to `path`. */
async function writeHourFile(path: string, day: string, hour: number, shift = 0): Promise<void> {
  mkdirSync(dirname(path), { recursive: true })
  await db.run(
    `copy (select timestamp '2024-01-${day} 00:00:00' + to_minutes(${hour * 60} + i * 10) as ts, ((i * 37 + ${hour} * 11 + ${Number(day)} * 5) % 101 + 0.25 + ${shift})::double as value from range(0, 6) t(i)) to '${path}' (format parquet)`,
  )
}

/** Seconds since the epoch of each file's delivery: hour h of day d at 2024-01-d h:59:00Z, as the Java app writes them. */
function deliveredAt(day: string, hour: number, laterSeconds = 0): number {
  return Date.UTC(2024, 0, Number(day), hour, 59) / 1000 + laterSeconds
}

/** A local lake with every hour of the three days except those in `leaveOut` (`day:hour`). */
async function localLake(leaveOut: string[] = []): Promise<{ cwd: string; lake: string }> {
  const cwd = tempDir('incremental')
  const lake = join(cwd, '.gras/lake')
  for (const day of dayNames) {
    for (let hour = 0; hour < 24; hour++) {
      if (leaveOut.includes(`${day}:${hour}`)) continue
      await addLocalFile(lake, day, hour)
    }
  }
  return { cwd, lake }
}

async function addLocalFile(lake: string, day: string, hour: number, options: { name?: string; shift?: number; laterSeconds?: number } = {}): Promise<string> {
  const path = join(lake, fileKey(day, hour, options.name))
  await writeHourFile(path, day, hour, options.shift)
  const at = deliveredAt(day, hour, options.laterSeconds)
  utimesSync(path, at, at)
  return path
}

async function features(cwd: string, extra: string[] = [], env: Record<string, string> = {}): Promise<CliResult & { written: Record<string, unknown> }> {
  const result = await runCli(['features', '--metrics', 'G', '--as-of', asOf, '--run-id', runId, ...extra], { cwd, env: { GRAS_CONFIG: configDir, ...env } })
  assert.equal(result.code, 0, result.stderr + result.stdout.slice(-3000))
  const written = result.logs.find((l) => l.msg === 'features written')
  assert.ok(written, 'features written is logged')
  return { ...result, written }
}

/** The silver features of a lake folder, manifests parsed and without `bytesRead` (what this run fetched). */
function silverOf(lake: string): Record<string, unknown> {
  const root = join(lake, 'silver/gras/features')
  const out: Record<string, unknown> = {}
  const walk = (dir: string) => {
    for (const name of readdirSync(dir)) {
      const path = join(dir, name)
      if (statSync(path).isDirectory()) walk(path)
      else if (name.endsWith('.json')) {
        const { bytesRead: _, ...manifest } = JSON.parse(readFileSync(path, 'utf8')) as Record<string, unknown>
        out[relative(lake, path)] = manifest
      } else out[relative(lake, path)] = readFileSync(path).toString('base64')
    }
  }
  walk(root)
  return out
}

/** Silver of a first run on a new lake holding a copy of `lake`'s bronze, timestamps kept. */
async function freshSilver(lake: string, extra: string[] = []): Promise<{ silver: Record<string, unknown>; written: Record<string, unknown> }> {
  const cwd = tempDir('incremental-fresh')
  const copy = join(cwd, '.gras/lake')
  cpSync(join(lake, 'bronze'), join(copy, 'bronze'), { recursive: true, preserveTimestamps: true })
  const run = await features(cwd, extra)
  return { silver: silverOf(copy), written: run.written }
}

function dayFilesBytes(lake: string, day: string): number {
  const dir = join(lake, `${bronzeG}/year=2024/month=01/day=${day}`)
  return readdirSync(dir).reduce((sum, name) => sum + statSync(join(dir, name)).size, 0)
}

test('a second run with no new bronze fetches no bronze byte and writes the same silver', { timeout: 120_000 }, async () => {
  const { cwd, lake } = await localLake()
  const first = await features(cwd)
  assert.ok((first.written.bytesRead as number) > 0)
  assert.deepEqual(first.written.days, { reused: 0, appended: 0, rebuilt: 3 })
  const silver = silverOf(lake)
  const second = await features(cwd)
  assert.equal(second.written.bytesRead, 0)
  assert.deepEqual(second.written.days, { reused: 3, appended: 0, rebuilt: 0 })
  assert.deepEqual(silverOf(lake), silver)
  const manifest = JSON.parse(readFileSync(join(lake, 'silver/gras/features/metric=G/_manifest.json'), 'utf8')) as { bytesRead: number; inputFiles: unknown[] }
  assert.equal(manifest.bytesRead, 0, 'the manifest records the bronze bytes this run fetched')
  assert.equal(manifest.inputFiles.length, 72)
})

test('a new hour: only its file is read, and silver equals a full read of a fresh lake', { timeout: 120_000 }, async () => {
  const { cwd, lake } = await localLake(['03:23'])
  await features(cwd)
  const path = await addLocalFile(lake, '03', 23)
  const refresh = await features(cwd)
  assert.deepEqual(refresh.written.days, { reused: 2, appended: 1, rebuilt: 0 })
  const bytesRead = refresh.written.bytesRead as number
  assert.ok(bytesRead > 0 && bytesRead <= statSync(path).size, `read ${bytesRead} bytes, the new file has ${statSync(path).size}`)
  const fresh = await freshSilver(lake)
  assert.deepEqual(silverOf(lake), fresh.silver)
  assert.ok((fresh.written.bytesRead as number) > 10 * bytesRead)
})

test('a rewritten file (same key, new content) rebuilds its day; the result equals a fresh lake', { timeout: 120_000 }, async () => {
  const { cwd, lake } = await localLake()
  await features(cwd)
  await addLocalFile(lake, '02', 5, { shift: 1000, laterSeconds: 3 * 86_400 })
  const rerun = await features(cwd)
  assert.deepEqual(rerun.written.days, { reused: 2, appended: 0, rebuilt: 1 })
  assert.equal(rerun.written.bytesRead, dayFilesBytes(lake, '02'))
  assert.deepEqual(silverOf(lake), (await freshSilver(lake)).silver)
})

test('a removed file rebuilds its day, and a file delivered before the cached ones does too', { timeout: 120_000 }, async () => {
  const { cwd, lake } = await localLake()
  await features(cwd)
  rmSync(join(lake, fileKey('01', 7)))
  const removed = await features(cwd)
  assert.deepEqual(removed.written.days, { reused: 2, appended: 0, rebuilt: 1 })
  assert.deepEqual(silverOf(lake), (await freshSilver(lake)).silver)
  // Delivered before the day's last cached file: merged after it, the result could differ from a full read.
  await addLocalFile(lake, '01', 7, { name: 'late-07', laterSeconds: -3600 })
  const early = await features(cwd)
  assert.deepEqual(early.written.days, { reused: 2, appended: 0, rebuilt: 1 })
  assert.deepEqual(silverOf(lake), (await freshSilver(lake)).silver)
})

test('a new file that conflicts with a cached event is quarantined with the reason a full read gives', { timeout: 120_000 }, async () => {
  const { cwd, lake } = await localLake()
  await features(cwd)
  // Hour 10 of the 3rd again, every value different, delivered a day later under another name.
  await addLocalFile(lake, '03', 10, { name: 'again-10', shift: 7, laterSeconds: 86_400 })
  const refresh = await features(cwd)
  assert.deepEqual(refresh.written.days, { reused: 2, appended: 1, rebuilt: 0 })
  const manifest = JSON.parse(readFileSync(join(lake, 'silver/gras/features/metric=G/_manifest.json'), 'utf8')) as { quarantined: { key: string; reason: string }[] }
  assert.equal(manifest.quarantined.length, 1)
  assert.match(manifest.quarantined[0].reason, /again-10\.parquet: ts: 6 timestamp\(s\) already delivered with a different value by .*part-10\.parquet/)
  const reasonFile = JSON.parse(readFileSync(join(lake, 'quarantine', `${fileKey('03', 10, 'again-10')}.reason.json`), 'utf8')) as { reason: string }
  assert.equal(reasonFile.reason, manifest.quarantined[0].reason)
  const fresh = await freshSilver(lake)
  assert.deepEqual(silverOf(lake), fresh.silver)
  // A rerun reuses the day with its quarantined file: the same record, the file not read again.
  const rerun = await features(cwd)
  assert.equal(rerun.written.bytesRead, 0)
  assert.ok(rerun.logs.some((l) => l.msg === 'file quarantined' && l.file === fileKey('03', 10, 'again-10')))
  assert.deepEqual(silverOf(lake), fresh.silver)
})

test('--full ignores the day caches, and a backfill reuses them with the same result as a fresh lake', { timeout: 120_000 }, async () => {
  const { cwd, lake } = await localLake()
  const first = await features(cwd)
  const full = await features(cwd, ['--full'])
  assert.deepEqual(full.written.days, { reused: 0, appended: 0, rebuilt: 3 })
  assert.equal(full.written.bytesRead, first.written.bytesRead)
  const backfill = await runCli(['features', '--metrics', 'G', '--as-of', '2024-01-03T00:00:00Z', '--run-id', runId], { cwd, env: { GRAS_CONFIG: configDir } })
  assert.equal(backfill.code, 0, backfill.stderr)
  const written = backfill.logs.find((l) => l.msg === 'features written')!
  assert.equal(written.bytesRead, 0)
  assert.deepEqual(written.days, { reused: 2, appended: 0, rebuilt: 0 })
  const freshCwd = tempDir('incremental-fresh')
  cpSync(join(lake, 'bronze'), join(freshCwd, '.gras/lake/bronze'), { recursive: true, preserveTimestamps: true })
  const freshBackfill = await runCli(['features', '--metrics', 'G', '--as-of', '2024-01-03T00:00:00Z', '--run-id', runId], { cwd: freshCwd, env: { GRAS_CONFIG: configDir } })
  assert.equal(freshBackfill.code, 0, freshBackfill.stderr)
  const cutoff = 'silver/gras/features/metric=G/cutoff=20240103T000000Z'
  const ours = silverOf(lake)
  const theirs = silverOf(join(freshCwd, '.gras/lake'))
  for (const name of ['features.parquet', '_manifest.json']) assert.deepEqual(ours[`${cutoff}/${name}`], theirs[`${cutoff}/${name}`], name)
})

test('a malformed day cache is rebuilt with a warning naming its key, and the run succeeds', { timeout: 120_000 }, async () => {
  const { cwd, lake } = await localLake()
  await features(cwd)
  const silver = silverOf(lake)
  const manifestKey = 'silver/gras/days/metric=G/day=20240102/_manifest.json'
  const eventsKey = 'silver/gras/days/metric=G/day=20240103/events.parquet'
  writeFileSync(join(lake, manifestKey), '{"schemaVersion": 1, "metricId": "G", "accepted": 3}\n')
  const events = readFileSync(join(lake, eventsKey))
  events[events.length >> 1] ^= 0xff
  writeFileSync(join(lake, eventsKey), events)
  const rerun = await features(cwd)
  const warnings = rerun.logs.filter((l) => l.msg === 'day cache unreadable: day rebuilt from bronze')
  assert.deepEqual(warnings.map((w) => String(w.key)).sort(), [manifestKey, eventsKey].sort())
  assert.match(String(warnings.find((w) => w.key === manifestKey)!.problem), /^silver\/gras\/days\/metric=G\/day=20240102\/_manifest\.json: /)
  assert.match(String(warnings.find((w) => w.key === eventsKey)!.problem), /SHA-256 [0-9a-f]{64} \(expected [0-9a-f]{64}/)
  assert.deepEqual(rerun.written.days, { reused: 1, appended: 0, rebuilt: 2 })
  assert.deepEqual(silverOf(lake), silver)
  const healed = await features(cwd)
  assert.deepEqual(healed.written.days, { reused: 3, appended: 0, rebuilt: 0 })
  assert.ok(!healed.logs.some((l) => l.msg === 'day cache unreadable: day rebuilt from bronze'))
})

test('a metric with dimensions: the refresh after a new hour equals a full read', { timeout: 120_000 }, async () => {
  const cwd = tempDir('incremental-dims')
  const lake = join(cwd, '.gras/lake')
  const config = join(cwd, 'config')
  cpSync(configDir, config, { recursive: true })
  writeFileSync(join(config, 'zz-test.yaml'), 'metrics:\n  D:\n    dimensions: [region]\n')
  const write = async (day: string, hour: number, name: string, at: number) => {
    const path = join(lake, `bronze/gras/metric=D/year=2024/month=01/day=${day}/${name}.parquet`)
    mkdirSync(dirname(path), { recursive: true })
    await db.run(
      `copy (select timestamp '2024-01-${day} 00:00:00' + to_minutes(${hour * 60} + (i % 3) * 20) as ts, (i * 13 % 29 + ${hour})::double as value, ['eu', 'us'][i // 3 + 1] as region from range(0, 6) t(i)) to '${path}' (format parquet)`,
    )
    utimesSync(path, at, at)
  }
  for (const day of dayNames) for (let hour = 0; hour < 24; hour++) if (day !== '03' || hour < 20) await write(day, hour, `part-${hour}`, deliveredAt(day, hour))
  const run = (dir: string) => runCli(['features', '--metrics', 'D', '--as-of', asOf, '--run-id', runId], { cwd: dir, env: { GRAS_CONFIG: config } })
  assert.equal((await run(cwd)).code, 0)
  // A new hour, and an hour of the 2nd sent again (re-delivered, counted once) to a day in the cache.
  await write('03', 20, 'part-20', deliveredAt('03', 20))
  await write('02', 4, 'again-4', deliveredAt('03', 20, 1))
  const refresh = await run(cwd)
  assert.equal(refresh.code, 0, refresh.stderr)
  const logged = refresh.logs.find((l) => l.msg === 'features written')!
  assert.deepEqual(logged.days, { reused: 1, appended: 2, rebuilt: 0 })
  const freshCwd = tempDir('incremental-dims-fresh')
  cpSync(join(lake, 'bronze'), join(freshCwd, '.gras/lake/bronze'), { recursive: true, preserveTimestamps: true })
  assert.equal((await run(freshCwd)).code, 0)
  const ours = silverOf(lake)
  assert.deepEqual(Object.keys(ours).filter((k) => k.endsWith('features.parquet')), ['silver/gras/features/pack=D/cutoff=20240104T000000Z/features.parquet'], 'one pack file for the two series')
  assert.deepEqual(ours, silverOf(join(freshCwd, '.gras/lake')))
})

let s3: S3Server
before(async () => {
  s3 = await startS3Server()
})
after(async () => s3?.close())

test('on S3: a rewritten object (new etag) rebuilds its day, an unchanged lake fetches nothing', { timeout: 180_000 }, async () => {
  const env = (bucket: string) => ({
    GRAS_LAKE: `s3://${bucket}/gras`,
    GRAS_DYNAMODB_MODE: 'embedded',
    AWS_REGION: 'us-east-1',
    AWS_ENDPOINT_URL_S3: s3.endpoint,
    AWS_ACCESS_KEY_ID: testCredentials.accessKeyId,
    AWS_SECRET_ACCESS_KEY: testCredentials.secretAccessKey,
  })
  const scratch = tempDir('incremental-s3')
  const put = async (bucket: string, key: string, body: Uint8Array) => s3.client.send(new PutObjectCommand({ Bucket: bucket, Key: `gras/${key}`, Body: body }))
  const bodyOf = async (day: string, hour: number, shift = 0) => {
    const path = join(scratch, `${day}-${hour}-${shift}.parquet`)
    if (!existsSync(path)) await writeHourFile(path, day, hour, shift)
    return readFileSync(path)
  }
  const keysIn = async (bucket: string, prefix: string) => ((await s3.client.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: `gras/${prefix}` }))).Contents ?? []).map((o) => o.Key!)
  const silverIn = async (bucket: string) => {
    const out: Record<string, unknown> = {}
    for (const key of await keysIn(bucket, 'silver/gras/features/')) {
      const bytes = await (await s3.client.send(new GetObjectCommand({ Bucket: bucket, Key: key }))).Body!.transformToByteArray()
      if (key.endsWith('.json')) {
        const { bytesRead: _, ...manifest } = JSON.parse(Buffer.from(bytes).toString('utf8')) as Record<string, unknown>
        out[key.replace(`gras/`, '')] = manifest
      } else out[key.replace(`gras/`, '')] = Buffer.from(bytes).toString('base64')
    }
    return out
  }
  const run = async (bucket: string) => {
    const result = await runCli(['features', '--metrics', 'G', '--as-of', asOf, '--run-id', runId], { cwd: scratch, env: { GRAS_CONFIG: configDir, ...env(bucket) } })
    assert.equal(result.code, 0, result.stderr + result.stdout.slice(-3000))
    return result.logs.find((l) => l.msg === 'features written')!
  }
  await s3.createBucket('lake-a')
  const order: [string, number][] = dayNames.flatMap((day) => Array.from({ length: 24 }, (_, hour) => [day, hour] as [string, number]))
  for (const [day, hour] of order) await put('lake-a', fileKey(day, hour), await bodyOf(day, hour))
  assert.ok(((await run('lake-a')).bytesRead as number) > 0)
  const unchanged = await run('lake-a')
  assert.equal(unchanged.bytesRead, 0)
  assert.deepEqual(unchanged.days, { reused: 3, appended: 0, rebuilt: 0 })
  // The same size, other bytes: S3 gives it a new etag. s3rver's LastModified has whole seconds: the
  // rewrite is a second later than the others, in both buckets, so the delivery order is the same.
  const aSecond = () => new Promise((resolve) => setTimeout(resolve, 1100))
  await aSecond()
  await put('lake-a', fileKey('02', 5), await bodyOf('02', 5, 1000))
  const rewritten = await run('lake-a')
  assert.deepEqual(rewritten.days, { reused: 2, appended: 0, rebuilt: 1 })
  assert.ok((rewritten.bytesRead as number) > 0)
  // A fresh bucket, the objects put in the same order (the rewritten one last).
  await s3.createBucket('lake-b')
  for (const [day, hour] of order) if (!(day === '02' && hour === 5)) await put('lake-b', fileKey(day, hour), await bodyOf(day, hour))
  await aSecond()
  await put('lake-b', fileKey('02', 5), await bodyOf('02', 5, 1000))
  await run('lake-b')
  assert.deepEqual(await silverIn('lake-a'), await silverIn('lake-b'))
  await s3.client.send(new DeleteObjectCommand({ Bucket: 'lake-a', Key: `gras/${fileKey('01', 0)}` }))
  assert.deepEqual((await run('lake-a')).days, { reused: 2, appended: 0, rebuilt: 1 })
})
