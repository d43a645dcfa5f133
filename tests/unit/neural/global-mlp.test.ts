/** The global neural forecaster on the wasm backend, whether or not the optional native backends installed. */
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { createRequire } from 'node:module'
import * as tf from '@tensorflow/tfjs'
import { selectBackend, type BackendName } from '../../../jobs/neural/backend.js'
import { buildGlobalMlp, flatWeights, forecastGlobalMlp, learningRateAt, trainGlobalMlp, type GlobalMlpOptions } from '../../../jobs/neural/global-mlp.js'
import { buildWindows, unscaleForecast, windowScaling } from '../../../jobs/neural/windows.js'
import { windowShapeOf, type NeuralMeta } from '../../../jobs/neural/predictor.js'
import { normal, seededRandom } from '../../../jobs/core/random.js'
import { assertSameStep } from './same-step.js'

const require = createRequire(import.meta.url)
const installed = (name: string) => {
  try {
    require.resolve(name)
    return true
  } catch {
    return false
  }
}
const nativeInstalled = installed('@tensorflow/tfjs-node') || installed('@tensorflow/tfjs-node-gpu')
const preference: BackendName[] = ['tensorflow-gpu', 'tensorflow', 'wasm', 'cpu']

test('backend selection takes the best backend that loads, saying why each better one was skipped', async () => {
  const choice = await selectBackend()
  const rank = preference.indexOf(choice.backend)
  assert.deepEqual(choice.skipped.map((s) => s.backend), preference.slice(0, rank))
  assert.ok(choice.skipped.every((s) => s.reason.length > 0))
  // wasm is a dependency: never worse than it.
  assert.ok(rank <= preference.indexOf('wasm'), `chose ${choice.backend}`)
  assert.equal((await selectBackend('wasm')).backend, 'wasm')
})

test('without the optional native packages: wasm, and forcing tensorflow is an error that says so', { skip: nativeInstalled && 'an optional native backend is installed' }, async () => {
  const choice = await selectBackend()
  assert.equal(choice.backend, 'wasm')
  assert.deepEqual(choice.skipped.map((s) => s.backend), ['tensorflow-gpu', 'tensorflow'])
  await assert.rejects(selectBackend('tensorflow'), /neural: backend tensorflow is not available/)
  assert.equal((await selectBackend('wasm')).backend, 'wasm')
})

test('level normalisation: windows are scaled by their input level and cover every series', () => {
  const y = Float64Array.from({ length: 20 }, (_, t) => 10 + t)
  const windows = buildWindows([y, y.map((v) => v * 1000)], { inputSteps: 4, horizon: 2, baselinePeriod: 0, normalisation: 'level' }, 3, 10)
  assert.equal(windows.count, 10)
  // The same shape at 1000x the level gives the same scaled window.
  assert.deepEqual(Array.from(windows.inputs.subarray(0, 4)), Array.from(windows.inputs.subarray(20, 24)))
  const scale = (24 + 25 + 26 + 27) / 4
  assert.ok(Math.abs(windows.inputs[0] - 24 / scale) < 1e-6, 'newest window first')
})

test('seasonal-difference normalisation: mean removed, scaled by the mean absolute seasonal change (MASE units)', () => {
  const period = 4
  const shape = { inputSteps: 12, horizon: 4, baselinePeriod: period, normalisation: 'seasonal-difference' } as const
  const random = seededRandom(3)
  const y = Float64Array.from({ length: 40 }, (_, t) => 100 + [0, 5, 2, 7][t % period] + 0.5 * t + normal(random))
  // The same shape moved to another level and stretched: the same scaled windows and targets.
  const moved = y.map((v) => 1e6 + 250 * v)
  const [a, b] = [buildWindows([y], shape, 4, 3), buildWindows([moved], shape, 4, 3)]
  for (const [p, q] of [[a.inputs, b.inputs], [a.targets, b.targets]]) p.forEach((v, i) => assert.ok(Math.abs(v - q[i]) < 1e-3, `${v} vs ${q[i]}`))
  // The newest window: its scale is the mean |y[t] - y[t - 4]| inside it, its offset its mean.
  const start = 40 - 4 - 12
  const window = y.subarray(start, start + 12)
  let changes = 0
  for (let i = period; i < 12; i++) changes += Math.abs(window[i] - window[i - period])
  const scaling = windowScaling(y, start, 12, shape)
  assert.ok(Math.abs(scaling.scale - changes / 8) < 1e-9)
  assert.ok(Math.abs(scaling.offset - window.reduce((s, v) => s + v, 0) / 12) < 1e-9)
  assert.ok(Math.abs(a.inputs[0] - (window[0] - scaling.offset) / scaling.scale) < 1e-5)
  // A target is the seasonal naive error in those units; unscaling a target gives the value back.
  const future = unscaleForecast(y.subarray(0, start + 12), a.targets.subarray(0, 4), shape, scaling)
  future.forEach((v, h) => assert.ok(Math.abs(v - y[start + 12 + h]) < 1e-4, `step ${h}: ${v} vs ${y[start + 12 + h]}`))
})

