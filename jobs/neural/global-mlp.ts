/**
 * A global forecaster: one MLP over scaled input windows of every series, forecasting the whole
 * horizon at once (the N-BEATS generic block without its stacking, Oreshkin et al. 2020). Trained by
 * our own loop over seeded shuffles so it is deterministic given a seed, can stop after any batch
 * (SIGTERM) and can resume from a checkpoint at an epoch boundary.
 */
import * as tf from '@tensorflow/tfjs'
import { seededRandom } from '../core/random.js'
import { lastWindow, unscaleForecast, type WindowSet, type WindowShape } from './windows.js'

export interface GlobalMlpOptions {
  inputSteps: number
  horizon: number
  hidden: number[]
  epochs: number
  batchSize: number
  learningRate: number
  seed: number
}

export const defaultMlpOptions: GlobalMlpOptions = { inputSteps: 168, horizon: 48, hidden: [256, 256], epochs: 20, batchSize: 64, learningRate: 1e-3, seed: 7 }

export interface TrainedModel {
  model: tf.Sequential
  optimizer: tf.AdamOptimizer
}

export function buildGlobalMlp(options: GlobalMlpOptions): TrainedModel {
  const layers = options.hidden.map((units, i) =>
    tf.layers.dense({
      ...(i === 0 ? { inputShape: [options.inputSteps] } : {}),
      // Fixed names: tfjs otherwise numbers layers per process, and the saved topology would differ
      // between a run and its resumption.
      name: `hidden${i + 1}`,
      units,
      activation: 'relu',
      kernelInitializer: tf.initializers.glorotUniform({ seed: options.seed * 100 + i }),
    }),
  )
  layers.push(tf.layers.dense({ name: 'forecast', units: options.horizon, kernelInitializer: tf.initializers.glorotUniform({ seed: options.seed * 100 + 99 }) }))
  const model = tf.sequential({ name: 'gras_global_mlp', layers })
  const optimizer = tf.train.adam(options.learningRate)
  model.compile({ optimizer, loss: 'meanAbsoluteError' })
  return { model, optimizer }
}

export interface TrainHooks {
  /** Where to resume (from a checkpoint): the epoch, and the batches of it already done. */
  startEpoch?: number
  startBatch?: number
  /** Checked after every batch; true stops training at once and returns. */
  shouldStop?: () => boolean
  onEpochEnd?: (epoch: number, loss: number) => Promise<void> | void
}

export interface TrainProgress {
  /** The epoch in progress (or `options.epochs` when done) and the batches of it completed. */
  epoch: number
  batch: number
  stopped: boolean
}

/** Trains from (startEpoch, startBatch); stops after any batch when asked, reporting where it stopped. */
export async function trainGlobalMlp(trained: TrainedModel, windows: WindowSet, options: GlobalMlpOptions, hooks: TrainHooks = {}): Promise<TrainProgress> {
  const order = new Uint32Array(windows.count)
  for (let epoch = hooks.startEpoch ?? 0; epoch < options.epochs; epoch++) {
    // The shuffle of epoch e depends only on (seed, e): a resumed run sees the same batches.
    const random = seededRandom(options.seed * 1000 + epoch)
    for (let i = 0; i < order.length; i++) order[i] = i
    for (let i = order.length - 1; i > 0; i--) {
      const j = Math.floor(random() * (i + 1))
      ;[order[i], order[j]] = [order[j], order[i]]
    }
    let lossSum = 0
    let batches = 0
    const firstBatch = epoch === (hooks.startEpoch ?? 0) ? (hooks.startBatch ?? 0) : 0
    for (let start = firstBatch * options.batchSize; start < windows.count; start += options.batchSize) {
      const size = Math.min(options.batchSize, windows.count - start)
      const x = new Float32Array(size * windows.inputSteps)
      const y = new Float32Array(size * windows.horizon)
      for (let k = 0; k < size; k++) {
        const w = order[start + k]
        x.set(windows.inputs.subarray(w * windows.inputSteps, (w + 1) * windows.inputSteps), k * windows.inputSteps)
        y.set(windows.targets.subarray(w * windows.horizon, (w + 1) * windows.horizon), k * windows.horizon)
      }
      const xs = tf.tensor2d(x, [size, windows.inputSteps])
      const ys = tf.tensor2d(y, [size, windows.horizon])
      const loss = (await trained.model.trainOnBatch(xs, ys)) as number
      xs.dispose()
      ys.dispose()
      lossSum += loss
      batches++
      if (hooks.shouldStop?.()) return { epoch, batch: start / options.batchSize + 1, stopped: true }
    }
    await hooks.onEpochEnd?.(epoch + 1, lossSum / Math.max(1, batches))
  }
  return { epoch: options.epochs, batch: 0, stopped: false }
}

/** Forecasts `shape.horizon` steps for each series from its last input window, back in the series' units. */
export function forecastGlobalMlp(model: tf.LayersModel, series: readonly Float64Array[], shape: WindowShape): Float64Array[] {
  const windows = series.map((y) => lastWindow(y, shape))
  const x = tf.tensor2d(Float32Array.from(windows.flatMap((w) => Array.from(w.input))), [series.length, shape.inputSteps])
  const out = model.predict(x) as tf.Tensor2D
  const values = out.arraySync()
  x.dispose()
  out.dispose()
  return values.map((row, s) => unscaleForecast(series[s], row, shape, windows[s].scaling))
}

/** All trainable weights as one flat array (for comparing runs). */
export function flatWeights(model: tf.Sequential): Float32Array {
  return Float32Array.from(model.getWeights().flatMap((w) => Array.from(w.dataSync() as Float32Array)))
}
