/**
 * Exponential smoothing state space models ETS(A,N,N), ETS(A,A,N) and ETS(A,Ad,N) (FPP3 chapter 8;
 * R's forecast::ets), selected by AICc, on the seasonally adjusted series (forecast::stlf's
 * approach for long seasonal periods such as 168, where a seasonal ETS state is impractical).
 * Initial states come from the series by a fixed rule, so the parameters can be re-applied to a
 * newer window without refitting.
 */
import { logistic, logit } from '../optim/logistic.js'
import { nelderMeadFromStarts } from '../optim/nelder-mead.js'
import { assertSaneForecast, type ModelContext, type ModelFamily } from './model.js'
import { forecastWithSeasonalAdjustment, seasonallyAdjusted } from './seasonal-adjustment.js'

export type EtsForm = 'ANN' | 'AAN' | 'AAdN'

export interface EtsParams {
  form: EtsForm
  alpha: number
  beta: number
  phi: number
  aicc: number
}

/** The filter's state after some observations: what `updateEts` carries forward. */
export interface EtsState {
  level: number
  trend: number
  /** Sum of squared one-step errors so far (the fit's criterion). */
  sse: number
}

type EtsSmoothing = Pick<EtsParams, 'form' | 'alpha' | 'beta' | 'phi'>

/** The initial state, by a fixed rule from the first points (so parameters can be re-applied to a newer window). */
export function initialEtsState(y: Float64Array, form: EtsForm): EtsState {
  const window = Math.min(y.length, 10)
  let level = 0
  for (let i = 0; i < window; i++) level += y[i] / window
  let trend = 0
  if (form !== 'ANN' && y.length >= 4) {
    const half = Math.min(window, Math.floor(y.length / 2))
    let first = 0
    let second = 0
    for (let i = 0; i < half; i++) {
      first += y[i] / half
      second += y[i + half] / half
    }
    trend = (second - first) / half
    level = first - (trend * (half - 1)) / 2
  }
  return { level, trend, sse: 0 }
}

/** Filters `points` forward from `state` with fixed parameters: how new observations update a fitted model. */
export function updateEts(state: EtsState, params: EtsSmoothing, points: Float64Array): EtsState {
  const damping = dampingOf(params)
  let { level, trend, sse } = state
  for (let t = 0; t < points.length; t++) {
    const predicted = level + damping * trend
    const error = points[t] - predicted
    sse += error * error
    level = predicted + params.alpha * error
    trend = damping * trend + params.beta * error
  }
  return { level, trend, sse }
}

/** Runs the ETS filter over `y` and returns the final state and the one-step sum of squared errors. */
export function filterEts(y: Float64Array, form: EtsForm, alpha: number, beta: number, phi: number): EtsState {
  return updateEts(initialEtsState(y, form), { form, alpha, beta, phi }, y)
}

/** The point forecast from a state: level plus the (damped) trend. */
export function forecastFromEtsState(state: EtsState, params: EtsSmoothing, horizon: number): Float64Array {
  const damping = dampingOf(params)
  const mean = new Float64Array(horizon)
  let cumulative = 0
  let power = 1
  for (let h = 0; h < horizon; h++) {
    power *= damping
    cumulative += power
    mean[h] = state.level + cumulative * state.trend
  }
  return mean
}

function dampingOf(params: EtsSmoothing): number {
  return params.form === 'AAdN' ? params.phi : params.form === 'AAN' ? 1 : 0
}

/** Smoothing parameters plus initial states of a form, as R's ets counts them (AICc, sigma^2). */
export function etsParameterCount(form: EtsForm): number {
  return form === 'ANN' ? 2 : form === 'AAN' ? 4 : 5
}

function fitForm(y: Float64Array, form: EtsForm): EtsParams {
  const n = y.length
  const decode = (x: Float64Array) => {
    const alpha = 1e-4 + 0.9998 * logistic(x[0])
    const beta = form === 'ANN' ? 0 : alpha * 0.999 * logistic(x[1])
    const phi = form === 'AAdN' ? 0.8 + 0.18 * logistic(x[2]) : 1
    return { alpha, beta, phi }
  }
  const loss = (x: Float64Array) => {
    const p = decode(x)
    const sse = filterEts(y, form, p.alpha, p.beta, p.phi).sse
    return Number.isFinite(sse) ? sse : Infinity
  }
  // Two starts, smooth and reactive: from the smooth one alone, Nelder-Mead can settle where beta has
  // collapsed to 0 (the logistic is flat there) while the best fit has a large beta damped by phi 0.8
  // (M4 H230: SSE 87.7 against 55.9, so AICc chose the undamped trend and it ran away over 48 steps).
  const starts = [0.3, 0.9].map((alpha) => [logit(alpha), logit(alpha / 3), 0].slice(0, form === 'ANN' ? 1 : form === 'AAN' ? 2 : 3))
  const result = nelderMeadFromStarts(loss, starts)
  const p = decode(result.x)
  // The estimated parameters and initial states, plus the error variance.
  const k = etsParameterCount(form) + 1
  const sse = Math.max(result.value, 1e-300)
  const aic = n * Math.log(sse / n) + 2 * k
  const aicc = n - k - 1 > 0 ? aic + (2 * k * (k + 1)) / (n - k - 1) : Infinity
  return { form, ...p, aicc }
}

/**
 * Fits the three forms on the adjusted series by one-step squared errors (R's opt.crit = "mse") and
 * keeps the lowest AICc.
 */
export function fitEts(y: Float64Array, context: ModelContext): EtsParams {
  const adjusted = seasonallyAdjusted(y, context)
  const forms: EtsForm[] = adjusted.length >= 8 ? ['ANN', 'AAN', 'AAdN'] : ['ANN']
  let best: EtsParams | undefined
  for (const form of forms) {
    const candidate = fitForm(adjusted, form)
    if (!best || candidate.aicc < best.aicc) best = candidate
  }
  return best!
}

export function forecastEts(params: EtsParams, y: Float64Array, horizon: number, context: ModelContext): Float64Array {
  const out = forecastWithSeasonalAdjustment(y, horizon, context, (adjusted) =>
    forecastFromEtsState(filterEts(adjusted, params.form, params.alpha, params.beta, params.phi), params, horizon),
  )
  return assertSaneForecast('ets', y, out)
}

export const ets: ModelFamily<EtsParams> = { name: 'ets', fit: fitEts, forecast: forecastEts, backtestFitOnce: true }
