/**
 * Seasonal naive (Hyndman & Athanasopoulos, FPP3 section 5.2): each step repeats the value one
 * season earlier. The season is the longest configured period that the series covers twice and where
 * the M4 seasonality test (naive2.ts, as the competition gates Naive2) does not reject seasonality;
 * else 1 (plain naive). One cycle of history is a guess, not a season: with a single year of weekly
 * data, repeating last year was the forced choice for short M4 Weekly series and scored MASE 1.64
 * where the other models scored 1.15.
 */
import type { ModelContext, ModelFamily } from './model.js'
import { isSeasonal } from './naive2.js'

export interface SeasonalNaiveParams {
  period: number
}

export function fitSeasonalNaive(y: Float64Array, context: ModelContext): SeasonalNaiveParams {
  const seasonal = context.periods.filter((p) => y.length >= 2 * p && !seasonalityRejected(y, p))
  return { period: seasonal.length > 0 ? Math.max(...seasonal) : 1 }
}

/** True when the test can run (three cycles, no gaps) and finds no seasonality at `period`. */
function seasonalityRejected(y: Float64Array, period: number): boolean {
  if (y.length < 3 * period || y.some((v) => !Number.isFinite(v))) return false
  return !isSeasonal(y, period)
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
