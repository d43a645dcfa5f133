/**
 * train-neural on worker threads: with the wasm backend the networks train side by side, one per
 * worker, and every file of the saved model is byte-identical to training them one after another in
 * the main thread (same lake, run id and seed). A SIGTERM reaches the networks in progress on the
 * workers: each checkpoints after its batch, the run exits 75, and a rerun resumes each from its own
 * checkpoint to the weights of an uninterrupted run.
 */
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { cpSync, existsSync, readdirSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { filesUnder } from '../helpers/files-under.js'
import { runCli } from '../helpers/run-cli.js'
import { configDir, tempDir } from '../helpers/paths.js'
import { trainAndTerminate } from '../helpers/terminate-training.js'

const cwd = tempDir('neural-workers')
const env = { GRAS_CONFIG: configDir }
const day = 86_400_000
const asOf = new Date(Math.floor(Date.now() / day) * day).toISOString().replace('.000Z', 'Z')
const train = (lake: string, runId: string, workers: number, epochs = 3) => ['train-neural', '--lake', lake, '--backend', 'wasm', '--epochs', String(epochs), '--members', '2', '--checkpoint-every', '2', '--seed', '5', '--run-id', runId, '--workers', String(workers)]

test('train-neural on two workers saves the networks one worker saves, byte for byte', { timeout: 600_000 }, async () => {
  assert.equal((await runCli(['demo-data', '--lake', 'one', '--days', '21', '--end', asOf], { cwd, env })).code, 0)
  assert.equal((await runCli(['features', '--lake', 'one', '--as-of', asOf], { cwd, env })).code, 0)
  cpSync(join(cwd, 'one'), join(cwd, 'two'), { recursive: true })

  const sequential = await runCli(train('one', 'same-run', 1), { cwd, env, timeoutMs: 240_000 })
  assert.equal(sequential.code, 0, sequential.stderr)
  const parallel = await runCli(train('two', 'same-run', 2), { cwd, env, timeoutMs: 240_000 })
  assert.equal(parallel.code, 0, parallel.stderr)
  assert.equal(sequential.logs.filter((l) => l.msg === 'networks on worker threads').length, 0, 'one worker: the main thread')
  assert.deepEqual(parallel.logs.filter((l) => l.msg === 'networks on worker threads').map((l) => [l.workers, l.networks]), [[2, 4]])
  for (const run of [sequential, parallel]) {
    const epochs = run.logs.filter((l) => l.msg === 'epoch done')
    assert.equal(epochs.length, 4 * 3, 'every epoch of the four networks logged')
    assert.ok(epochs.every((l) => l.job === 'train-neural' && l.run_id === 'same-run'), 'epoch lines carry job and run id')
  }

  const one = filesUnder(join(cwd, 'one/models/neural'))
  const two = filesUnder(join(cwd, 'two/models/neural'))
  assert.deepEqual([...two.keys()].sort(), [...one.keys()].sort())
  assert.equal([...one.keys()].filter((k) => k.endsWith('weights.bin')).length, 4)
  for (const [key, bytes] of one) assert.ok(bytes.equals(two.get(key)!), `${key}: identical bytes`)
})

test('SIGTERM during training on two workers: both networks checkpoint, exit 75, resume to the same weights', { timeout: 600_000 }, async () => {
  assert.ok(existsSync(join(cwd, 'two/silver')), 'runs after the first test built features')
  cpSync(join(cwd, 'two'), join(cwd, 'three'), { recursive: true })
  const interrupted = await trainAndTerminate(train('two', 'spot', 2, 40), { cwd, env, afterEpoch: 12 })
  assert.equal(interrupted.code, 75, 'transient exit code, never 0')
  const stops = interrupted.lines.filter((l) => l.msg === 'stopped by SIGTERM after checkpointing')
  assert.deepEqual(stops.map((l) => [l.phase, l.member]).sort(), [['backtest', 0], ['backtest', 1]], 'both networks in progress stopped')
  for (const stop of stops) assert.ok(existsSync(join(cwd, `two/checkpoints/spot/backtest/m${stop.member}/state.json`)))

  const resumed = await runCli(train('two', 'spot', 2, 40), { cwd, env, timeoutMs: 300_000 })
  assert.equal(resumed.code, 0, resumed.stderr)
  for (const stop of stops) {
    const from = resumed.logs.find((l) => l.msg === 'resumed from checkpoint' && l.member === stop.member)
    assert.ok(from, `network ${stop.member} resumed`)
    assert.deepEqual([from.phase, from.epoch, from.batch], [stop.phase, stop.epoch, stop.batch])
  }
  const calm = await runCli(train('three', 'spot', 1, 40), { cwd, env, timeoutMs: 300_000 })
  assert.equal(calm.code, 0, calm.stderr)
  const version = (lake: string) => readdirSync(join(cwd, lake, 'models/neural')).find((d) => d.endsWith('-spot'))!
  for (const network of ['backtest/m0', 'backtest/m1', 'final/m0', 'final/m1']) {
    const a = readFileSync(join(cwd, 'two/models/neural', version('two'), network, 'weights.bin'))
    const b = readFileSync(join(cwd, 'three/models/neural', version('three'), network, 'weights.bin'))
    assert.ok(a.equals(b), `${network}: resumed weights equal the uninterrupted run's`)
  }
})
