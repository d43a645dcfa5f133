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
  /**
   * `cosine`: the learning rate falls from `learningRate` to 0 along half a cosine over all the steps
   * of all epochs; `constant`: it stays. A function of the step alone, so a resumed run follows it.
   */
  schedule?: LearningRateSchedule
  /** What a step minimises; default `mase`. */
  loss?: NeuralLoss
  seed: number
}

export type LearningRateSchedule = 'constant' | 'cosine'

/**
 * `mase`: the mean absolute error on scaled targets, the window's MASE under `seasonal-difference`
 * scaling. `smape`: the M4 sMAPE of the forecast back in the series' units, 2|F - A| / (|F| + |A|)
 * per step (as a fraction, not a percentage), which weighs low-level series and steps near zero
 * as the sMAPE half of OWA does (windows.ts).
 */
export type NeuralLoss = 'mase' | 'smape'

export const neuralLosses = ['mase', 'smape'] as const satisfies readonly NeuralLoss[]

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
  const layers = denseLayers(trained.model)
  const variables = layers.flatMap((layer) => [layer.kernel, layer.bias])
  const order = new Uint32Array(windows.count)
  const batchesPerEpoch = Math.ceil(windows.count / options.batchSize)
  const adam = trained.optimizer as unknown as { learningRate: number }
  const smapeLoss = options.loss === 'smape'
  if (smapeLoss && !windows.levels) throw new Error('neural: the smape loss needs the windows\' levels (buildWindows makes them)')
  for (let epoch = hooks.startEpoch ?? 0; epoch < options.epochs; epoch++) {
    // The shuffle of epoch e depends only on (seed, e): a resumed run sees the same batches.
    const random = seededRandom(options.seed * 1000 + epoch)
    for (let i = 0; i < order.length; i++) order[i] = i
    for (let i = order.length - 1; i > 0; i--) {
      const j = Math.floor(random() * (i + 1))
      ;[order[i], order[j]] = [order[j], order[i]]
    }
    // Summed on the device and read once per epoch: a read per step would wait for every step to finish.
    let lossSum: tf.Scalar = tf.scalar(0)
    let batches = 0
    const firstBatch = epoch === (hooks.startEpoch ?? 0) ? (hooks.startBatch ?? 0) : 0
    for (let start = firstBatch * options.batchSize; start < windows.count; start += options.batchSize) {
      const size = Math.min(options.batchSize, windows.count - start)
      const x = new Float32Array(size * windows.inputSteps)
      const y = new Float32Array(size * windows.horizon)
      const l = smapeLoss ? new Float32Array(size * windows.horizon) : undefined
      for (let k = 0; k < size; k++) {
        const w = order[start + k]
        x.set(windows.inputs.subarray(w * windows.inputSteps, (w + 1) * windows.inputSteps), k * windows.inputSteps)
        y.set(windows.targets.subarray(w * windows.horizon, (w + 1) * windows.horizon), k * windows.horizon)
        l?.set(windows.levels!.subarray(w * windows.horizon, (w + 1) * windows.horizon), k * windows.horizon)
      }
      const xs = tf.tensor2d(x, [size, windows.inputSteps])
      const ys = tf.tensor2d(y, [size, windows.horizon])
      const ls = l && tf.tensor2d(l, [size, windows.horizon])
      adam.learningRate = learningRateAt(options, (epoch * batchesPerEpoch + start / options.batchSize) / (options.epochs * batchesPerEpoch))
      const loss = trained.optimizer.minimize(() => (ls ? smapeOf(forward(layers, xs), ys, ls) : batchLoss(layers, xs, ys)), true, variables)!
      xs.dispose()
      ys.dispose()
      ls?.dispose()
      const previous = lossSum
      lossSum = tf.add(previous, loss)
      previous.dispose()
      loss.dispose()
      batches++
      // A turn of the event loop, so that a SIGTERM handler runs between any two batches.
      await new Promise(setImmediate)
      if (hooks.shouldStop?.()) {
        lossSum.dispose()
        return { epoch, batch: start / options.batchSize + 1, stopped: true }
      }
    }
    const epochLoss = (await lossSum.data())[0] / Math.max(1, batches)
    lossSum.dispose()
    await hooks.onEpochEnd?.(epoch + 1, epochLoss)
  }
  return { epoch: options.epochs, batch: 0, stopped: false }
}

/** The learning rate at `progress` (0 at the first step, approaching 1 at the last) through training. */
export function learningRateAt(options: Pick<GlobalMlpOptions, 'learningRate' | 'schedule'>, progress: number): number {
  return options.schedule === 'cosine' ? (options.learningRate * (1 + Math.cos(Math.PI * progress))) / 2 : options.learningRate
}

