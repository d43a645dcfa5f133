/**
 * Groups of series as the unit of train and infer, through the built CLI on the demo lake (metric O:
 * four series with dimensions): one models pack and one predictions copy per group and run,
 * whatever the series count; groups split by `train.seriesPerGroup`; a series failing inside its
 * group leaves the others' forecasts written and fails the group naming it; a rerun of a run is
 * idempotent; and a version registered as a single model.json (the previous release's layout)
 * still serves infer and `gras backtest`.
 */
import { test, before } from 'node:test'
import assert from 'node:assert/strict'
import { existsSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs'
import { dirname, join, relative } from 'node:path'
import { parquetReadObjects } from 'hyparquet'
import { DynamoDBClient, GetItemCommand, PutItemCommand, type AttributeValue } from '@aws-sdk/client-dynamodb'
import { configDirWith, runCli } from '../helpers/run-cli.js'
import { tempDir } from '../helpers/paths.js'
import { testCredentials } from '../helpers/servers.js'
import { embeddedDynamoDir, startEmbeddedDynamo } from '../../jobs/io/embedded-dynamo.js'
import { backtestReportKey, modelArtifactKey } from '../../jobs/core/lake-layout.js'

const cwd = tempDir('series-groups')
const lakeDir = join(cwd, '.gras/lake')
const settings = 'train:\n  candidates: [snaive, ets, theta]\n  backtestOrigins: 3\n'
const env = { GRAS_CONFIG: configDirWith(settings) }
const split = { GRAS_CONFIG: configDirWith(`${settings}  seriesPerGroup: 3\n`) }
const day = 86_400_000
const asOfMs = Math.floor(Date.now() / day) * day - day
const asOf = new Date(asOfMs).toISOString().replace('.000Z', 'Z')
const date = asOf.slice(0, 10).replaceAll('-', '')
const series = ['O~channel=app~region=eu', 'O~channel=app~region=us', 'O~channel=web~region=eu', 'O~channel=web~region=us']

/** Every file under `dir` of the lake, relative to the lake; the global neural model's aside. */
function filesUnder(dir: string): string[] {
  const out: string[] = []
  const walk = (path: string) => {
    if (!existsSync(path)) return
    for (const name of readdirSync(path)) {
      const child = join(path, name)
      if (statSync(child).isDirectory()) walk(child)
      else out.push(relative(lakeDir, child))
    }
  }
  walk(join(lakeDir, dir))
  return out.filter((key) => !key.startsWith('models/neural/')).sort()
}

const parsers = { timestampFromMilliseconds: (v: bigint) => Number(v), timestampFromMicroseconds: (v: bigint) => Number(v / 1000n) }

async function copyRows(key: string): Promise<{ series_id: string; value: number; run_id: string }[]> {
  const bytes = readFileSync(join(lakeDir, key))
  const file = bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength)
  return (await parquetReadObjects({ file, columns: ['series_id', 'value', 'run_id'], parsers })) as { series_id: string; value: number; run_id: string }[]
}

/** Runs `body` with a client of the CLI's embedded DynamoDB (closed again before the CLI runs). */
async function withRegistry<T>(body: (client: DynamoDBClient) => Promise<T>): Promise<T> {
  const server = await startEmbeddedDynamo(embeddedDynamoDir(lakeDir, undefined))
  const client = new DynamoDBClient({ endpoint: server.endpoint, region: 'local', credentials: testCredentials })
  try {
    return await body(client)
  } finally {
    client.destroy()
    await server.close()
  }
}

const getItem = (client: DynamoDBClient, metricId: string, version: string) =>
  client.send(new GetItemCommand({ TableName: 'gras-models', Key: { metric_id: { S: metricId }, version: { S: version } }, ConsistentRead: true })).then((r) => r.Item)
const putItem = (client: DynamoDBClient, item: Record<string, AttributeValue>) => client.send(new PutItemCommand({ TableName: 'gras-models', Item: item }))

type Summary = { metrics: { metric: string; status: string; error?: string; model?: string }[] }
const summaryOf = (logs: Record<string, unknown>[]) => logs.find((l) => l.msg === 'run summary') as unknown as Summary

before(async () => {
  const demo = await runCli(['demo-data', '--days', '21', '--end', asOf], { cwd, env })
  assert.equal(demo.code, 0, demo.stderr)
})

