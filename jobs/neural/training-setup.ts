/**
 * The network settings and training windows of both phases, from the series and where the backtest
 * network's data ends: one function, so that `gras train-neural` and the M4 bench train the same
 * model on the same windows. Pure.
 */
import type { NeuralPhase } from '../core/lake-layout.js'
import { defaultMlpOptions, type GlobalMlpOptions, type LearningRateSchedule } from './global-mlp.js'
import { buildWindows, defaultMaxWindowsPerSeries, trainedNormalisation, type WindowNormalisation, type WindowSet, type WindowShape } from './windows.js'

export interface NeuralSetupSettings {
  horizon: number
  /** Targets are residuals on the seasonal naive forecast of this period. */
  baselinePeriod: number
  epochs: number
  batchSize: number
  seed: number
  learningRate?: number
  schedule?: LearningRateSchedule
  /** The longest input window (shorter when a series is); default defaultMlpOptions.inputSteps. */
  inputSteps?: number
  /** Steps between window ends; default half the horizon. */
  stride?: number
  normalisation?: WindowNormalisation
}

export interface NeuralSetup {
  options: GlobalMlpOptions
  shape: WindowShape
  windows: Record<NeuralPhase, WindowSet>
}

/** `backtestEnds[s]`: the exclusive end index of series s's data for the backtest network. */
export function neuralTrainingSetup(series: readonly Float64Array[], backtestEnds: readonly number[], settings: NeuralSetupSettings): NeuralSetup {
  const { horizon, baselinePeriod } = settings
  const options: GlobalMlpOptions = {
    ...defaultMlpOptions,
    horizon,
    // Every series must fill one input window; never shorter than the baseline's period.
    inputSteps: Math.max(baselinePeriod, Math.min(settings.inputSteps ?? defaultMlpOptions.inputSteps, ...series.map((y) => y.length - horizon))),
    epochs: settings.epochs,
    batchSize: settings.batchSize,
    seed: settings.seed,
    learningRate: settings.learningRate ?? defaultMlpOptions.learningRate,
    schedule: settings.schedule ?? defaultMlpOptions.schedule,
  }
  const shape: WindowShape = { inputSteps: options.inputSteps, horizon, baselinePeriod, normalisation: settings.normalisation ?? trainedNormalisation }
  const stride = settings.stride ?? Math.ceil(horizon / 2)
  return {
    options,
    shape,
    windows: {
      backtest: buildWindows(series, shape, stride, defaultMaxWindowsPerSeries, backtestEnds),
      final: buildWindows(series, shape, stride, defaultMaxWindowsPerSeries),
    },
  }
}
