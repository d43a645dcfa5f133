/**
 * The Dynamic Optimised Theta Model (Fiorucci, Pellegrini, Louzada, Petropoulos & Koehler 2016,
 * "Models for optimising the theta method and their relationship to state space models", IJF 32(4);
 * R's forecTheta::dotm), on the seasonally adjusted series. With times t = 1..n:
 *
 *   mu_t = l_{t-1} + (1 - 1/theta) [ (1-alpha)^{t-1} A_{t-1} + (1 - (1-alpha)^t) / alpha * B_{t-1} ]
 *   l_t  = alpha y_t + (1 - alpha) l_{t-1}
 *
 * where A_t, B_t are the intercept and slope of the least-squares line through y_1..y_t, updated as
 * each point arrives (running sums, so new observations update the state in O(1) each). The theta
 * coefficient, fixed at 2 in the standard method (theta.ts), is estimated with alpha by minimising the
 * one-step squared errors; theta = 1 is simple exponential smoothing, larger values follow the trend
 * more. The forecast h steps ahead is mu with the level held and the line extrapolated:
 *   l_n + (1 - 1/theta) [ (1-alpha)^n A_n + ((h - 1) + (1 - (1-alpha)^{n+1}) / alpha) B_n ].
 * Bounds as forecTheta: alpha in [0.1, 0.99], theta >= 1. The initial level is the first observation
 * rather than a third estimated parameter, so the parameters apply to any window (after the 60-odd
 * steps that 0.9^t takes to fade, it no longer matters).
 */
import { logistic } from '../optim/logistic.js'
import { nelderMeadFromStarts } from '../optim/nelder-mead.js'
import { assertSaneForecast, type ModelContext, type ModelFamily } from './model.js'
import { forecastWithSeasonalAdjustment, seasonallyAdjusted } from './seasonal-adjustment.js'

export interface DotmParams {
  alpha: number
  theta: number
}

/** The filter's state: level, points seen, and the running sums of the least-squares line (t from 1). */
export interface DotmState {
  level: number
  n: number
  sumY: number
  sumTY: number
  /** Sum of squared one-step errors so far. */
  sse: number
}

export const emptyDotmState: DotmState = { level: 0, n: 0, sumY: 0, sumTY: 0, sse: 0 }

/** Intercept (at t = 0) and slope of the least-squares line through the points seen. */
function trendLine(state: DotmState): { intercept: number; slope: number } {
  const { n, sumY, sumTY } = state
  if (n === 0) return { intercept: 0, slope: 0 }
  const meanT = (n + 1) / 2
  const slope = n < 2 ? 0 : (sumTY - meanT * sumY) / ((n * (n * n - 1)) / 12)
  return { intercept: sumY / n - meanT * slope, slope }
}

/** The forecast `steps` ahead (1 = next) from a state. */
function forecastAt(state: DotmState, params: DotmParams, steps: number): number {
  const { intercept, slope } = trendLine(state)
  const decay = 1 - params.alpha
  const weight = 1 - 1 / params.theta
  return state.level + weight * (Math.pow(decay, state.n) * intercept + (steps - 1 + (1 - Math.pow(decay, state.n + 1)) / params.alpha) * slope)
}

/** Filters `points` forward from `state` with fixed parameters: how new observations update a fitted model. */
export function updateDotm(state: DotmState, params: DotmParams, points: Float64Array): DotmState {
  let current = state
  for (let i = 0; i < points.length; i++) {
    const y = points[i]
    let { level, sse } = current
    if (current.n === 0) {
      level = y
    } else {
      const error = y - forecastAt(current, params, 1)
      sse += error * error
      level += params.alpha * (y - level)
    }
    current = { level, n: current.n + 1, sumY: current.sumY + y, sumTY: current.sumTY + (current.n + 1) * y, sse }
  }
  return current
}

/** The point forecasts for steps 1..horizon from a state. */
export function forecastFromDotmState(state: DotmState, params: DotmParams, horizon: number): Float64Array {
  return Float64Array.from({ length: horizon }, (_, h) => forecastAt(state, params, h + 1))
}

export function fitDotm(y: Float64Array, context: ModelContext): DotmParams {
  const adjusted = seasonallyAdjusted(y, context)
  const decode = (x: Float64Array): DotmParams => ({ alpha: 0.1 + 0.89 * logistic(x[0]), theta: 1 + Math.exp(x[1]) })
  const loss = (x: Float64Array) => {
    const sse = updateDotm(emptyDotmState, decode(x), adjusted).sse
    return Number.isFinite(sse) ? sse : Infinity
  }
  // Two starts at the standard method's theta = 2, alpha about 0.55 and 0.95: as with ETS, one start can stop
  // on the flat side of the logistic.
  const result = nelderMeadFromStarts(loss, [
    [0, 0],
    [3, 0],
  ])
  return decode(result.x)
}

export function forecastDotm(params: DotmParams, y: Float64Array, horizon: number, context: ModelContext): Float64Array {
  const out = forecastWithSeasonalAdjustment(y, horizon, context, (adjusted) => forecastFromDotmState(updateDotm(emptyDotmState, params, adjusted), params, horizon))
  return assertSaneForecast('dotm', y, out)
}

export const dotm: ModelFamily<DotmParams> = { name: 'dotm', fit: fitDotm, forecast: forecastDotm, backtestFitOnce: true }
