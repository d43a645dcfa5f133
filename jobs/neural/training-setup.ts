/**
 * The network settings and training windows of both phases, from the series and where the backtest
 * network's data ends: one function, so that `gras train-neural` and the M4 bench train the same
 * model on the same windows. Pure.
 *
 * Members of an ensemble may differ by input length and loss as well as by seed (N-BEATS's own
 * ensemble spans lookbacks of 2h to 7h and three losses, Oreshkin et al. 2020). Member k reads
 * `lookbacks[k mod L]` steps and minimises `losses[floor(k / L) mod M]`: the member count alone sets
 * the training time (each member costs about the same), with a few members every lookback is used
 * once before any repeats, and `members = L x M` trains each (lookback, loss) pair once.
 */
import type { NeuralPhase } from '../core/lake-layout.js'
import { defaultMlpOptions, type GlobalMlpOptions, type LearningRateSchedule, type NeuralLoss } from './global-mlp.js'
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
  /** Networks per phase (default 1); member k has seed `seed + k`. */
  members?: number
  /** Input windows the members cycle through (each shortened as `inputSteps` is); default [inputSteps]. */
  lookbacks?: readonly number[]
  /** Losses the members cycle through, once per round of lookbacks; default ['mase']. */
  losses?: readonly NeuralLoss[]
  /** Steps between window ends; default half the horizon. */
  stride?: number
  normalisation?: WindowNormalisation
}

/** One member network: its settings (seed included), window shape and training windows. */
export interface NeuralMemberSetup {
  options: GlobalMlpOptions
  shape: WindowShape
  windows: Record<NeuralPhase, WindowSet>
}

/** Member 0's setup at the top level, and every member's (members sharing an input length share its windows). */
export interface NeuralSetup extends NeuralMemberSetup {
  members: NeuralMemberSetup[]
}

/** `backtestEnds[s]`: the exclusive end index of series s's data for the backtest network. */
export function neuralTrainingSetup(series: readonly Float64Array[], backtestEnds: readonly number[], settings: NeuralSetupSettings): NeuralSetup {
  const { horizon, baselinePeriod } = settings
  const lookbacks = settings.lookbacks ?? [settings.inputSteps ?? defaultMlpOptions.inputSteps]
  const losses = settings.losses ?? ['mase']
  if (lookbacks.length === 0 || losses.length === 0) throw new Error('neural: no lookbacks or no losses to train members with')
  const stride = settings.stride ?? Math.ceil(horizon / 2)
  const normalisation = settings.normalisation ?? trainedNormalisation
  const byInput = new Map<number, Pick<NeuralMemberSetup, 'shape' | 'windows'>>()
  const members = Array.from({ length: settings.members ?? 1 }, (_, k): NeuralMemberSetup => {
    // Every series must fill one input window; never shorter than the baseline's period.
    const inputSteps = Math.max(baselinePeriod, Math.min(lookbacks[k % lookbacks.length], ...series.map((y) => y.length - horizon)))
    const loss = losses[Math.floor(k / lookbacks.length) % losses.length]
    const options: GlobalMlpOptions = {
      ...defaultMlpOptions,
      horizon,
      inputSteps,
      epochs: settings.epochs,
      batchSize: settings.batchSize,
      seed: settings.seed + k,
      learningRate: settings.learningRate ?? defaultMlpOptions.learningRate,
      schedule: settings.schedule ?? defaultMlpOptions.schedule,
      ...(loss === 'mase' ? {} : { loss }),
    }
    let shared = byInput.get(inputSteps)
    if (!shared) {
      const shape: WindowShape = { inputSteps, horizon, baselinePeriod, normalisation }
      shared = {
        shape,
        windows: {
          backtest: buildWindows(series, shape, stride, defaultMaxWindowsPerSeries, backtestEnds),
          final: buildWindows(series, shape, stride, defaultMaxWindowsPerSeries),
        },
      }
      byInput.set(inputSteps, shared)
    }
    return { options, ...shared }
  })
  return { ...members[0], members }
}