/** A dense layer's variables (those the saved model holds) and its forward function for training. */
interface DenseLayer {
  kernel: tf.Variable
  bias: tf.Variable
  apply: (x: tf.Tensor2D, kernel: tf.Tensor2D, bias: tf.Tensor1D) => tf.Tensor2D
}

function denseLayers(model: tf.Sequential): DenseLayer[] {
  return model.layers.map((layer, i) => {
    const [kernel, bias] = layer.trainableWeights.map((w) => w.read() as tf.Variable)
    // The first layer's input is the windows, which nothing trains: no gradient for it.
    return { kernel, bias, apply: denseWithGradient(i > 0, layer.getConfig().activation === 'relu') }
  })
}

/** The model's mean absolute error on a batch, as tfjs's `meanAbsoluteError` loss computes it. */
function batchLoss(layers: readonly DenseLayer[], xs: tf.Tensor2D, ys: tf.Tensor2D): tf.Scalar {
  return tf.mean(tf.mean(tf.abs(tf.sub(forward(layers, xs), ys)), -1))
}

function forward(layers: readonly DenseLayer[], xs: tf.Tensor2D): tf.Tensor2D {
  let h = xs
  for (const layer of layers) h = layer.apply(h, layer.kernel as tf.Tensor as tf.Tensor2D, layer.bias as tf.Tensor as tf.Tensor1D)
  return h
}

/**
 * Below this sum |F| + |A| (in the window's scale units, one mean seasonal change under
 * `seasonal-difference`) the sMAPE denominator is held: a step whose actual and forecast are both
 * near zero would otherwise weigh without bound (sMAPE is 2 for any forecast of an actual 0).
 */
export const smapeDenominatorFloor = 1

/**
 * The batch's mean sMAPE (a fraction) of outputs `p` against targets `t`, both scaled residuals on
 * a baseline that is `l` in the same units (so F = p + l and A = t + l, divided by the window's
 * scale, which sMAPE does not see). Its gradient holds the denominator constant, as N-BEATS's own
 * sMAPE loss does (ElementAI/N-BEATS, common/torch/losses.py, `forecast.data` in the
 * denominator): a weighted absolute error whose weights are 2 / (|F| + |A|), bounded by the floor;
 * the full derivative through |F| pushes forecasts away from zero and made training unstable there.
 */
function smapeOf(p: tf.Tensor2D, t: tf.Tensor2D, l: tf.Tensor2D): tf.Scalar {
  return smapeOp(p, t, l) as tf.Scalar
}

const smapeOp = tf.customGrad((...args: (tf.Tensor | tf.GradSaveFunc)[]) => {
  const [p, t, l] = args as tf.Tensor2D[]
  const save = args[3] as tf.GradSaveFunc
  const error = tf.sub(p, t)
  const weights = tf.div(2, tf.maximum(tf.add(tf.abs(tf.add(p, l)), tf.abs(tf.add(t, l))), smapeDenominatorFloor))
  save([error, weights])
  return {
    value: tf.mean(tf.mul(tf.abs(error), weights)),
    gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => {
      const [e, w] = saved
      const dp = tf.mul(tf.mul(tf.sign(e), w), tf.div(dy, e.size))
      return [dp, tf.zerosLike(e), tf.zerosLike(e)]
    },
  }
})

/**
 * x W + b (then relu), with a gradient that multiplies explicitly transposed matrices: the wasm
 * backend's matMul with a transpose flag, which tfjs's own gradient of matMul uses, takes a slow path
 * 5 to 7 times slower than a transpose followed by a plain matMul.
 */
function denseWithGradient(inputGradient: boolean, relu: boolean): DenseLayer['apply'] {
  const op = tf.customGrad((...args: (tf.Tensor | tf.GradSaveFunc)[]) => {
    const [x, kernel, bias] = args as tf.Tensor2D[]
    const save = args[3] as tf.GradSaveFunc
    const value = tf.fused.matMul({ a: x, b: kernel, bias, activation: relu ? 'relu' : 'linear' })
    save([x, kernel, value])
    return {
      value,
      gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => {
        const [input, weights, output] = saved as tf.Tensor2D[]
        const dz = (relu ? tf.mul(dy, tf.step(output)) : dy) as tf.Tensor2D
        const dx = inputGradient ? tf.matMul(dz, tf.transpose(weights)) : tf.zerosLike(input)
        return [dx, tf.matMul(tf.transpose(input), dz), tf.sum(dz, 0)]
      },
    }
  })
  return (x, kernel, bias) => op(x, kernel, bias) as tf.Tensor2D
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
