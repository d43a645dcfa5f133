/**
 * The Theta method (Assimakopoulos & Nikolopoulos 2000) in the form of Hyndman & Billah (2003):
 * simple exponential smoothing plus half the slope of the linear trend, as R's forecast::thetaf,
 * applied to the seasonally adjusted series.
 */
import { nelderMead } from '../optim/nelder-mead.js'
import { assertSaneForecast, type ModelContext, type ModelFamily } from './model.js'
import { forecastWithSeasonalAdjustment, seasonallyAdjusted } from './seasonal-adjustment.js'

export interface ThetaParams {
  alpha: number
}

function sesFilter(y: Float64Array, alpha: number): { level: number; sse: number } {
  let level = y[0]
  let sse = 0
  for (let t = 1; t < y.length; t++) {
    const error = y[t] - level
    sse += error * error
    level += alpha * error
  }
  return { level, sse }
}

/** Least-squares slope of y on 0..n-1. */
export function linearSlope(y: Float64Array): number {
  const n = y.length
  if (n < 2) return 0
  const meanT = (n - 1) / 2
  let meanY = 0
  for (let i = 0; i < n; i++) meanY += y[i] / n
  let num = 0
  let den = 0
  for (let i = 0; i < n; i++) {
    num += (i - meanT) * (y[i] - meanY)
    den += (i - meanT) * (i - meanT)
  }
  return num / den
}

export function fitTheta(y: Float64Array, context: ModelContext): ThetaParams {
  const adjusted = seasonallyAdjusted(y, context)
  const result = nelderMead((x) => {
    const alpha = x[0]
    if (alpha <= 1e-4 || alpha >= 0.9999) return Infinity
    return sesFilter(adjusted, alpha).sse
  }, [0.3])
  return { alpha: result.x[0] }
}

export function forecastTheta(params: ThetaParams, y: Float64Array, horizon: number, context: ModelContext): Float64Array {
  const out = forecastWithSeasonalAdjustment(y, horizon, context, (adjusted) => {
    const { level } = sesFilter(adjusted, params.alpha)
    const drift = linearSlope(adjusted) / 2
    const n = adjusted.length
    const a = params.alpha
    const mean = new Float64Array(horizon)
    for (let h = 0; h < horizon; h++) mean[h] = level + drift * (h + (1 - Math.pow(1 - a, n)) / a)
    return mean
  })
  return assertSaneForecast('theta', y, out)
}

export const theta: ModelFamily<ThetaParams> = { name: 'theta', fit: fitTheta, forecast: forecastTheta }