test('seasonal-difference normalisation stays finite on exactly repeating, constant and all-zero windows', () => {
  const shape = { inputSteps: 8, horizon: 4, baselinePeriod: 4, normalisation: 'seasonal-difference' } as const
  for (const y of [Float64Array.from({ length: 24 }, (_, t) => 25 + [0, 1, 3, 2][t % 4]), new Float64Array(24).fill(7), new Float64Array(24)]) {
    const windows = buildWindows([y], shape, 4, 5)
    assert.ok(windows.count > 0)
    assert.ok([...windows.inputs, ...windows.targets].every(Number.isFinite))
    assert.ok(windows.targets.every((v) => v === 0), 'no residual on a series that repeats')
  }
})

test('a model saved before gras.json recorded its normalisation is read as level-scaled, as it was trained', () => {
  const meta = { inputSteps: 168, horizon: 48, baselinePeriod: 24 } as NeuralMeta
  assert.equal(windowShapeOf(meta).normalisation, 'level')
  assert.equal(windowShapeOf({ ...meta, normalisation: 'seasonal-difference' }).normalisation, 'seasonal-difference')
})

function syntheticSeries(count: number, length: number): Float64Array[] {
  const random = seededRandom(5)
  return Array.from({ length: count }, (_, s) =>
    Float64Array.from({ length }, (_, t) => (50 + 10 * s) * (1 + 0.3 * Math.sin((2 * Math.PI * t) / 24)) + normal(random)),
  )
}

test('trains on a tiny set, forecasts finite values of the right shape, and is deterministic given a seed', async () => {
  await selectBackend('wasm')
  const series = syntheticSeries(12, 200)
  const options = { inputSteps: 48, horizon: 12, hidden: [32], epochs: 4, batchSize: 64, learningRate: 3e-3, seed: 11 }
  const shape = { inputSteps: options.inputSteps, horizon: options.horizon, baselinePeriod: 24, normalisation: 'seasonal-difference' } as const
  const windows = buildWindows(series, shape, 6, 20)
  const runs = []
  for (let r = 0; r < 2; r++) {
    const trained = buildGlobalMlp(options)
    const losses: number[] = []
    await trainGlobalMlp(trained, windows, options, { onEpochEnd: (_e, loss) => void losses.push(loss) })
    runs.push({ weights: flatWeights(trained.model), forecasts: forecastGlobalMlp(trained.model, series, shape), losses })
  }
  assert.deepEqual(runs[0].weights, runs[1].weights, 'same seed, same weights')
  assert.ok(runs[0].losses[3] < runs[0].losses[0], `loss falls: ${runs[0].losses}`)
  assert.equal(runs[0].forecasts.length, 12)
  for (const f of runs[0].forecasts) {
    assert.equal(f.length, 12)
    for (const v of f) assert.ok(Number.isFinite(v))
  }
})

test('residual targets subtract the seasonal naive baseline, and forecasts add it back', async () => {
  await selectBackend('wasm')
  const period = 4
  const y = Float64Array.from({ length: 40 }, (_, t) => 10 + [0, 5, 2, 7][t % period])
  for (const normalisation of ['level', 'seasonal-difference'] as const) {
    const shape = { inputSteps: 8, horizon: 4, baselinePeriod: period, normalisation }
    const windows = buildWindows([y], shape, 4, 5)
    // A purely periodic series has zero residuals on its seasonal naive forecast.
    assert.ok(windows.targets.every((v) => Math.abs(v) < 1e-6))
    const options = { inputSteps: 8, horizon: 4, hidden: [4], epochs: 1, batchSize: 8, learningRate: 1e-3, seed: 1 }
    const trained = buildGlobalMlp(options)
    // Zero weights: the model predicts 0 residual, so the forecast is exactly the seasonal naive.
    trained.model.setWeights(trained.model.getWeights().map((w) => w.mul(0)))
    const [forecast] = forecastGlobalMlp(trained.model, [y], shape)
    assert.deepEqual(Array.from(forecast), [10, 15, 12, 17], normalisation)
  }
})

