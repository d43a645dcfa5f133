/**
 * One series of the M4 benchmark: the same selection `gras train` runs (every candidate backtested
 * on rolling origins of the training part, combinations scored, the best chosen), plus each single
 * model and each combination fitted on the whole training part, each with conformal 95% intervals
 * from its own backtest errors. Pure apart from timing.
 */
import { conformalHalfWidths } from '../../jobs/core/conformal.js'
import { modelCatalog } from '../../jobs/core/models/catalog.js'
import type { ArimaSearch } from '../../jobs/core/models/auto-arima.js'
import type { EtsParams } from '../../jobs/core/models/ets.js'
import { etsModelInterval } from '../../jobs/core/models/ets-intervals.js'
import { combineForecasts, inverseErrorWeights } from '../../jobs/core/models/combination.js'
import { forecastNaive2 } from '../../jobs/core/models/naive2.js'
import type { ModelContext, ModelFamily, ModelKind } from '../../jobs/core/models/model.js'
import { createNeuralFamily } from '../../jobs/core/models/neural.js'
import { backtestCandidates, chooseModel, finalParams, type Backtested, type Selection } from '../../jobs/core/select.js'
import { withDecompositionMemo } from '../../jobs/core/models/seasonal-adjustment.js'
import { precomputedNeural, type NeuralForecasts } from './neural-forecasts.js'
import type { ModelName } from '../../jobs/core/ids.js'
import type { SeriesBacktest } from './selection-variants.js'

export interface SeriesTask {
  index: number
  values: Float64Array
  horizon: number
  maseLag: number
  periods: number[]
  origins: number
  /** SelectionOptions.combinationMargin. */
  combinationMargin: number
  level: number
  candidates: ModelName[]
  /** Candidates on trial: backtested with the others, left out of `selected` and in `selected+trial`. */
  trial: ModelName[]
  /** AutoARIMA's search bounds (CatalogOptions.arimaSearch). */
  arimaSearch?: ArimaSearch
  /** The global model's forecasts for this series (bench/m4/neural-forecasts.ts), when the bench trained one. */
  neural?: NeuralForecasts
}

export interface MethodForecast {
  mean: Float64Array
  lower: Float64Array
  upper: Float64Array
}

export interface SeriesResult {
  index: number
  /**
   * Forecasts by method: each single model, `ets:model-intervals` (ETS with its analytic intervals), `combination:median`, `combination:weighted`, `selected`
   * (chosen among the statistical candidates), `selected-with-neural` (the neural model a candidate too,
   * as `gras train` does), `naive2`.
   */
  methods: Record<string, MethodForecast>
  selected: string
  selectedWithNeural?: string
  fallbacks: number
  seconds: number
  /** The candidates' backtests and final forecasts, for the selection variants (selection-variants.ts). */
  backtest?: SeriesBacktest
  /** Seconds spent in each family's fit and forecast (backtest and final fit), by name: where the time goes. */
  modelSeconds: Record<string, number>
}

