/**
 * The global neural model (jobs/neural/) as a model family, so selection treats it like any other
 * candidate. The family holds no weights: it asks a predictor, loaded by the caller, for the version
 * named in its parameters. Each predictor answers only for series ending where it had not seen the
 * future (its backtest model after the backtest cutoff, its final model after all its data), which
 * keeps the rolling-origin backtest free of leakage. Pure apart from the predictors it is given.
 */
import { assertSaneForecast, ModelFitError, type ModelContext, type ModelFamily } from './model.js'

export interface NeuralParams {
  /** The registry version of the global model. */
  version: string
}

export interface NeuralPredictor {
  version: string
  /** Forecasts `horizon` steps after the end of `y`; throws ModelFitError when it cannot without look-ahead. */
  predict(y: Float64Array, horizon: number, context: ModelContext): Float64Array
}

/** The family over loaded predictors; `current` is the version new fits use (none: the candidate falls back). */
export function createNeuralFamily(predictors: ReadonlyMap<string, NeuralPredictor>, current?: string): ModelFamily<NeuralParams> {
  return {
    name: 'neural',
    // Fitting a global model is train-neural's job; per series there is nothing left to estimate.
    backtestFitOnce: true,
    fit(): NeuralParams {
      if (!current) throw new ModelFitError('neural', 'failed', 'no approved neural model: run gras train-neural')
      return { version: current }
    },
    forecast(params: NeuralParams, y: Float64Array, horizon: number, context: ModelContext): Float64Array {
      const predictor = predictors.get(params.version)
      if (!predictor) throw new ModelFitError('neural', 'failed', `neural model ${params.version} is not loaded`)
      return assertSaneForecast('neural', y, predictor.predict(y, horizon, context))
    },
  }
}

/** The neural versions a fitted model uses: its own, or its combination members'. */
export function neuralVersionsOf(model: string, params: unknown): string[] {
  if (model === 'neural') return [(params as NeuralParams).version]
  if (model !== 'combination') return []
  const members = (params as { members?: { model: string; params: unknown }[] }).members ?? []
  return [...new Set(members.flatMap((m) => neuralVersionsOf(m.model, m.params)))]
}