test('a group of four series writes one models pack and one predictions copy per run, and the summary shows each series', { timeout: 300_000 }, async () => {
  const run = await runCli(['pipeline', '--metrics', 'O', '--as-of', asOf, '--run-id', 'g1', '--workers', '1'], { cwd, env })
  assert.equal(run.code, 0, run.stderr)
  assert.deepEqual(filesUnder('models'), ['models/metric=O/run=g1/group=1of1.json'])
  assert.deepEqual(filesUnder('predictions'), [`predictions/metric=O/date=${date}/g1.parquet`])
  const rows = await copyRows(`predictions/metric=O/date=${date}/g1.parquet`)
  assert.deepEqual([...new Set(rows.map((r) => r.series_id))].sort(), series)
  assert.equal(rows.length, 4 * 48)
  const pack = JSON.parse(readFileSync(join(lakeDir, 'models/metric=O/run=g1/group=1of1.json'), 'utf8')) as { group: string; series: Record<string, { artifact: { version: string }; backtest: { chosen: string } }> }
  assert.deepEqual([pack.group, Object.keys(pack.series).sort()], ['O', series])
  // Every version's registry record names the pack it is in.
  await withRegistry(async (client) => {
    for (const id of series) assert.equal((await getItem(client, id, pack.series[id].artifact.version))?.artifact_key?.S, 'models/metric=O/run=g1/group=1of1.json')
  })
  const summary = summaryOf(run.logs)
  assert.deepEqual(summary.metrics.map((m) => [m.metric, m.status]), series.map((id) => [id, 'ok']))
  assert.ok(summary.metrics.every((m) => typeof m.model === 'string'), 'each series shows its model')
  for (const msg of ['model trained', 'forecast written']) assert.deepEqual(run.logs.filter((l) => l.msg === msg).map((l) => l.metric).sort(), series, `${msg}: a line per series`)
  const backtest = await runCli(['backtest', '--metric', series[2]], { cwd, env, allowText: true })
  assert.equal(backtest.code, 0, backtest.stderr)
  assert.match(backtest.stdout, new RegExp(`chosen ${pack.series[series[2]].backtest.chosen.replace(/[:]/g, '\\$&')} \\(\\*\\)`))
})

test('a rerun of the same run keeps the recorded decisions and writes the same objects', { timeout: 300_000 }, async () => {
  const listed = async () => {
    const list = await runCli(['models', 'list', '--metrics', 'O', '--json'], { cwd, env, allowText: true })
    assert.equal(list.code, 0, list.stderr)
    return JSON.parse(list.stdout) as unknown[]
  }
  const before = await listed()
  const copy = readFileSync(join(lakeDir, `predictions/metric=O/date=${date}/g1.parquet`))
  for (const job of ['train', 'infer']) {
    const rerun = await runCli([job, '--metrics', 'O', '--as-of', asOf, '--run-id', 'g1', '--workers', '1'], { cwd, env })
    assert.equal(rerun.code, 0, rerun.stderr)
  }
  assert.deepEqual(await listed(), before, 'same versions, decisions, reasons and times')
  assert.deepEqual(filesUnder('models'), ['models/metric=O/run=g1/group=1of1.json'])
  assert.ok(readFileSync(join(lakeDir, `predictions/metric=O/date=${date}/g1.parquet`)).equals(copy), 'the same copy')
})

test('a rerun of the same run over fewer series keeps the other series in its models pack and its copy', { timeout: 300_000 }, async () => {
  const packKey = 'models/metric=O/run=g1/group=1of1.json'
  const copyKey = `predictions/metric=O/date=${date}/g1.parquet`
  const before = JSON.parse(readFileSync(join(lakeDir, packKey), 'utf8')) as { series: Record<string, unknown> }
  const rowsBefore = await copyRows(copyKey)
  for (const job of ['train', 'infer']) {
    const rerun = await runCli([job, '--metrics', series[1], '--as-of', asOf, '--run-id', 'g1', '--workers', '1'], { cwd, env })
    assert.equal(rerun.code, 0, rerun.stderr)
  }
  const after = JSON.parse(readFileSync(join(lakeDir, packKey), 'utf8')) as { series: Record<string, unknown> }
  assert.deepEqual(Object.keys(after.series).sort(), series, 'the series registered by the first attempt are still in the pack their records name')
  assert.deepEqual(after.series, before.series)
  const rowsAfter = await copyRows(copyKey)
  assert.deepEqual([...new Set(rowsAfter.map((r) => r.series_id))].sort(), series, 'the forecasts served by the first attempt are still in the copy')
  assert.deepEqual(rowsAfter.map((r) => `${r.series_id} ${r.value}`).sort(), rowsBefore.map((r) => `${r.series_id} ${r.value}`).sort())
  const infer = await runCli(['infer', '--metrics', 'O', '--as-of', asOf, '--run-id', 'g1b', '--workers', '1'], { cwd, env })
  assert.equal(infer.code, 0, infer.stderr)
})

