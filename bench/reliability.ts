/**
 * The reliability bench (npm run bench:reliability): a faulty night against S3 and DynamoDB
 * (fault-injecting proxies in front of s3rver and dynalite), SIGKILLs at random moments followed by a
 * rerun, and a fuzzer over bronze Parquet bytes, each compared with a clean run. Prints one table.
 * Seeds and case counts are flags, so any row can be reproduced.
 */
import { Command } from 'commander'
import { spawn } from 'node:child_process'
import { cpSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { parquetWriteBuffer } from 'hyparquet-writer'
import { seededRandom } from '../jobs/core/random.js'
import { IsolatedParquetReader } from '../jobs/io/parquet-isolated.js'
import { LocalObjectStore } from '../jobs/io/local-store.js'
import { queryPredictions, type PredictionItem } from '../jobs/io/predictions-table.js'
import { DataError } from '../jobs/core/errors.js'
import { findEventProblem } from '../jobs/features/check-events.js'
import { startFaultProxy } from '../tests/helpers/fault-proxy.js'
import { fuzzCases } from '../tests/helpers/fuzz-parquet.js'
import { cliPath, configDir, fixturesDir, tempDir } from '../tests/helpers/paths.js'
import { runCli } from '../tests/helpers/run-cli.js'
import { startDynamoServer, startS3Server, testCredentials, type DynamoServer } from '../tests/helpers/servers.js'

const options = new Command('bench:reliability')
  .option('--seed <n>', 'seed of faults, kill times and fuzz cases', (v) => Number(v), 20261126)
  .option('--kills <n>', 'SIGKILLed runs before the rerun', (v) => Number(v), 10)
  .option('--fuzz <n>', 'fuzzed Parquet cases', (v) => Number(v), 2000)
  .option('--fault-rate <p>', 'probability of each fault kind per request', (v) => Number(v), 0.04)
  .parse()
  .opts<{ seed: number; kills: number; fuzz: number; faultRate: number }>()

const day = 86_400_000
const asOf = new Date(Math.floor(Date.now() / day) * day).toISOString().replace('.000Z', 'Z')
const metrics = ['G', 'R', 'A', 'S']
const pipelineArgs = ['pipeline', '--metrics', metrics.join(','), '--as-of', asOf, '--run-id', 'bench-night']
const rows: [string, string][] = []

const awsEnv = (dynamo: string, extra: Record<string, string> = {}) => ({
  GRAS_CONFIG: configDir,
  AWS_ENDPOINT_URL_DYNAMODB: dynamo,
  AWS_REGION: 'us-east-1',
  AWS_ACCESS_KEY_ID: testCredentials.accessKeyId,
  AWS_SECRET_ACCESS_KEY: testCredentials.secretAccessKey,
  AWS_MAX_ATTEMPTS: '10',
  ...extra,
})

async function items(dynamo: DynamoServer): Promise<PredictionItem[]> {
  const out: PredictionItem[] = []
  for (const metric of metrics) out.push(...(await queryPredictions(dynamo.client, 'gras-predictions', metric, '0', '9')))
  return out
}

/** Lost: expected keys missing or changed; duplicates: more items than keys (cannot happen in DynamoDB, counted anyway). */
function compare(expected: PredictionItem[], found: PredictionItem[]) {
  const key = (i: PredictionItem) => `${i.metricId}/${i.timestamp}`
  const byKey = new Map(found.map((i) => [key(i), JSON.stringify(i)]))
  const lost = expected.filter((i) => byKey.get(key(i)) !== JSON.stringify(i)).length
  return { expected: expected.length, found: found.length, lost, duplicates: found.length - byKey.size }
}

async function faultyNight(): Promise<void> {
  const s3 = await startS3Server()
  const clean = await startDynamoServer()
  const faulty = await startDynamoServer()
  const rate = options.faultRate
  const s3Proxy = await startFaultProxy(s3.endpoint, 's3', options.seed, { slowDown: rate, serverError: rate, reset: rate / 2, delay: rate, notYetVisible: 0.3 })
  const dynamoProxy = await startFaultProxy(faulty.endpoint, 'dynamodb', options.seed + 1, { throttle: rate, serverError: rate, reset: rate / 2, delay: rate, unprocessed: 0.4 })
  try {
    for (const [bucket, s3Endpoint, dynamo] of [['clean', s3.endpoint, clean.endpoint], ['faulty', s3Proxy.endpoint, dynamoProxy.endpoint]] as const) {
      await s3.createBucket(bucket)
      const env = awsEnv(dynamo, { GRAS_LAKE: `s3://${bucket}/gras`, AWS_ENDPOINT_URL_S3: s3Endpoint })
      const cwd = tempDir('bench-faults')
      await runCli(['demo-data', '--days', '28', '--end', asOf, '--seed', '3'], { cwd, env })
      const started = Date.now()
      const run = await runCli(pipelineArgs, { cwd, env, timeoutMs: 900_000 })
      if (run.code !== 0) throw new Error(`${bucket} run failed (${run.code}): ${run.stderr}`)
      if (bucket === 'faulty') rows.push(['faulty run: time to complete', `${((Date.now() - started) / 1000).toFixed(1)} s`])
      const retries = run.logs.filter((l) => l.msg === 'forecast written').reduce((sum, l) => sum + Number(l.batchRetries ?? 0), 0)
      if (bucket === 'faulty') rows.push(['faulty run: UnprocessedItems rounds retried', String(retries)])
    }
    const result = compare(await items(clean), await items(faulty))
    for (const [kind, count] of Object.entries(s3Proxy.counts)) if (count > 0) rows.push([`faults injected: S3 ${kind}`, String(count)])
    for (const [kind, count] of Object.entries(dynamoProxy.counts)) if (count > 0) rows.push([`faults injected: DynamoDB ${kind}`, String(count)])
    rows.push(['faulty run: requests through the proxies', `S3 ${s3Proxy.requests}, DynamoDB ${dynamoProxy.requests}`])
    rows.push(['faulty run: items expected / found / lost / duplicated', `${result.expected} / ${result.found} / ${result.lost} / ${result.duplicates}`])
  } finally {
    await s3Proxy.close()
    await dynamoProxy.close()
    await s3.close()
    await clean.close()
    await faulty.close()
  }
}

function runAndKill(cwd: string, env: Record<string, string>, delayMs: number): Promise<boolean> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [cliPath, ...pipelineArgs], { cwd, env: { ...process.env, ...env }, stdio: 'ignore' })
    let exited = false
    child.on('exit', () => (exited = true))
    setTimeout(() => {
      if (exited) return resolve(false)
      child.kill('SIGKILL')
      child.on('close', () => resolve(true))
    }, delayMs)
  })
}

