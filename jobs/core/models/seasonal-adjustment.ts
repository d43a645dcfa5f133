/**
 * Turns a non-seasonal forecaster into a seasonal one: decompose (decompose.ts), forecast the
 * seasonally adjusted series, add the seasonal profiles back (as forecast::stlf does with STL).
 * With `transform: 'log'` (and strictly positive data) this happens on log(y), which makes the
 * seasonal pattern multiplicative: its amplitude follows the level, as in most business series.
 * The decomposition is recomputed from the series each time: it is state, not a parameter.
 */
import { decomposeSeasonal, seasonalAt } from '../decompose.js'
import type { ModelContext } from './model.js'

/** True when the log transform applies to `y`. */
export function usesLog(y: Float64Array, context: ModelContext): boolean {
  if (context.transform !== 'log') return false
  for (let i = 0; i < y.length; i++) if (!(y[i] > 0)) return false
  return true
}

/** Adjusts `y`, forecasts the adjusted part with `forecastAdjusted`, and reseasonalises. */
export function forecastWithSeasonalAdjustment(
  y: Float64Array,
  horizon: number,
  context: ModelContext,
  forecastAdjusted: (adjusted: Float64Array) => Float64Array,
): Float64Array {
  const log = usesLog(y, context)
  const decomposition = decomposeSeasonal(log ? y.map(Math.log) : y, context.periods, context.phase0)
  const out = forecastAdjusted(decomposition.adjusted)
  const firstFuturePhase = context.phase0 + y.length
  for (let h = 0; h < horizon; h++) {
    out[h] += seasonalAt(decomposition.profiles, decomposition.periods, firstFuturePhase + h)
    if (log) out[h] = Math.exp(out[h])
  }
  return out
}

/** The seasonally adjusted series alone (on the log scale when it applies), for fitting parameters. */
export function seasonallyAdjusted(y: Float64Array, context: ModelContext): Float64Array {
  return decomposeSeasonal(usesLog(y, context) ? y.map(Math.log) : y, context.periods, context.phase0).adjusted
}
