/**
 * Ensembles whose members differ by input length and loss: the sMAPE loss and its step, how
 * members are assigned lookbacks and losses, and a saved model whose members read windows of
 * different lengths, read back as `train` and `infer` read it.
 */
import { test } from 'node:test'
import assert from 'node:assert/strict'
import * as tf from '@tensorflow/tfjs'
import { smape } from '../../../jobs/core/accuracy.js'
import { normal, seededRandom } from '../../../jobs/core/random.js'
import { neuralMetaKey, neuralModelPrefix } from '../../../jobs/core/lake-layout.js'
import { LocalObjectStore } from '../../../jobs/io/local-store.js'
import { selectBackend } from '../../../jobs/neural/backend.js'
import { lakeIOHandler } from '../../../jobs/neural/checkpoint.js'
import { buildGlobalMlp, flatWeights, forecastGlobalMlp, smapeDenominatorFloor, trainGlobalMlp, type GlobalMlpOptions } from '../../../jobs/neural/global-mlp.js'
import { loadNeuralPredictor, type NeuralMeta } from '../../../jobs/neural/predictor.js'
import { neuralTrainingSetup } from '../../../jobs/neural/training-setup.js'
import { buildWindows, seasonalNaiveAt, type WindowShape } from '../../../jobs/neural/windows.js'
import { tempDir } from '../../helpers/paths.js'
import { assertSameStep } from './same-step.js'

function dailySeries(count: number, length: number, level = 50): Float64Array[] {
  const random = seededRandom(9)
  return Array.from({ length: count }, (_, s) => Float64Array.from({ length }, (_, t) => (level + 10 * s) * (1 + 0.3 * Math.sin((2 * Math.PI * t) / 24)) + normal(random)))
}

test('the smape loss is the M4 sMAPE of the forecasts in the series units, windows at any level alike', async () => {
  await selectBackend('wasm')
  const shape: WindowShape = { inputSteps: 48, horizon: 12, baselinePeriod: 24, normalisation: 'seasonal-difference' }
  // The same series at a thousandth of its level: sMAPE is relative, so it counts the same.
  const [a, b] = dailySeries(2, 120)
  const series = [a, b, a.map((v) => v / 1000)]
  const stride = 12
  const windows = buildWindows(series, shape, stride, 3)
  const options: GlobalMlpOptions = { inputSteps: 48, horizon: 12, hidden: [8], epochs: 1, batchSize: windows.count, learningRate: 1e-3, loss: 'smape', seed: 5 }
  const trained = buildGlobalMlp(options)
  // Zero weights: every forecast is the seasonal naive one, whose sMAPE is computed here directly.
  trained.model.setWeights(trained.model.getWeights().map((w) => w.mul(0)))
  let loss = Number.NaN
  await trainGlobalMlp(trained, windows, options, { onEpochEnd: (_e, l) => void (loss = l) })
  const expected: number[] = []
  for (const y of series) {
    for (let end = y.length - shape.horizon, k = 0; k < 3; end -= stride, k++) {
      const actual = y.subarray(end, end + shape.horizon)
      expected.push(smape(actual, Float64Array.from(actual, (_, h) => seasonalNaiveAt(y, end, 24, h))) / 100)
    }
  }
  assert.equal(windows.count, expected.length)
  const mean = expected.reduce((a, b) => a + b, 0) / expected.length
  assert.ok(Math.abs(loss - mean) < 1e-5, `${loss} vs sMAPE ${mean}`)
})

