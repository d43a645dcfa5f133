/**
 * Documents the jobs read back, malformed in a real lake (a local folder, and S3 through s3rver)
 * and in the real registry and accuracy tables (the embedded dynalite the CLI uses): each command
 * that reads one exits 65 with one `gras:` line naming the key (or table and item) and the field,
 * never 70 with a stack trace, and never goes on with what it could not read.
 */
import { test, before, after } from 'node:test'
import assert from 'node:assert/strict'
import { mkdirSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { DeleteItemCommand, DynamoDBClient, PutItemCommand, type AttributeValue } from '@aws-sdk/client-dynamodb'
import { assertOneErrorLine, runCli } from '../helpers/run-cli.js'
import { configDir, tempDir } from '../helpers/paths.js'
import { startS3Store, testCredentials, type S3Server } from '../helpers/servers.js'
import { embeddedDynamoDir, startEmbeddedDynamo } from '../../jobs/io/embedded-dynamo.js'
import { modelsPackKey, neuralMetaKey, silverCutoffManifestKey, silverManifestKey } from '../../jobs/core/lake-layout.js'
import { LocalObjectStore } from '../../jobs/io/local-store.js'
import type { ObjectStore } from '../../jobs/io/object-store.js'
import type { S3ObjectStore } from '../../jobs/io/s3-store.js'
import { DataError } from '../../jobs/core/errors.js'
import { loadNeuralPredictor } from '../../jobs/neural/predictor.js'
import { restoreCheckpoint } from '../../jobs/neural/checkpoint.js'
import { buildGlobalMlp, defaultMlpOptions } from '../../jobs/neural/global-mlp.js'

const cwd = tempDir('documents')
const lakeDir = join(cwd, '.gras/lake')
const env = { GRAS_CONFIG: configDir }
const day = 86_400_000
const asOfMs = Math.floor(Date.now() / day) * day
const asOf = new Date(asOfMs).toISOString().replace('.000Z', 'Z')
/** Checkpoint and network keys as the layout names them, written out: the test pins them. */
const checkpointState = (runId: string, phase: string) => `checkpoints/${runId}/${phase}/m0/state.json`
const checkpointSlot = (runId: string, slot: string) => `checkpoints/${runId}/backtest/m0/${slot}`
const neuralRun = (runId: string) => ['train-neural', '--backend', 'wasm', '--epochs', '3', '--members', '1', '--checkpoint-every', '1', '--metrics', 'G', '--run-id', runId]
let version: string
let neuralVersion: string
let s3: S3Server
let s3Lake: S3ObjectStore

const escape = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')

/** Runs `body` with the lake file at `key` replaced by `bytes` (or its JSON changed by `edit`), then puts the original back. */
async function withDocument(key: string, change: string | ((doc: Record<string, unknown>) => void), body: () => Promise<void>): Promise<void> {
  const path = join(lakeDir, key)
  const original = readFileSync(path)
  let replaced: string
  if (typeof change === 'string') replaced = change
  else {
    const doc = JSON.parse(original.toString('utf8')) as Record<string, unknown>
    change(doc)
    replaced = JSON.stringify(doc)
  }
  writeFileSync(path, replaced)
  try {
    await body()
  } finally {
    writeFileSync(path, original)
  }
}

const packKey = modelsPackKey('G', 'base', { index: 1, count: 1 })
type PackEntry = { artifact: Record<string, unknown>; backtest: Record<string, unknown> }
const entryOf = (pack: Record<string, unknown>) => (pack.series as Record<string, PackEntry>).G

/** Puts `item` into a table of the CLI's embedded DynamoDB (closed again before the CLI runs), or deletes the item of key `item`. */
async function changeItem(change: 'put' | 'delete', table: string, item: Record<string, AttributeValue>): Promise<void> {
  const server = await startEmbeddedDynamo(embeddedDynamoDir(lakeDir, undefined))
  const client = new DynamoDBClient({ endpoint: server.endpoint, region: 'local', credentials: testCredentials })
  try {
    if (change === 'put') await client.send(new PutItemCommand({ TableName: table, Item: item }))
    else await client.send(new DeleteItemCommand({ TableName: table, Key: item }))
  } finally {
    client.destroy()
    await server.close()
  }
}

before(async () => {
  assert.equal((await runCli(['demo-data', '--days', '21', '--end', asOf], { cwd, env })).code, 0)
  const pipeline = await runCli(['pipeline', '--metrics', 'G', '--as-of', asOf, '--run-id', 'base'], { cwd, env })
  assert.equal(pipeline.code, 0, pipeline.stderr)
  // The group of a dimensionless metric is the metric: its models pack holds its one series.
  version = (JSON.parse(readFileSync(join(lakeDir, packKey), 'utf8')) as { series: Record<string, { artifact: { version: string } }> }).series.G.artifact.version
  neuralVersion = readdirSync(join(lakeDir, 'models/neural')).find((v) => v.endsWith('-base'))!
  ;({ s3, store: s3Lake } = await startS3Store('gras-documents', 'gras'))
})
after(async () => s3?.close())

test('a silver manifest without its window, or not JSON: train exits 65 naming the manifest and the field', async () => {
  const key = silverCutoffManifestKey('G', asOfMs)
  await withDocument(key, (doc) => delete doc.window, async () => {
    const result = await runCli(['train', '--metrics', 'G', '--as-of', asOf], { cwd, env })
    assert.equal(result.code, 65, result.stderr)
    assertOneErrorLine(result, new RegExp(`G: ${escape(key)}: window: Invalid input: expected object, received undefined`))
  })
  await withDocument(key, '{"schemaVersion": 1,', async () => {
    const result = await runCli(['infer', '--metrics', 'G', '--as-of', asOf], { cwd, env })
    assert.equal(result.code, 65, result.stderr)
    assertOneErrorLine(result, new RegExp(`G: ${escape(key)}: not valid JSON`))
  })
})

test("features re-reading a newest-cutoff manifest with a bad field exits 65 and leaves it as it was", async () => {
  const key = silverManifestKey('G')
  await withDocument(key, (doc) => (doc.window = { start: 'yesterday', end: 'today' }), async () => {
    const before = readFileSync(join(lakeDir, key), 'utf8')
    const result = await runCli(['features', '--metrics', 'G', '--as-of', asOf], { cwd, env })
    assert.equal(result.code, 65, result.stderr)
    assertOneErrorLine(result, new RegExp(`G: ${escape(key)}: window.start: Invalid ISO datetime; window.end: Invalid ISO datetime`))
    assert.equal(readFileSync(join(lakeDir, key), 'utf8'), before, 'not replaced')
  })
})

test('a model artifact with a non-numeric interval width: infer exits 65 naming the pack, the series and the field, and writes no forecast', async () => {
  const key = packKey
  await withDocument(key, (doc) => ((entryOf(doc).artifact.halfWidths as unknown[])[2] = 'wide'), async () => {
    const result = await runCli(['infer', '--metrics', 'G', '--as-of', asOf, '--run-id', 'bad-artifact'], { cwd, env })
    assert.equal(result.code, 65, result.stderr)
    assertOneErrorLine(result, new RegExp(`G: ${escape(key)}: series.G.artifact: halfWidths\\[2\\]: Invalid input: expected number or null, received string`))
    assert.ok(!result.logs.some((l) => l.msg === 'forecasts written' && l.metric === 'G'), 'no forecast from a model it could not read')
  })
})

test('a backtest report with a non-numeric score: gras backtest exits 65 naming the report and the field', async () => {
  const key = packKey
  await withDocument(key, (doc) => ((entryOf(doc).backtest.candidates as Record<string, unknown>[])[0].mase = 'low'), async () => {
    const result = await runCli(['backtest', '--metric', 'G'], { cwd, env, allowText: true })
    assert.equal(result.code, 65, result.stderr)
    assertOneErrorLine(result, new RegExp(`^gras: ${escape(key)}: series.G.backtest: candidates\\[0\\].mase: Invalid input`))
  })
})

test('a checkpoint state naming no slot: train-neural exits 65 naming state.json and the field', async () => {
  const key = checkpointState('bad-state', 'backtest')
  mkdirSync(dirname(join(lakeDir, key)), { recursive: true })
  writeFileSync(join(lakeDir, key), JSON.stringify({ epoch: 1, batch: 0, slot: 'c', savedAt: asOf }))
  const result = await runCli(neuralRun('bad-state'), { cwd, env })
  assert.equal(result.code, 65, result.stderr)
  assertOneErrorLine(result, new RegExp(`^gras: ${escape(key)}: slot: Invalid option: expected one of "a"\\|"b"`))
})

test("a checkpoint's optimizer variables or network topology malformed: the resumed train-neural exits 65 naming the file", async () => {
  const trained = await runCli(neuralRun('ck'), { cwd, env })
  assert.equal(trained.code, 0, trained.stderr)
  const version = readdirSync(join(lakeDir, 'models/neural')).find((v) => v.endsWith('-ck'))!
  const slot = (JSON.parse(readFileSync(join(lakeDir, checkpointState('ck', 'backtest')), 'utf8')) as { slot: 'a' | 'b' }).slot
  const optimizerSpecs = `${checkpointSlot('ck', slot)}/optimizer.json`
  const topology = `${checkpointSlot('ck', slot)}/model/model.json`
  // Without the saved network the rerun trains it again, resuming from the checkpoint.
  rmSync(join(lakeDir, `models/neural/${version}/backtest/m0/model.json`))
  await withDocument(optimizerSpecs, '[{"name":"hidden1/kernel/m","shape":[-1]}]', async () => {
    const result = await runCli(neuralRun('ck'), { cwd, env })
    assert.equal(result.code, 65, result.stderr)
    assertOneErrorLine(result, new RegExp(`^gras: ${escape(optimizerSpecs)}: \\[0\\].shape\\[0\\]: Too small`))
  })
  await withDocument(topology, (doc) => delete doc.weightSpecs, async () => {
    const result = await runCli(neuralRun('ck'), { cwd, env })
    assert.equal(result.code, 65, result.stderr)
    assertOneErrorLine(result, new RegExp(`^gras: ${escape(topology)}: weightSpecs: Invalid input: expected array`))
  })
  // Cut short (a copy that stopped early): the byte counts do not match what the JSON beside lists.
  for (const [key, lists] of [[`${checkpointSlot('ck', slot)}/optimizer.bin`, optimizerSpecs], [`${checkpointSlot('ck', slot)}/model/weights.bin`, topology]]) {
    const whole = readFileSync(join(lakeDir, key))
    writeFileSync(join(lakeDir, key), whole.subarray(0, whole.length - 8))
    try {
      const result = await runCli(neuralRun('ck'), { cwd, env })
      assert.equal(result.code, 65, result.stderr)
      assertOneErrorLine(result, new RegExp(`^gras: neural: ${escape(key)} has ${whole.length - 8} bytes \\(expected ${whole.length} for the .* ${escape(lists)} lists\\)`))
    } finally {
      writeFileSync(join(lakeDir, key), whole)
    }
  }
  const resumed = await runCli(neuralRun('ck'), { cwd, env })
  assert.equal(resumed.code, 0, resumed.stderr)
  assert.ok(resumed.logs.some((l) => l.msg === 'resumed from checkpoint'), 'the intact checkpoint still resumes')
})

/** The lake's files under `prefix`, copied into the S3 lake. */
async function copyToS3(prefix: string): Promise<void> {
  const local = new LocalObjectStore(lakeDir)
  for (const info of await local.list(prefix)) await s3Lake.put(info.key, (await local.get(info.key))!)
}

for (const kind of ['local', 's3'] as const) {
  test(`neural metadata (gras.json) with a bad field, in a ${kind} lake: a DataError naming the key and the field`, async () => {
    const lake: ObjectStore = kind === 'local' ? new LocalObjectStore(lakeDir) : s3Lake
    const key = neuralMetaKey(neuralVersion)
    if (kind === 's3') await copyToS3(`models/neural/${neuralVersion}/`)
    const original = (await lake.get(key))!
    const meta = JSON.parse(new TextDecoder().decode(original)) as Record<string, unknown>
    await lake.put(key, JSON.stringify({ ...meta, stepMs: '1h', members: undefined }))
    try {
      await assert.rejects(loadNeuralPredictor(lake, neuralVersion), (error: unknown) => {
        assert.ok(error instanceof DataError && error.exitCode === 65, String(error))
        assert.equal(error.message, `${key}: stepMs: Invalid input: expected number, received string; members: no member count (written by an older gras): run gras train-neural again`)
        return true
      })
    } finally {
      await lake.put(key, original)
    }
    assert.equal((await loadNeuralPredictor(lake, neuralVersion)).meta.version, neuralVersion)
  })

  test(`a checkpoint state that is not JSON, in a ${kind} lake: a DataError naming state.json`, async () => {
    const lake: ObjectStore = kind === 'local' ? new LocalObjectStore(lakeDir) : s3Lake
    const prefix = `checkpoints/torn-${kind}/final/m0`
    await lake.put(checkpointState(`torn-${kind}`, 'final'), '{"epoch": 3, "slot": "a"')
    const trained = buildGlobalMlp({ ...defaultMlpOptions, inputSteps: 4, horizon: 2, hidden: [3] })
    await assert.rejects(restoreCheckpoint(lake, prefix, trained), (error: unknown) => {
      assert.ok(error instanceof DataError, String(error))
      assert.match(error.message, new RegExp(`^${escape(checkpointState(`torn-${kind}`, 'final'))}: not valid JSON \\(`))
      return true
    })
    trained.model.dispose()
  })
}

test('a silver manifest with a bad field in an S3 lake: train exits 65 naming the key', async () => {
  await copyToS3('silver/gras/features/metric=G/')
  const key = silverCutoffManifestKey('G', asOfMs)
  const manifest = JSON.parse(new TextDecoder().decode((await s3Lake.get(key))!)) as Record<string, unknown>
  await s3Lake.put(key, JSON.stringify({ ...manifest, stepMs: -3600000 }))
  const result = await runCli(['train', '--metrics', 'G', '--as-of', asOf, '--lake', 's3://gras-documents/gras'], {
    cwd,
    env: { ...env, GRAS_DYNAMODB_MODE: 'embedded', XDG_STATE_HOME: tempDir('state'), AWS_REGION: 'us-east-1', AWS_ENDPOINT_URL_S3: s3.endpoint, AWS_ACCESS_KEY_ID: testCredentials.accessKeyId, AWS_SECRET_ACCESS_KEY: testCredentials.secretAccessKey },
  })
  assert.equal(result.code, 65, result.stderr)
  assertOneErrorLine(result, new RegExp(`G: ${escape(key)}: stepMs: Too small: expected number to be >0`))
})

test('a registry version item with a mistyped attribute: gras models list exits 65 naming the table, the item and the attribute', async () => {
  const key = { metric_id: { S: 'G' }, version: { S: 'v-hand-made' } }
  await changeItem('put', 'gras-models', { ...key, run_id: { S: 'x' }, model: { S: 'ets' }, backtest_mase: { S: 'low' }, artifact_key: { S: 'k' }, created_at: { S: asOf }, decision: { S: 'kept' }, reason: { S: 'r' } })
  try {
    const result = await runCli(['models', 'list', '--metrics', 'G'], { cwd, env, allowText: true })
    assert.equal(result.code, 65, result.stderr)
    assertOneErrorLine(result, /^gras: dynamodb: gras-models item metric_id=G version=v-hand-made: backtest_mase: Invalid input: expected number, received string$/)
  } finally {
    await changeItem('delete', 'gras-models', key)
  }
})

test('an approved pointer whose history is not a list: gras backtest exits 65 naming the pointer item', async () => {
  const pointer = { metric_id: { S: 'G' }, version: { S: '~approved' }, approved_version: { S: version }, updated_at: { S: asOf }, updated_by: { S: 'hand' } }
  await changeItem('put', 'gras-models', { ...pointer, previous: { S: 'v1' } })
  try {
    const result = await runCli(['backtest', '--metric', 'G'], { cwd, env, allowText: true })
    assert.equal(result.code, 65, result.stderr)
    assertOneErrorLine(result, /^gras: dynamodb: gras-models item metric_id=G version=~approved: previous: Invalid input: expected array, received string$/)
  } finally {
    await changeItem('put', 'gras-models', { ...pointer, previous: { L: [] } })
  }
})

test('a lease item with a mistyped owner: train exits 65 naming the lock item, not 75 (a retry would meet the same item)', async () => {
  const lock = { metric_id: { S: 'G' }, version: { S: '~lock:train' } }
  await changeItem('put', 'gras-models', { ...lock, owner: { N: '7' }, acquired_at: { N: String(asOfMs) }, expires_at: { N: String(asOfMs + 100 * day) } })
  try {
    const result = await runCli(['train', '--metrics', 'G', '--as-of', asOf], { cwd, env })
    assert.equal(result.code, 65, result.stderr)
    assertOneErrorLine(result, /G: dynamodb: gras-models item metric_id=G version=~lock:train: owner: Invalid input: expected string, received number/)
  } finally {
    await changeItem('delete', 'gras-models', lock)
  }
})

test('accuracy items with mistyped attributes: gras accuracy and train --only drifted exit 65 naming the item', async () => {
  const date = new Date(asOfMs - day).toISOString().slice(0, 10)
  await changeItem('put', 'gras-accuracy', { metric_id: { S: 'S' }, date: { S: date }, mase: { S: 'x' }, smape: { N: '1' }, bias: { N: '0' }, coverage: { N: '1' }, points: { N: '24' }, backtest_mase: { N: '1' }, model_version: { S: 'v' } })
  const accuracy = await runCli(['accuracy', '--metric', 'S', '--from', date, '--to', date], { cwd, env, allowText: true })
  assert.equal(accuracy.code, 65, accuracy.stderr)
  assertOneErrorLine(accuracy, new RegExp(`^gras: dynamodb: gras-accuracy item metric_id=S date=${date}: mase: Invalid input`))

  await changeItem('put', 'gras-accuracy', { metric_id: { S: 'G' }, date: { S: '~drift' }, drifted: { S: 'yes' }, realised_mase: { N: '2' }, expected_mase: { N: '1' }, reason: { S: 'r' } })
  const drifted = await runCli(['train', '--only', 'drifted', '--metrics', 'G', '--as-of', asOf], { cwd, env })
  assert.equal(drifted.code, 65, drifted.stderr)
  assertOneErrorLine(drifted, /G: dynamodb: gras-accuracy item metric_id=G date=~drift: drifted: Invalid input: expected boolean, received string/)
})