test('a training step is the tfjs-layers step it replaces: the same loss and, to rounding, the same weights', async () => {
  await selectBackend('wasm')
  const options = { inputSteps: 16, horizon: 4, hidden: [8, 8], epochs: 1, batchSize: 32, learningRate: 1e-2, seed: 3 }
  const count = 32
  const windows = { inputs: Float32Array.from({ length: count * 16 }, (_, i) => Math.sin(i * 0.37)), targets: Float32Array.from({ length: count * 4 }, (_, i) => Math.cos(i * 0.11)), count, inputSteps: 16, horizon: 4 }
  const reference = buildGlobalMlp(options)
  const [xs, ys] = [tf.tensor2d(windows.inputs, [count, 16]), tf.tensor2d(windows.targets, [count, 4])]
  const referenceLoss = (await reference.model.trainOnBatch(xs, ys)) as number
  tf.dispose([xs, ys])
  await assertSameStep(reference.model, referenceLoss, windows, options)
})

test('a training step multiplies no matrix with a transpose flag (the slow path of the wasm backend)', async () => {
  await selectBackend('wasm')
  const flags: [boolean, boolean][] = []
  const originals = ['BatchMatMul', '_FusedMatMul'].map((name) => tf.getKernel(name, 'wasm')!)
  for (const kernel of originals) {
    tf.unregisterKernel(kernel.kernelName, 'wasm')
    tf.registerKernel({ ...kernel, kernelFunc: (args) => (flags.push([Boolean(args.attrs?.transposeA), Boolean(args.attrs?.transposeB)]), kernel.kernelFunc(args)) })
  }
  try {
    const options = { inputSteps: 24, horizon: 6, hidden: [16, 16], epochs: 1, batchSize: 8, learningRate: 1e-3, seed: 2 }
    const windows = buildWindows(syntheticSeries(4, 120), { inputSteps: 24, horizon: 6, baselinePeriod: 24, normalisation: 'seasonal-difference' }, 6, 4)
    await trainGlobalMlp(buildGlobalMlp(options), windows, options)
  } finally {
    for (const kernel of originals) {
      tf.unregisterKernel(kernel.kernelName, 'wasm')
      tf.registerKernel(kernel)
    }
  }
  // Forward and backward of three layers over two batches.
  assert.ok(flags.length >= 2 * 8, `${flags.length} matrix products`)
  assert.deepEqual(flags.filter(([a, b]) => a || b), [])
})

test('the cosine schedule falls from the learning rate to 0, and a run stopped mid-epoch and continued follows it exactly', async () => {
  assert.equal(learningRateAt({ learningRate: 0.01, schedule: 'cosine' }, 0), 0.01)
  assert.ok(Math.abs(learningRateAt({ learningRate: 0.01, schedule: 'cosine' }, 0.5) - 0.005) < 1e-12)
  assert.ok(learningRateAt({ learningRate: 0.01, schedule: 'cosine' }, 0.999) < 1e-6)
  assert.equal(learningRateAt({ learningRate: 0.01, schedule: 'constant' }, 0.7), 0.01)
  await selectBackend('wasm')
  const options: GlobalMlpOptions = { inputSteps: 24, horizon: 6, hidden: [16], epochs: 3, batchSize: 8, learningRate: 1e-2, schedule: 'cosine', seed: 4 }
  const windows = buildWindows(syntheticSeries(6, 150), { inputSteps: 24, horizon: 6, baselinePeriod: 24, normalisation: 'seasonal-difference' }, 6, 6)
  const calm = buildGlobalMlp(options)
  await trainGlobalMlp(calm, windows, options)
  const interrupted = buildGlobalMlp(options)
  let batches = 0
  const stop = await trainGlobalMlp(interrupted, windows, options, { shouldStop: () => ++batches === 7 })
  assert.deepEqual(stop, { epoch: 1, batch: 2, stopped: true }, `${windows.count} windows`)
  await trainGlobalMlp(interrupted, windows, options, { startEpoch: stop.epoch, startBatch: stop.batch })
  assert.deepEqual(flatWeights(interrupted.model), flatWeights(calm.model))
  const constant = buildGlobalMlp(options)
  await trainGlobalMlp(constant, windows, { ...options, schedule: 'constant' })
  assert.notDeepEqual(flatWeights(constant.model), flatWeights(calm.model), 'the schedule changes the training')
})