test('a smape step is the tfjs-layers step on |error| weighted by 2 / (|F| + |A|) at the current forecasts', async () => {
  await selectBackend('wasm')
  const shape: WindowShape = { inputSteps: 24, horizon: 6, baselinePeriod: 24, normalisation: 'seasonal-difference' }
  // Low levels: some denominators fall below the floor and are held there.
  const windows = buildWindows([...dailySeries(3, 150, 2), ...dailySeries(2, 150, 0.2)], shape, 6, 6)
  const options: GlobalMlpOptions = { inputSteps: 24, horizon: 6, hidden: [16, 16], epochs: 1, batchSize: windows.count, learningRate: 1e-2, loss: 'smape', seed: 3 }
  const [xs, ys, ls] = [tf.tensor2d(windows.inputs, [windows.count, 24]), tf.tensor2d(windows.targets, [windows.count, 6]), tf.tensor2d(windows.levels!, [windows.count, 6])]
  const reference = buildGlobalMlp(options)
  const before = reference.model.predict(xs) as tf.Tensor2D
  const denominators = tf.add(tf.abs(tf.add(before, ls)), tf.abs(tf.add(ys, ls)))
  assert.ok((await tf.less(denominators, smapeDenominatorFloor).any().data())[0], 'the floor is exercised')
  const weights = tf.div(2, tf.maximum(denominators, smapeDenominatorFloor))
  reference.model.compile({ optimizer: reference.optimizer, loss: (yTrue: tf.Tensor, yPred: tf.Tensor) => tf.mean(tf.mul(tf.abs(tf.sub(yPred, yTrue)), weights), -1) })
  const referenceLoss = (await reference.model.trainOnBatch(xs, ys)) as number
  const b = await assertSameStep(reference.model, referenceLoss, windows, options)
  const mase = buildGlobalMlp({ ...options, loss: 'mase' })
  await trainGlobalMlp(mase, windows, { ...options, loss: 'mase' })
  assert.ok(flatWeights(mase.model).some((v, i) => Math.abs(v - b[i]) > 1e-4), 'another step than the MASE loss')
  tf.dispose([xs, ys, ls, before, denominators, weights])
})

test('the smape loss stays finite on all-zero and constant series', async () => {
  await selectBackend('wasm')
  const shape: WindowShape = { inputSteps: 8, horizon: 4, baselinePeriod: 4, normalisation: 'seasonal-difference' }
  const windows = buildWindows([new Float64Array(40), new Float64Array(40).fill(3), ...dailySeries(1, 40, 1e-4)], shape, 4, 5)
  const options: GlobalMlpOptions = { inputSteps: 8, horizon: 4, hidden: [8], epochs: 3, batchSize: 4, learningRate: 1e-2, loss: 'smape', seed: 1 }
  const trained = buildGlobalMlp(options)
  const losses: number[] = []
  await trainGlobalMlp(trained, windows, options, { onEpochEnd: (_e, l) => void losses.push(l) })
  assert.ok(losses.every(Number.isFinite), `${losses}`)
  assert.ok(flatWeights(trained.model).every(Number.isFinite))
})

test('members cycle through the lookbacks, then the losses; members with one input length share its windows', () => {
  const series = dailySeries(4, 400)
  const settings = { horizon: 24, baselinePeriod: 24, epochs: 1, batchSize: 16, seed: 7 }
  const setup = neuralTrainingSetup(series, [300, 300, 300, 300], { ...settings, members: 7, lookbacks: [48, 96, 500], losses: ['mase', 'smape'] })
  // 500 does not fit a 400-point series with a 24-step horizon: shortened to 376.
  assert.deepEqual(
    setup.members.map((m) => [m.options.inputSteps, m.options.loss ?? 'mase', m.options.seed]),
    [[48, 'mase', 7], [96, 'mase', 8], [376, 'mase', 9], [48, 'smape', 10], [96, 'smape', 11], [376, 'smape', 12], [48, 'mase', 13]],
  )
  assert.equal(setup.members[0].windows, setup.members[3].windows)
  assert.equal(setup.members[2].windows.final.inputSteps, 376)
  assert.ok(setup.members[0].windows.final.count > setup.members[1].windows.final.count)
  // Without lookbacks and losses: one shape for all, MASE, as before members could differ.
  const plain = neuralTrainingSetup(series, [300, 300, 300, 300], { ...settings, members: 3 })
  assert.deepEqual(plain.members.map((m) => [m.options.inputSteps, m.options.loss, m.options.seed]), [[168, undefined, 7], [168, undefined, 8], [168, undefined, 9]])
  assert.equal(plain.options, plain.members[0].options)
})