export function evaluateSeries(task: SeriesTask): SeriesResult {
  const started = performance.now()
  const y = task.values
  const h = task.horizon
  const context: ModelContext = withDecompositionMemo({ periods: task.periods, phase0: 0 })
  const neural = task.neural ? createNeuralFamily(new Map([['bench', precomputedNeural(task.neural)]]), 'bench') : undefined
  const modelSeconds: Record<string, number> = {}
  const catalog = timed(fittingOnce(modelCatalog({ arimaMaxLength: 336, arimaSearch: task.arimaSearch, neural: neural as ModelFamily | undefined }), y), modelSeconds)
  const families = task.candidates.map((name) => catalog[name])
  const selectionOptions = { horizon: h, originCount: task.origins, level: task.level, maseLag: task.maseLag, combinationMargin: task.combinationMargin }
  // One backtest of every candidate; two choices from it: without and with the neural model.
  const backtested = backtestCandidates(y, families, context, selectionOptions)
  const onTrial = (name: string) => task.trial.includes(name as ModelName)
  const selection = chooseModel(y, backtested, context, selectionOptions, (name) => name !== 'neural' && !onTrial(name))
  const withNeural = neural ? chooseModel(y, backtested, context, selectionOptions, (name) => !onTrial(name)) : undefined
  const trials: [string, Selection][] = task.trial.length === 0 ? [] : [
    ['selected+trial', chooseModel(y, backtested, context, selectionOptions, (name) => name !== 'neural')],
    ...(neural ? [['selected-with-neural+trial', chooseModel(y, backtested, context, selectionOptions)] as [string, Selection]] : []),
  ]
  // AutoARIMA searched once (train.arimaSearchOnce) differs from searching again only in the final
  // fits: the backtest is the same, so the same run scores both settings.
  const searchedOnce = task.arimaSearch?.searchOnce || !task.candidates.includes('arima') ? undefined : arimaSearchedOnce(backtested)
  if (searchedOnce) {
    trials.push(['selected:arima-once', chooseModel(y, searchedOnce, context, selectionOptions, (name) => name !== 'neural' && !onTrial(name))])
    if (neural) trials.push(['selected-with-neural:arima-once', chooseModel(y, searchedOnce, context, selectionOptions, (name) => !onTrial(name))])
  }
  const methods: Record<string, MethodForecast> = {}
  const withWidths = (mean: Float64Array, errors: Float64Array | undefined): MethodForecast => {
    const widths = errors && errors.length > 0 ? conformalHalfWidths({ errors, origins: errors.length / h, horizon: h }, task.level) : selection.halfWidths
    return { mean, lower: mean.map((v, i) => v - widths[i]), upper: mean.map((v, i) => v + widths[i]) }
  }
  const singles: { name: string; mean: Float64Array; mase: number }[] = []
  for (const name of task.candidates) {
    const family: ModelFamily = catalog[name]
    try {
      const params = finalParams({ family, sharedParams: backtested.singles.find((s) => s.family.name === name)?.sharedParams }, y, context)
      const mean = family.forecast(params, y, h, context)
      methods[name] = withWidths(mean, selection.candidateErrors[name])
      // The same ETS with its own analytic intervals instead of conformal ones: which are better calibrated.
      if (name === 'ets') methods['ets:model-intervals'] = etsModelInterval(params as EtsParams, y, h, context, task.level)
      singles.push({ name, mean, mase: selection.candidates.find((c) => c.model === name)?.mase ?? Number.NaN })
    } catch {
      // Recorded in selection.fallbacks; the method's row then counts seasonal naive for this series.
      methods[name] = withWidths(catalog.snaive.forecast(catalog.snaive.fit(y, context), y, h, context), selection.candidateErrors.snaive)
      if (name === 'ets') methods['ets:model-intervals'] = methods[name]
    }
  }
  if (singles.length >= 3) {
    // Series too short to backtest have no scores: the best three are then all three, weighted equally.
    const scored = [...singles].filter((s) => Number.isFinite(s.mase)).sort((a, b) => a.mase - b.mase).slice(0, 3)
    const ranked = scored.length > 0 ? scored : singles.slice(0, 3)
    methods['combination:median'] = withWidths(combineForecasts('median', singles.map((s) => s.mean), singles.map(() => 1)), selection.candidateErrors['combination:median'])
    methods['combination:weighted'] = withWidths(
      combineForecasts('weighted', ranked.map((s) => s.mean), inverseErrorWeights(ranked.map((s) => s.mase))),
      selection.candidateErrors['combination:weighted'],
    )
  }
  const selectedMean = catalog[selection.model].forecast(selection.params, y, h, context)
  methods.selected = { mean: selectedMean, lower: selectedMean.map((v, i) => v - selection.halfWidths[i]), upper: selectedMean.map((v, i) => v + selection.halfWidths[i]) }
  if (withNeural) {
    const mean = catalog[withNeural.model].forecast(withNeural.params, y, h, context)
    methods['selected-with-neural'] = { mean, lower: mean.map((v, i) => v - withNeural.halfWidths[i]), upper: mean.map((v, i) => v + withNeural.halfWidths[i]) }
  }
  for (const [label, chosen] of trials) {
    const mean = catalog[chosen.model].forecast(chosen.params, y, h, context)
    methods[label] = { mean, lower: mean.map((v, i) => v - chosen.halfWidths[i]), upper: mean.map((v, i) => v + chosen.halfWidths[i]) }
  }
  if (searchedOnce) {
    // A failed backtest or forecast counts as the `arima` row does: seasonal naive for this series.
    const arimaOnce = searchedOnce.singles.find((s) => s.family.name === 'arima')
    try {
      methods['arima:once'] = arimaOnce ? withWidths(catalog.arima.forecast(arimaOnce.sharedParams, y, h, context), selection.candidateErrors.arima) : methods.arima
    } catch {
      methods['arima:once'] = methods.arima
    }
  }
  const backtest: SeriesBacktest = {
    origins: backtested.origins.length,
    actual: backtested.truth.actual,
    scales: backtested.truth.scales,
    forecasts: Object.fromEntries(backtested.singles.map((s) => [s.family.name, s.forecasts])),
    finals: Object.fromEntries(task.candidates.map((name) => [name, methods[name].mean])),
  }
  const naive2 = forecastNaive2(y, h, task.maseLag)
  methods.naive2 = { mean: naive2, lower: naive2, upper: naive2 }
  return { index: task.index, methods, selected: selection.label, selectedWithNeural: withNeural?.label, fallbacks: backtested.fallbacks.length, seconds: (performance.now() - started) / 1000, modelSeconds, backtest }
}

/** The backtest with AutoARIMA's final model keeping the order its backtest searched (ModelFamily.finalFromBacktest). */
function arimaSearchedOnce(backtested: Backtested): Backtested {
  return { ...backtested, singles: backtested.singles.map((s) => (s.family.name === 'arima' ? { ...s, family: { ...s.family, finalFromBacktest: true } } : s)) }
}

/**
 * The catalog with each family's fit on the whole series `y` memoised: the selection's final fit and
 * the per-model rows below fit the same model on the same data (an AutoARIMA order search is 0.17 s).
 */
function fittingOnce(catalog: Record<ModelKind, ModelFamily>, y: Float64Array): Record<ModelKind, ModelFamily> {
  const out = { ...catalog }
  for (const [name, family] of Object.entries(catalog) as [ModelKind, ModelFamily][]) {
    let fitted: { params: unknown } | undefined
    out[name] = { ...family, fit: (data, context) => (data === y ? (fitted ??= { params: family.fit(data, context) }).params : family.fit(data, context)) }
  }
  return out
}

/** The catalog with the time of every fit and forecast added to `seconds[name]`. */
function timed(catalog: Record<ModelKind, ModelFamily>, seconds: Record<string, number>): Record<ModelKind, ModelFamily> {
  const out = { ...catalog }
  const clock = <T>(name: string, body: () => T): T => {
    const started = performance.now()
    try {
      return body()
    } finally {
      seconds[name] = (seconds[name] ?? 0) + (performance.now() - started) / 1000
    }
  }
  for (const [name, family] of Object.entries(catalog) as [ModelKind, ModelFamily][]) {
    out[name] = { ...family, fit: (data, context) => clock(name, () => family.fit(data, context)), forecast: (params, data, horizon, context) => clock(name, () => family.forecast(params, data, horizon, context)) }
  }
  return out
}