test('train.seriesPerGroup splits a metric into even groups: a pack and a copy each, the same forecasts with 1 and 2 workers', { timeout: 300_000 }, async () => {
  const runs: Record<string, Awaited<ReturnType<typeof runCli>>> = {}
  for (const [runId, workers] of [['s1', '1'], ['s2', '2']]) {
    for (const job of ['train', 'infer']) {
      runs[`${job}-${runId}`] = await runCli([job, '--metrics', 'O', '--as-of', asOf, '--run-id', runId, '--workers', workers], { cwd, env: split })
      assert.equal(runs[`${job}-${runId}`].code, 0, runs[`${job}-${runId}`].stderr)
    }
  }
  assert.deepEqual(
    filesUnder('models').filter((k) => k.includes('/run=s')),
    ['models/metric=O/run=s1/group=1of2.json', 'models/metric=O/run=s1/group=2of2.json', 'models/metric=O/run=s2/group=1of2.json', 'models/metric=O/run=s2/group=2of2.json'],
  )
  const copies = filesUnder('predictions').filter((k) => /\/s\d~/.test(k))
  assert.deepEqual(copies, ['1of2', '2of2'].flatMap((g) => ['s1', 's2'].map((r) => `predictions/metric=O/date=${date}/${r}~${g}.parquet`)).sort())
  const inGroup = async (runId: string, group: string) => (await copyRows(`predictions/metric=O/date=${date}/${runId}~${group}.parquet`)).map((r) => [r.series_id, r.value])
  assert.deepEqual([...new Set((await inGroup('s1', '1of2')).map((r) => r[0]))], series.slice(0, 2), 'consecutive slices of the sorted ids')
  for (const group of ['1of2', '2of2']) assert.deepEqual(await inGroup('s2', group), await inGroup('s1', group), `${group}: the same forecasts with 2 workers`)
  assert.deepEqual(runs['infer-s2'].logs.filter((l) => l.msg === 'metrics on worker threads').map((l) => l.workers), [2], 'the two groups ran on two workers')
  // The pipeline hands infer the series train succeeded on, not the group ids.
  const pipeline = await runCli(['pipeline', '--metrics', 'O', '--as-of', asOf, '--run-id', 's3', '--workers', '1'], { cwd, env: split })
  assert.equal(pipeline.code, 0, pipeline.stderr)
  assert.deepEqual(filesUnder('predictions').filter((k) => k.includes('/s3~')), ['1of2', '2of2'].map((g) => `predictions/metric=O/date=${date}/s3~${g}.parquet`))
})

test('a series failing inside its group leaves the others forecast and fails the group naming it', { timeout: 300_000 }, async () => {
  const broken = series[1]
  const approved = await withRegistry(async (client) => {
    const pointer = (await getItem(client, broken, '~approved'))!
    await putItem(client, { ...pointer, approved_version: { S: 'v20000101T000000Z-gone' } })
    return pointer
  })
  try {
    const infer = await runCli(['infer', '--metrics', 'O', '--as-of', asOf, '--run-id', 'g4', '--workers', '1'], { cwd, env })
    assert.equal(infer.code, 66, infer.stderr)
    assert.match(infer.stderr, new RegExp(`gras: infer: 1 of 1 metric\\(s\\) failed: O: 1 of 4 series failed: ${broken}: models: artifact models/metric=${broken}/v20000101T000000Z-gone/model.json is missing`))
    const rows = await copyRows(`predictions/metric=O/date=${date}/g4.parquet`)
    assert.deepEqual([...new Set(rows.map((r) => r.series_id))].sort(), series.filter((id) => id !== broken), "the others' forecasts are in the copy")
    const summary = summaryOf(infer.logs)
    assert.deepEqual(summary.metrics.map((m) => [m.metric, m.status]), series.map((id) => [id, id === broken ? 'failed' : 'ok']))
    assert.match(summary.metrics[1].error!, /v20000101T000000Z-gone\/model\.json is missing/)
    assert.deepEqual(infer.logs.filter((l) => l.msg === 'series failed').map((l) => [l.metric, l.group]), [[broken, 'O']])
  } finally {
    await withRegistry((client) => putItem(client, approved))
  }
})