/** Saves tiny networks of the given input lengths as both phases of a version, with random weights. */
async function saveVersion(lake: LocalObjectStore, version: string, inputs: number[]): Promise<tf.LayersModel[]> {
  const networks = inputs.map((inputSteps, k) => buildGlobalMlp({ inputSteps, horizon: 4, hidden: [6], epochs: 1, batchSize: 8, learningRate: 1e-3, seed: 20 + k }).model)
  for (const phase of ['backtest', 'final'] as const) for (const [k, network] of networks.entries()) await network.save(lakeIOHandler(lake, neuralModelPrefix(version, phase, k)))
  return networks
}

function metaOf(version: string, fields: Partial<NeuralMeta>): NeuralMeta {
  return { version, runId: 'r', inputSteps: 12, horizon: 4, baselinePeriod: 4, normalisation: 'seasonal-difference', stepMs: 3_600_000, seed: 20, epochs: 1, batchSize: 8, members: 2, windows: { backtest: 1, final: 1 }, backtestCutoffMs: 0, finalThroughMs: 0, backtestMase: 0, metrics: ['m'], ...fields }
}

test('a saved model records each member input length: train and infer feed each its own window; older models still load', async () => {
  await selectBackend('wasm')
  const lake = new LocalObjectStore(tempDir('neural-ensemble'))
  const [y] = dailySeries(1, 60)
  const shape = (inputSteps: number): WindowShape => ({ inputSteps, horizon: 4, baselinePeriod: 4, normalisation: 'seasonal-difference' })

  const networks = await saveVersion(lake, 'mixed', [8, 12])
  await lake.put(neuralMetaKey('mixed'), JSON.stringify(metaOf('mixed', { ensemble: [{ inputSteps: 8, loss: 'mase' }, { inputSteps: 12, loss: 'smape' }] })))
  const mixed = await loadNeuralPredictor(lake, 'mixed')
  const expected = [forecastGlobalMlp(networks[0], [y], shape(8))[0], forecastGlobalMlp(networks[1], [y], shape(12))[0]]
  const forecast = mixed.predict(y, 4, { periods: [4], phase0: 0, stepMs: 3_600_000 })
  forecast.forEach((v, h) => assert.ok(Math.abs(v - (expected[0][h] + expected[1][h]) / 2) < 1e-9, `step ${h}`))

  // A model written before members could differ: no `ensemble`, every member reads inputSteps.
  const old = await saveVersion(lake, 'old', [12, 12])
  await lake.put(neuralMetaKey('old'), JSON.stringify(metaOf('old', {})))
  const oldForecast = (await loadNeuralPredictor(lake, 'old')).predict(y, 4, { periods: [4], phase0: 0, stepMs: 3_600_000 })
  const oldExpected = old.map((n) => forecastGlobalMlp(n, [y], shape(12))[0])
  oldForecast.forEach((v, h) => assert.ok(Math.abs(v - (oldExpected[0][h] + oldExpected[1][h]) / 2) < 1e-9))

  await lake.put(neuralMetaKey('bad'), JSON.stringify(metaOf('bad', { ensemble: [{ inputSteps: 12, loss: 'mase' }] })))
  await assert.rejects(loadNeuralPredictor(lake, 'bad'), /ensemble/)
  await lake.put(neuralMetaKey('bad2'), JSON.stringify(metaOf('bad2', { ensemble: [{ inputSteps: 8, loss: 'mase' }, { inputSteps: 10, loss: 'mase' }] })))
  await assert.rejects(loadNeuralPredictor(lake, 'bad2'), /inputSteps/)
})
