/**
 * Model-based prediction intervals for the ETS forms of ets.ts: the analytic forecast variance of the
 * linear additive-error models (Hyndman, Koehler, Ord & Snyder 2008, "Forecasting with Exponential
 * Smoothing", chapter 6, class 1; what forecast.ets computes), on the seasonally adjusted series, with
 * the seasonal part added back as known, as forecast::stlf does.
 *
 * Selection uses conformal intervals from the backtest (conformal.ts); these are the model's own, kept
 * so the bench can show which are better calibrated.
 */
import { normalQuantile } from '../normal-quantile.js'
import { etsParameterCount, filterEts, forecastFromEtsState, type EtsParams } from './ets.js'
import type { ModelContext } from './model.js'
import { forecastWithSeasonalAdjustment } from './seasonal-adjustment.js'

type Smoothing = Pick<EtsParams, 'form' | 'alpha' | 'beta' | 'phi'>

/** v_h / sigma^2 for h = 1..horizon: 1 + sum over j < h of c_j^2, with c_j = alpha + beta (phi + ... + phi^j). */
export function etsVarianceFactors(params: Smoothing, horizon: number): Float64Array {
  const phi = params.form === 'AAdN' ? params.phi : 1
  const beta = params.form === 'ANN' ? 0 : params.beta
  const factors = new Float64Array(horizon)
  let sum = 1
  let dampedSteps = 0
  let power = 1
  for (let h = 0; h < horizon; h++) {
    factors[h] = sum
    power *= phi
    dampedSteps += power
    const c = params.alpha + beta * dampedSteps
    sum += c * c
  }
  return factors
}

export interface IntervalForecast {
  mean: Float64Array
  lower: Float64Array
  upper: Float64Array
}

/** Mean and the model's central interval at `level`; sigma^2 = SSE / (n - parameters) on the adjusted series. */
export function etsModelInterval(params: EtsParams, y: Float64Array, horizon: number, context: ModelContext, level: number): IntervalForecast {
  const z = normalQuantile(0.5 + level / 2)
  const factors = etsVarianceFactors(params, horizon)
  const adjustedForecast = (shift: number) => (adjusted: Float64Array) => {
    const state = filterEts(adjusted, params.form, params.alpha, params.beta, params.phi)
    const sigma2 = state.sse / Math.max(1, adjusted.length - etsParameterCount(params.form))
    return forecastFromEtsState(state, params, horizon).map((mean, h) => mean + shift * z * Math.sqrt(sigma2 * factors[h]))
  }
  const [lower, mean, upper] = [-1, 0, 1].map((shift) => forecastWithSeasonalAdjustment(y, horizon, context, adjustedForecast(shift)))
  return { mean, lower, upper }
}
