/**
 * Turns a non-seasonal forecaster into a seasonal one: decompose (decompose.ts), forecast the
 * seasonally adjusted series, add the seasonal profiles back (as forecast::stlf does with STL).
 * The seasonal pattern is additive: its amplitude does not follow the level. The decomposition is
 * recomputed from the series each time: it is state, not a parameter.
 */
import { decomposeSeasonal, decompositionMemo, seasonalAt } from '../decompose.js'
import type { ModelContext } from './model.js'

/** `context` with a memoised decomposition (decompositionMemo), unless it has one: for the many fits and forecasts of one series. */
export function withDecompositionMemo(context: ModelContext): ModelContext {
  return context.decompose ? context : { ...context, decompose: decompositionMemo() }
}

/** Adjusts `y`, forecasts the adjusted part with `forecastAdjusted`, and reseasonalises. */
export function forecastWithSeasonalAdjustment(
  y: Float64Array,
  horizon: number,
  context: ModelContext,
  forecastAdjusted: (adjusted: Float64Array) => Float64Array,
): Float64Array {
  const decomposition = (context.decompose ?? decomposeSeasonal)(y, context.periods, context.phase0)
  const out = forecastAdjusted(decomposition.adjusted)
  const firstFuturePhase = context.phase0 + y.length
  for (let h = 0; h < horizon; h++) out[h] += seasonalAt(decomposition.profiles, decomposition.periods, firstFuturePhase + h)
  return out
}

/** The seasonally adjusted series alone, for fitting parameters. */
export function seasonallyAdjusted(y: Float64Array, context: ModelContext): Float64Array {
  return (context.decompose ?? decomposeSeasonal)(y, context.periods, context.phase0).adjusted
}
