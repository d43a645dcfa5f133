/**
 * The embedded DynamoDB belongs to the lake: a run from any working directory sees the registry and
 * the predictions of the lake it names, and two local runs on one lake never share LevelDB files at
 * once: the second waits for the first, or gives up with exit 75 and a message saying why.
 */
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { mkdirSync } from 'node:fs'
import { join } from 'node:path'
import { configDirWith, runCli } from '../helpers/run-cli.js'
import { tempDir } from '../helpers/paths.js'
import { embeddedDynamoDir, startEmbeddedDynamo } from '../../jobs/io/embedded-dynamo.js'

const day = 86_400_000
const asOf = new Date(Math.floor(Date.now() / day) * day - day).toISOString().replace('.000Z', 'Z')
/** Quick models: these tests are about where the state lives, not about forecasts. */
const fast = 'train:\n  candidates: [snaive, ets]\n  backtestOrigins: 2\n'

test('a run from another working directory sees the registry and predictions of the same lake', { timeout: 300_000 }, async () => {
  const lake = join(tempDir('shared-lake'), 'lake')
  const env = { GRAS_CONFIG: configDirWith(fast), GRAS_LAKE: lake }
  const first = tempDir('cwd-a')
  assert.equal((await runCli(['demo-data', '--days', '14', '--end', asOf], { cwd: first, env })).code, 0)
  const pipeline = await runCli(['pipeline', '--metrics', 'G', '--as-of', asOf, '--run-id', 'from-a'], { cwd: first, env, timeoutMs: 240_000 })
  assert.equal(pipeline.code, 0, pipeline.stderr)

  const elsewhere = tempDir('cwd-b')
  const predictions = await runCli(['predictions', '--metric', 'G', '--from', asOf, '--to', new Date(Date.parse(asOf) + 2 * day).toISOString(), '--json'], { cwd: elsewhere, env, allowText: true })
  assert.equal(predictions.code, 0, predictions.stderr)
  const items = JSON.parse(predictions.stdout) as { runId: string }[]
  assert.equal(items.length, 48, `the other directory sees the 48 stored steps (got ${items.length})`)
  assert.ok(items.every((item) => item.runId === 'from-a'))
  const models = await runCli(['models', 'list', '--metrics', 'G', '--json'], { cwd: elsewhere, env, allowText: true })
  assert.equal(models.code, 0, models.stderr)
  assert.ok((JSON.parse(models.stdout) as { status: string }[]).some((r) => r.status === 'approved'), 'and the approved model')
})

test('two pipelines from one directory at once: the second waits for the first, both succeed, no raw stack trace', { timeout: 400_000 }, async () => {
  const cwd = tempDir('two-runs')
  const env = { GRAS_CONFIG: configDirWith(fast) }
  assert.equal((await runCli(['demo-data', '--days', '14', '--end', asOf], { cwd, env })).code, 0)
  const [one, two] = await Promise.all(
    ['night-1', 'night-2'].map((runId) => runCli(['pipeline', '--metrics', 'G,S', '--as-of', asOf, '--run-id', runId], { cwd, env, timeoutMs: 300_000 })),
  )
  for (const run of [one, two]) {
    assert.equal(run.code, 0, run.stderr + run.stdout.slice(-1500))
    assert.ok(!/Database is closed|\n\s+at /.test(run.stderr), run.stderr)
  }
  const waited = [one, two].filter((run) => run.logs.some((l) => l.msg === 'embedded DynamoDB in use by another gras run: waiting for it to finish'))
  assert.equal(waited.length, 1, 'exactly one run waited for the other')
})

test('a run that cannot get the embedded DynamoDB in time exits 75 with one clear line', async () => {
  const cwd = tempDir('held')
  const lake = join(cwd, 'lake')
  // A lake that is there: models list refuses a missing one before it reaches DynamoDB.
  mkdirSync(lake)
  const holder = await startEmbeddedDynamo(embeddedDynamoDir(lake, undefined))
  try {
    const result = await runCli(['models', 'list', '--metrics', 'G', '--lake', lake], { cwd, env: { GRAS_CONFIG: configDirWith('dynamodb:\n  embeddedLockWaitMs: 300\n') } })
    assert.equal(result.code, 75, result.stderr)
    const lines = result.stderr.trim().split('\n').filter((line) => !line.startsWith('{'))
    assert.equal(lines.length, 1, result.stderr)
    assert.match(lines[0], /^gras: dynamodb: the embedded DynamoDB in .*lake\.dynamodb is in use by another gras run on this lake; gave up after waiting 300 ms \(dynamodb\.embeddedLockWaitMs\) \(let the other run finish, then rerun\)$/)
  } finally {
    await holder.close()
  }
})
