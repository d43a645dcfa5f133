/**
 * Seasonal naive (Hyndman & Athanasopoulos, FPP3 section 5.2): each step repeats the value one
 * season earlier. The season is the longest configured period the series covers twice, else the
 * shortest it covers once, else 1 (plain naive).
 */
import type { ModelContext, ModelFamily } from './model.js'

export interface SeasonalNaiveParams {
  period: number
}

export function fitSeasonalNaive(y: Float64Array, context: ModelContext): SeasonalNaiveParams {
  const twice = context.periods.filter((p) => y.length >= 2 * p)
  const once = context.periods.filter((p) => y.length >= p)
  const period = twice.length > 0 ? Math.max(...twice) : once.length > 0 ? Math.min(...once) : 1
  return { period }
}

export function forecastSeasonalNaive(params: SeasonalNaiveParams, y: Float64Array, horizon: number): Float64Array {
  const out = new Float64Array(horizon)
  const period = Math.min(params.period, y.length)
  for (let h = 0; h < horizon; h++) out[h] = y[y.length - period + (h % period)]
  return out
}

export const seasonalNaive: ModelFamily<SeasonalNaiveParams> = {
  name: 'snaive',
  fit: fitSeasonalNaive,
  forecast: (params, y, horizon) => forecastSeasonalNaive(params, y, horizon),
}
