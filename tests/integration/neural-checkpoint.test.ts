/**
 * Spot safety of neural training: SIGTERM a training process mid-run; it finishes its batch,
 * checkpoints to the lake and exits 75; rerun with the same run id, it resumes and ends with exactly the
 * weights of an uninterrupted run with the same seed.
 */
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { existsSync, readdirSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { runCli } from '../helpers/run-cli.js'
import { configDir, tempDir } from '../helpers/paths.js'
import { trainAndTerminate } from '../helpers/terminate-training.js'

const cwd = tempDir('neural')
const env = { GRAS_CONFIG: configDir }
const day = 86_400_000
const asOf = new Date(Math.floor(Date.now() / day) * day).toISOString().replace('.000Z', 'Z')
const train = (runId: string) => ['train-neural', '--backend', 'wasm', '--epochs', '40', '--members', '2', '--checkpoint-every', '5', '--seed', '3', '--run-id', runId, '--workers', '1']

/** The saved model of a run: models/neural/v<data end>-<run id>. */
function modelDir(runId: string): string | undefined {
  const root = join(cwd, '.gras/lake/models/neural')
  const name = existsSync(root) ? readdirSync(root).find((d) => d.endsWith(`-${runId}`)) : undefined
  return name && join(root, name)
}

test('SIGTERM mid-training: checkpoint, exit 75, resume to the same final weights', { timeout: 300_000 }, async () => {
  assert.equal((await runCli(['demo-data', '--days', '21', '--end', asOf], { cwd, env })).code, 0)
  assert.equal((await runCli(['features', '--as-of', asOf], { cwd, env })).code, 0)

  const interrupted = await trainAndTerminate(train('spot-1'), { cwd, env, afterEpoch: 12 })
  assert.equal(interrupted.code, 75, 'transient exit code, never 0')
  const stop = interrupted.lines.find((l) => l.msg === 'stopped by SIGTERM after checkpointing')
  assert.ok(stop, 'checkpointed on SIGTERM')
  assert.equal(stop.phase, 'backtest', 'stopped in the first of the two networks')
  assert.equal(stop.member, 0)
  assert.ok(existsSync(join(cwd, '.gras/lake/checkpoints/spot-1/backtest/m0/state.json')))
  assert.equal(modelDir('spot-1'), undefined, 'no model saved yet')

  const resumed = await runCli(train('spot-1'), { cwd, env, timeoutMs: 240_000 })
  assert.equal(resumed.code, 0, resumed.stderr)
  const from = resumed.logs.find((l) => l.msg === 'resumed from checkpoint')!
  assert.deepEqual([from.phase, from.member, from.epoch, from.batch], [stop.phase, stop.member, stop.epoch, stop.batch])
  assert.ok(resumed.logs.some((l) => l.msg === 'backend selected' && l.backend === 'wasm'))

  const uninterrupted = await runCli(train('calm-1'), { cwd, env, timeoutMs: 240_000 })
  assert.equal(uninterrupted.code, 0, uninterrupted.stderr)
  let maxDiff = 0
  for (const network of ['backtest/m0', 'backtest/m1', 'final/m0', 'final/m1']) {
    const a = new Float32Array(readFileSync(join(modelDir('spot-1')!, network, 'weights.bin')).buffer.slice(0))
    const b = new Float32Array(readFileSync(join(modelDir('calm-1')!, network, 'weights.bin')).buffer.slice(0))
    assert.equal(a.length, b.length)
    for (let i = 0; i < a.length; i++) maxDiff = Math.max(maxDiff, Math.abs(a[i] - b[i]))
  }
  // Exact: the checkpoint carries Adam's running bias correction too (checkpoint.ts).
  assert.equal(maxDiff, 0, `max weight difference ${maxDiff}`)
  assert.ok(existsSync(join(modelDir('spot-1')!, 'gras.json')), 'metadata written last, after every network')
  // Ensemble members differ: consecutive seeds, not copies.
  const m0 = readFileSync(join(modelDir('calm-1')!, 'final/m0/weights.bin'))
  const m1 = readFileSync(join(modelDir('calm-1')!, 'final/m1/weights.bin'))
  assert.ok(!m0.equals(m1))
  console.log(JSON.stringify({ stoppedAt: [stop.phase, stop.epoch, stop.batch], maxWeightDifference: maxDiff }))
})