async function killedNight(): Promise<void> {
  const reference = await startDynamoServer()
  const killed = await startDynamoServer()
  try {
    const referenceDir = tempDir('bench-kill-ref')
    const killDir = tempDir('bench-kill')
    await runCli(['demo-data', '--days', '28', '--end', asOf], { cwd: referenceDir, env: awsEnv(reference.endpoint) })
    cpSync(join(referenceDir, '.gras/lake'), join(killDir, '.gras/lake'), { recursive: true, preserveTimestamps: true })
    const started = Date.now()
    if ((await runCli(pipelineArgs, { cwd: referenceDir, env: awsEnv(reference.endpoint) })).code !== 0) throw new Error('reference run failed')
    const cleanMs = Date.now() - started
    const random = seededRandom(options.seed)
    let kills = 0
    for (let k = 0; k < options.kills; k++) if (await runAndKill(killDir, awsEnv(killed.endpoint), Math.floor((0.05 + 0.9 * random()) * cleanMs))) kills++
    const recoverStarted = Date.now()
    const rerun = await runCli(pipelineArgs, { cwd: killDir, env: awsEnv(killed.endpoint) })
    if (rerun.code !== 0) throw new Error(`rerun failed: ${rerun.stderr}`)
    const result = compare(await items(reference), await items(killed))
    const lakeA = await new LocalObjectStore(join(referenceDir, '.gras/lake')).list('')
    const lakeB = await new LocalObjectStore(join(killDir, '.gras/lake')).list('')
    rows.push(['kills: runs SIGKILLed mid-way', `${kills} of ${options.kills} (clean run ${(cleanMs / 1000).toFixed(1)} s)`])
    rows.push(['kills: time to recover (the rerun)', `${((Date.now() - recoverStarted) / 1000).toFixed(1)} s`])
    rows.push(['kills: lake objects reference / after kills', `${lakeA.length} / ${lakeB.length}`])
    rows.push(['kills: items expected / found / lost / duplicated', `${result.expected} / ${result.found} / ${result.lost} / ${result.duplicates}`])
  } finally {
    await reference.close()
    await killed.close()
  }
}

async function fuzzNight(): Promise<void> {
  const hour = 3_600_000
  const dayStart = Date.UTC(2024, 0, 29)
  const hours = Array.from({ length: 24 }, (_, h) => dayStart + h * hour)
  const good = new Uint8Array(parquetWriteBuffer({ columnData: [{ name: 'ts', data: hours.map((t) => new Date(t)), type: 'TIMESTAMP' }, { name: 'value', data: hours.map((_, h) => h), type: 'DOUBLE' }] }))
  const bases = [good, new Uint8Array(readFileSync(join(fixturesDir, 'foreign/duckdb-snappy-micros-double.parquet')))]
  const reader = new IsolatedParquetReader(2_000)
  const outcome = { read: 0, rejected: 0, timedOut: 0, crashed: 0 }
  let slowest = 0
  try {
    for (const c of fuzzCases(bases, options.fuzz, options.seed)) {
      const bytes = c.bytes.buffer.slice(c.bytes.byteOffset, c.bytes.byteOffset + c.bytes.byteLength) as ArrayBuffer
      const started = performance.now()
      try {
        findEventProblem(await reader.read({ byteLength: bytes.byteLength, bytesFetched: 0, slice: (a, b) => bytes.slice(a, b) }, `case-${c.index}`), dayStart)
        outcome.read++
      } catch (error) {
        if (!(error instanceof DataError)) outcome.crashed++
        else if (/did not finish within/.test(error.message)) outcome.timedOut++
        else outcome.rejected++
      }
      slowest = Math.max(slowest, performance.now() - started)
    }
  } finally {
    await reader.close()
  }
  rows.push(['fuzz: cases (read / rejected as bad data / stopped at the time limit / other errors)', `${options.fuzz} (${outcome.read} / ${outcome.rejected} / ${outcome.timedOut} / ${outcome.crashed})`])
  rows.push(['fuzz: slowest case', `${Math.round(slowest)} ms (limit 2000 ms)`])
}

await faultyNight()
await killedNight()
await fuzzNight()
const width = Math.max(...rows.map(([k]) => k.length))
console.log(`reliability bench, seed ${options.seed}, fault rate ${options.faultRate}, ${options.kills} kills, ${options.fuzz} fuzz cases`)
for (const [k, v] of rows) console.log(`${k.padEnd(width)}  ${v}`)
