/**
 * `gras train-neural` with members of different input lengths and losses (neural.lookbacks,
 * neural.losses): gras.json records each member's, and the saved model forecasts through the reader
 * `train` and `infer` use, each member fed its own window; with the default settings gras.json has
 * no such record, as before members could differ.
 */
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { existsSync, readdirSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { LocalObjectStore } from '../../jobs/io/local-store.js'
import { readSilverSeries } from '../../jobs/io/silver-reader.js'
import { selectBackend } from '../../jobs/neural/backend.js'
import { loadNeuralPredictor } from '../../jobs/neural/predictor.js'
import { configDirWith, runCli } from '../helpers/run-cli.js'
import { configDir, tempDir } from '../helpers/paths.js'

const cwd = tempDir('neural-ensemble')
const day = 86_400_000
const asOf = new Date(Math.floor(Date.now() / day) * day).toISOString().replace('.000Z', 'Z')
const lakeDir = join(cwd, '.gras/lake')
const train = (runId: string) => ['train-neural', '--backend', 'wasm', '--epochs', '1', '--members', '3', '--run-id', runId]

function meta(runId: string): Record<string, unknown> {
  const root = join(lakeDir, 'models/neural')
  const name = existsSync(root) ? readdirSync(root).find((d) => d.endsWith(`-${runId}`)) : undefined
  assert.ok(name, `model of ${runId} saved`)
  return JSON.parse(readFileSync(join(root, name, 'gras.json'), 'utf8')) as Record<string, unknown>
}

test('members of several input lengths and losses: recorded in gras.json and each fed its own window', { timeout: 300_000 }, async () => {
  assert.equal((await runCli(['demo-data', '--days', '21', '--end', asOf], { cwd, env: { GRAS_CONFIG: configDir } })).code, 0)
  assert.equal((await runCli(['features', '--as-of', asOf], { cwd, env: { GRAS_CONFIG: configDir } })).code, 0)

  const plain = await runCli(train('plain-1'), { cwd, env: { GRAS_CONFIG: configDir }, timeoutMs: 240_000 })
  assert.equal(plain.code, 0, plain.stderr)
  assert.equal(meta('plain-1').ensemble, undefined, 'default settings: no per-member record')

  const env = { GRAS_CONFIG: configDirWith('neural:\n  lookbacks: [48, 168]\n  losses: [mase, smape]\n') }
  const mixed = await runCli(train('mixed-1'), { cwd, env, timeoutMs: 240_000 })
  assert.equal(mixed.code, 0, mixed.stderr)
  const saved = meta('mixed-1')
  assert.deepEqual(saved.ensemble, [{ inputSteps: 48, loss: 'mase' }, { inputSteps: 168, loss: 'mase' }, { inputSteps: 48, loss: 'smape' }])
  assert.equal(saved.inputSteps, 168, 'the longest input')
  assert.ok(Number.isFinite(saved.backtestMase as number), 'scored through the reader while saving')

  await selectBackend('wasm')
  const lake = new LocalObjectStore(lakeDir)
  const predictor = await loadNeuralPredictor(lake, saved.version as string)
  const { series } = await readSilverSeries(lake, (saved.metrics as string[])[0])
  const forecast = predictor.predict(series.values, 24, { periods: [24], phase0: Math.round(series.startMs / series.stepMs), stepMs: series.stepMs })
  assert.equal(forecast.length, 24)
  assert.ok(forecast.every(Number.isFinite))
  // A config that names a loss gras does not know is refused, naming the field.
  const bad = await runCli(train('bad-1'), { cwd, env: { GRAS_CONFIG: configDirWith('neural:\n  losses: [mape]\n') } })
  assert.equal(bad.code, 78)
  assert.match(bad.stderr + JSON.stringify(bad.logs), /neural\.losses/)
})

test('a run id rerun with other lookbacks stops with exit 78 naming the settings and the member; with the same ones it keeps its networks', { timeout: 300_000 }, async () => {
  // mixed-1 (the test above) built its members with lookbacks [48, 168] and losses [mase, smape].
  const again = await runCli(train('mixed-1'), { cwd, env: { GRAS_CONFIG: configDirWith('neural:\n  lookbacks: [48, 168]\n  losses: [mase, smape]\n') }, timeoutMs: 240_000 })
  assert.equal(again.code, 0, again.stderr)
  assert.equal(again.logs.filter((l) => l.msg === 'network already saved by this run: not trained again').length, 6)
  const changed = await runCli(train('mixed-1'), { cwd, env: { GRAS_CONFIG: configDirWith('neural:\n  lookbacks: [96, 168]\n  losses: [mase, smape]\n') }, timeoutMs: 240_000 })
  assert.equal(changed.code, 78, changed.stderr)
  assert.match(changed.stderr + JSON.stringify(changed.logs), /run mixed-1 built member 0 with 48 input steps.*the config now gives 96 input steps.*neural\.lookbacks/)
})
