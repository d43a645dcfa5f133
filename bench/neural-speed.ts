/**
 * Training speed of the global neural model, as ratios within one process (the machine is shared, so
 * absolute times move with the load): the same network and windows (M4 Hourly's backtest windows,
 * as the M4 bench builds them) trained by `trainGlobalMlp` and by tfjs-layers' own `trainOnBatch`
 * loop, alternating, each for `--epochs` epochs, at each `--batches` size. Prints seconds per epoch and
 * the last epoch's loss of each run (the two loops compute the same loss).
 *
 *   node dist/bench/neural-speed.js --train ../shared/datasets/m4/Hourly-train.csv --epochs 2 --rounds 2
 */
import { Command } from 'commander'
import * as tf from '@tensorflow/tfjs'
import { loadavg } from 'node:os'
import { selectionOrigins } from '../jobs/core/select.js'
import { selectBackend, type BackendName } from '../jobs/neural/backend.js'
import { buildGlobalMlp, defaultMlpOptions, trainGlobalMlp, type GlobalMlpOptions, type TrainedModel } from '../jobs/neural/global-mlp.js'
import { neuralTrainingSetup } from '../jobs/neural/training-setup.js'
import type { WindowSet } from '../jobs/neural/windows.js'
import { readM4Csv } from './m4/read-m4.js'

const options = new Command('bench:neural-speed')
  .requiredOption('--train <csv>', 'M4 Hourly train CSV')
  .option('--epochs <n>', 'epochs per timed run', (v) => Number(v), 2)
  .option('--rounds <n>', 'alternations of the loops', (v) => Number(v), 2)
  .option('--batches <list>', 'batch sizes', '64')
  .option('--loops <list>', 'loops to time: gras (trainGlobalMlp), layers (trainOnBatch)', 'layers,gras')
  .option('--backend <name>', 'TensorFlow.js backend', 'wasm')
  .parse()
  .opts<{ train: string; epochs: number; rounds: number; batches: string; loops: string; backend: BackendName }>()

/** tfjs-layers' training step over the same batches as trainGlobalMlp: the reference. */
async function trainOnBatchLoop(trained: TrainedModel, windows: WindowSet, settings: GlobalMlpOptions): Promise<number> {
  let loss = Number.NaN
  for (let epoch = 0; epoch < settings.epochs; epoch++) {
    let sum = 0
    let batches = 0
    for (let start = 0; start < windows.count; start += settings.batchSize) {
      const size = Math.min(settings.batchSize, windows.count - start)
      const xs = tf.tensor2d(windows.inputs.subarray(start * windows.inputSteps, (start + size) * windows.inputSteps), [size, windows.inputSteps])
      const ys = tf.tensor2d(windows.targets.subarray(start * windows.horizon, (start + size) * windows.horizon), [size, windows.horizon])
      sum += (await trained.model.trainOnBatch(xs, ys)) as number
      batches++
      tf.dispose([xs, ys])
    }
    loss = sum / batches
  }
  return loss
}

async function main(): Promise<void> {
  const backend = await selectBackend(options.backend)
  const horizon = 48
  const series = readM4Csv(options.train).map((s) => s.values.subarray(0, s.values.length - horizon))
  const selection = { horizon, originCount: 8, level: 0.95, maseLag: 24 }
  const ends = series.map((y) => selectionOrigins(y.length, selection, { periods: [24, 168], phase0: 0 })[0] ?? y.length)
  const windows = neuralTrainingSetup(series, ends, { ...defaultMlpOptions, horizon, baselinePeriod: 24 }).windows.backtest
  console.log(`backend ${backend.backend}; ${windows.count} windows of 168 -> 48; ${options.epochs} epoch(s) per run; load average ${loadavg().map((v) => v.toFixed(1)).join(' ')}`)
  const loops = options.loops.split(',')
  const times = new Map<string, number[]>()
  for (let round = 0; round < options.rounds; round++) {
    for (const batchSize of options.batches.split(',').map(Number)) {
      for (const loop of loops) {
        const settings = { ...defaultMlpOptions, epochs: options.epochs, batchSize }
        const trained = buildGlobalMlp(settings)
        const started = performance.now()
        let loss = Number.NaN
        if (loop === 'layers') loss = await trainOnBatchLoop(trained, windows, settings)
        else await trainGlobalMlp(trained, windows, settings, { onEpochEnd: (_epoch, l) => void (loss = l) })
        const perEpoch = (performance.now() - started) / 1000 / options.epochs
        trained.model.dispose()
        const key = `${loop} batch ${batchSize}`
        times.set(key, [...(times.get(key) ?? []), perEpoch])
        console.log(`round ${round + 1}: ${key}: ${perEpoch.toFixed(2)} s/epoch, loss ${loss.toFixed(4)}, load ${loadavg()[0].toFixed(1)}`)
      }
    }
  }
  const reference = times.get(`layers batch ${options.batches.split(',')[0]}`)
  for (const [key, values] of times) {
    const mean = values.reduce((a, b) => a + b, 0) / values.length
    const ratio = reference ? ` (${(reference.reduce((a, b) => a + b, 0) / reference.length / mean).toFixed(2)}x the layers loop at the first batch size)` : ''
    console.log(`${key}: mean ${mean.toFixed(2)} s/epoch${ratio}`)
  }
}

await main()
