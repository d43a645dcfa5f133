/**
 * Forecast combinations (Bates & Granger 1969; the M4 finding that combinations beat single methods,
 * Makridakis et al. 2020): the median of every candidate, or the best few weighted by inverse
 * backtest MASE. Members keep their own parameters, so the combination forecasts from new data
 * without refitting, like any model.
 */
import type { ModelName } from '../ids.js'
import type { ModelContext, ModelFamily } from './model.js'

export type CombinationMethod = 'median' | 'weighted'

export interface CombinationParams {
  method: CombinationMethod
  members: { model: ModelName; params: unknown; weight: number }[]
}

/** Combines member forecasts (all the same length) step by step. */
export function combineForecasts(method: CombinationMethod, forecasts: readonly Float64Array[], weights: readonly number[]): Float64Array {
  const horizon = forecasts[0]?.length ?? 0
  const out = new Float64Array(horizon)
  const column = new Float64Array(forecasts.length)
  let weightSum = 0
  for (const w of weights) weightSum += w
  for (let h = 0; h < horizon; h++) {
    if (method === 'median') {
      for (let k = 0; k < forecasts.length; k++) column[k] = forecasts[k][h]
      column.sort()
      const mid = forecasts.length >> 1
      out[h] = forecasts.length % 2 === 1 ? column[mid] : 0.5 * (column[mid - 1] + column[mid])
    } else {
      let sum = 0
      for (let k = 0; k < forecasts.length; k++) sum += weights[k] * forecasts[k][h]
      out[h] = sum / weightSum
    }
  }
  return out
}

/** Weights proportional to 1 / MASE, for the `weighted` method; a member without a finite score gets 0 (all 0: equal weights). */
export function inverseErrorWeights(maseValues: readonly number[]): number[] {
  const weights = maseValues.map((m) => (Number.isFinite(m) ? 1 / Math.max(m, 1e-9) : 0))
  return weights.some((w) => w > 0) ? weights : weights.map(() => 1)
}

/** The combination as a model family over the single-model families of `catalog`. */
export function createCombination(catalog: Readonly<Record<ModelName, ModelFamily>>): ModelFamily<CombinationParams> {
  return {
    name: 'combination',
    fit: () => {
      throw new Error('combination: members are fitted by selection (select.ts), not by fit()')
    },
    forecast(params: CombinationParams, y: Float64Array, horizon: number, context: ModelContext): Float64Array {
      const forecasts = params.members.map((m) => catalog[m.model].forecast(m.params, y, horizon, context))
      return combineForecasts(params.method, forecasts, params.members.map((m) => m.weight))
    },
  }
}
