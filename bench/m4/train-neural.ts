/**
 * The global model for the M4 bench, trained as `gras train-neural` trains it: a backtest network on
 * the windows that end before each series' first backtest origin (M4 series share no calendar, so
 * the cutoff is per series), and a final network on all the training part, with the settings and
 * windows `neuralTrainingSetup` gives both. Returns, per series, the
 * backtest network's forecasts at every origin and the final network's from the end, for the workers.
 */
import { selectionOrigins } from '../../jobs/core/select.js'
import { selectBackend } from '../../jobs/neural/backend.js'
import { buildGlobalMlp, defaultMlpOptions, forecastGlobalMlp, trainGlobalMlp, type LearningRateSchedule, type NeuralLoss } from '../../jobs/neural/global-mlp.js'
import { neuralTrainingSetup } from '../../jobs/neural/training-setup.js'
import type { WindowNormalisation } from '../../jobs/neural/windows.js'
import type { NeuralForecasts } from './neural-forecasts.js'

export interface BenchNeuralSettings {
  horizon: number
  periods: number[]
  maseLag: number
  origins: number
  level: number
  epochs: number
  inputSteps: number
  baselinePeriod: number
  batchSize: number
  normalisation: WindowNormalisation
  /** Networks per phase, with seeds seed, seed + 1, ...; their forecasts are averaged. */
  members: number
  /** Input lengths and losses the members cycle through (training-setup.ts); default [inputSteps] and ['mase']. */
  lookbacks?: number[]
  losses?: NeuralLoss[]
  /** Steps between window ends (default half the horizon). */
  stride?: number
  learningRate?: number
  schedule?: LearningRateSchedule
}

export interface BenchNeural {
  perSeries: NeuralForecasts[]
  summary: string
  trainSeconds: number
}

export async function trainBenchNeural(series: readonly Float64Array[], settings: BenchNeuralSettings): Promise<BenchNeural> {
  const backend = await selectBackend()
  const selection = { horizon: settings.horizon, originCount: settings.origins, level: settings.level, maseLag: settings.maseLag }
  const origins = series.map((y) => selectionOrigins(y.length, selection, { periods: settings.periods, phase0: 0 }))
  const { options, windows, members } = neuralTrainingSetup(
    series,
    origins.map((o, s) => o[0] ?? series[s].length),
    { ...settings, seed: defaultMlpOptions.seed },
  )
  // Origins too early for the longest input window get no forecast: selection then records a fallback.
  const longest = Math.max(...members.map((m) => m.options.inputSteps))
  const usable = origins.map((o) => o.filter((origin) => origin >= longest))
  const prefixes = usable.flatMap((o, s) => o.map((origin) => series[s].subarray(0, origin)))
  const started = performance.now()
  const backtestForecasts = prefixes.map(() => new Float64Array(options.horizon))
  const finalForecasts = series.map(() => new Float64Array(options.horizon))
  for (const { options: memberOptions, shape, windows: memberWindows } of members) {
    const backtest = buildGlobalMlp(memberOptions)
    await trainGlobalMlp(backtest, memberWindows.backtest, memberOptions)
    const final = buildGlobalMlp(memberOptions)
    await trainGlobalMlp(final, memberWindows.final, memberOptions)
    const add = (sums: Float64Array[], forecasts: Float64Array[]) => forecasts.forEach((f, i) => f.forEach((v, h) => (sums[i][h] += v / settings.members)))
    if (prefixes.length > 0) add(backtestForecasts, forecastGlobalMlp(backtest.model, prefixes, shape))
    add(finalForecasts, forecastGlobalMlp(final.model, series, shape))
    backtest.model.dispose()
    final.model.dispose()
  }
  const trainSeconds = (performance.now() - started) / 1000
  let next = 0
  const perSeries = series.map((y, s) => ({
    lengths: [...usable[s], y.length],
    forecasts: [...usable[s].map(() => backtestForecasts[next++]), finalForecasts[s]],
  }))
  const summary =
    `neural: backend ${backend.backend}, ${[...new Set(members.map((m) => m.options.inputSteps))].join('/')} -> ${options.horizon} steps, ${settings.members} member(s) (${members.map((m) => `${m.options.inputSteps} ${m.options.loss ?? 'mase'}`).join(', ')}) x ${options.epochs} epochs per network, batches of ${options.batchSize}, learning rate ${options.learningRate} ${options.schedule ?? 'constant'}, ${settings.normalisation} scaling; ` +
    `backtest network ${windows.backtest.count} windows, final network ${windows.final.count} windows (member 0); ${trainSeconds.toFixed(1)} s training both`
  return { perSeries, summary, trainSeconds }
}
