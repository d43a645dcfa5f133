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

/**
 * The state after some observations: the SES level, and the running sums that give the least-squares
 * slope on 0..n-1 without revisiting old points. `updateTheta` carries it forward.
 */
export interface ThetaState {
  level: number
  sse: number
  n: number
  sumY: number
  sumTY: number
}

/** Adds `points` to `state` with a fixed alpha: how new observations update a fitted model. */
export function updateTheta(state: ThetaState, alpha: number, points: Float64Array): ThetaState {
  let { level, sse, n, sumY, sumTY } = state
  for (let i = 0; i < points.length; i++) {
    if (n === 0) {
      level = points[i]
    } else {
      const error = points[i] - level
      sse += error * error
      level += alpha * error
    }
    sumY += points[i]
    sumTY += n * points[i]
    n++
  }
  return { level, sse, n, sumY, sumTY }
}

export const emptyThetaState: ThetaState = { level: 0, sse: 0, n: 0, sumY: 0, sumTY: 0 }

/** The drift of the Theta line: half the least-squares slope, from the running sums. */
function thetaDrift(state: ThetaState): number {
  const { n, sumY, sumTY } = state
  if (n < 2) return 0
  const meanT = (n - 1) / 2
  return (sumTY - meanT * sumY) / ((n * (n * n - 1)) / 12) / 2
}

/** The point forecast from a state (Hyndman & Billah's form of the Theta method). */
export function forecastFromThetaState(state: ThetaState, alpha: number, horizon: number): Float64Array {
  const drift = thetaDrift(state)
  const mean = new Float64Array(horizon)
  for (let h = 0; h < horizon; h++) mean[h] = state.level + drift * (h + (1 - Math.pow(1 - alpha, state.n)) / alpha)
  return mean
}

function sesFilter(y: Float64Array, alpha: number): ThetaState {
  return updateTheta(emptyThetaState, alpha, y)
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
  const out = forecastWithSeasonalAdjustment(y, horizon, context, (adjusted) => forecastFromThetaState(sesFilter(adjusted, params.alpha), params.alpha, horizon))
  return assertSaneForecast('theta', y, out)
}

export const theta: ModelFamily<ThetaParams> = { name: 'theta', fit: fitTheta, forecast: forecastTheta, backtestFitOnce: true }