test('a version registered as a single model.json, as the previous release wrote it, still serves infer and gras backtest', { timeout: 300_000 }, async () => {
  const id = series[0]
  const pack = JSON.parse(readFileSync(join(lakeDir, 'models/metric=O/run=g1/group=1of1.json'), 'utf8')) as { series: Record<string, { artifact: Record<string, unknown>; backtest: Record<string, unknown> }> }
  const legacy = 'v20000101T000000Z-old'
  const { artifact, backtest } = pack.series[id]
  for (const [key, doc] of [[modelArtifactKey(id, legacy), { ...artifact, version: legacy, runId: 'old' }], [backtestReportKey(id, legacy), { ...backtest, version: legacy, runId: 'old' }]] as const) {
    mkdirSync(dirname(join(lakeDir, key)), { recursive: true })
    writeFileSync(join(lakeDir, key), JSON.stringify(doc, null, 2) + '\n')
  }
  const approved = await withRegistry(async (client) => {
    const record = (await getItem(client, id, String(artifact.version)))!
    await putItem(client, { ...record, version: { S: legacy }, run_id: { S: 'old' }, artifact_key: { S: modelArtifactKey(id, legacy) } })
    const pointer = (await getItem(client, id, '~approved'))!
    await putItem(client, { ...pointer, approved_version: { S: legacy } })
    return pointer
  })
  try {
    const infer = await runCli(['infer', '--metrics', id, '--as-of', asOf, '--run-id', 'g5', '--workers', '1'], { cwd, env })
    assert.equal(infer.code, 0, infer.stderr)
    assert.deepEqual(infer.logs.filter((l) => l.msg === 'forecast written').map((l) => [l.metric, l.version]), [[id, legacy]])
    const shown = await runCli(['backtest', '--metric', id], { cwd, env, allowText: true })
    assert.equal(shown.code, 0, shown.stderr)
    assert.match(shown.stdout, new RegExp(`^${id}: approved version ${legacy},`, 'm'))
  } finally {
    await withRegistry((client) => putItem(client, approved))
  }
})

test('monitor scores each series the same whichever grouping it runs with, reading the copies of a run grouped otherwise', { timeout: 300_000 }, async () => {
  const yesterday = new Date(asOfMs - day).toISOString().replace('.000Z', 'Z')
  // Served forecasts from a run in two groups; their first day's actuals are in the features as of asOf.
  const served = await runCli(['pipeline', '--metrics', 'O', '--as-of', yesterday, '--run-id', 'm1', '--workers', '1'], { cwd, env: split })
  assert.equal(served.code, 0, served.stderr)
  const features = await runCli(['features', '--metrics', 'O', '--as-of', asOf, '--run-id', 'm2'], { cwd, env })
  assert.equal(features.code, 0, features.stderr)
  const scores: Record<string, string[]> = {}
  for (const [name, config] of [['in two groups', split], ['in one group', env], ['one series per group', { GRAS_CONFIG: configDirWith(`${settings}  seriesPerGroup: 1\n`) }]] as const) {
    const monitor = await runCli(['monitor', '--metrics', 'O', '--as-of', asOf, '--run-id', `m-${name.length}`, '--workers', '1'], { cwd, env: config })
    assert.equal(monitor.code, 0, monitor.stderr)
    const lines = monitor.logs.filter((l) => l.msg === 'accuracy computed')
    assert.deepEqual(lines.map((l) => l.metric).sort(), series, `${name}: a line per series`)
    assert.ok(lines.every((l) => (l.days as number) >= 1), `${name}: every series scored a served day`)
    scores[name] = lines.map((l) => `${l.metric} ${l.days} ${l.realisedMase}`).sort()
  }
  assert.deepEqual(scores['in one group'], scores['in two groups'])
  assert.deepEqual(scores['one series per group'], scores['in two groups'])
})
