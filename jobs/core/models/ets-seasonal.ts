/**
 * Seasonal exponential smoothing on the shortest seasonal period (the daily cycle of hourly data,
 * the weekly one of daily data), as R's forecast::ets fits it for frequency 24: the state-space forms
 * ETS(A,N,A), (A,A,A), (A,Ad,A), (M,N,A), (M,A,A), (M,Ad,A), (M,N,M), (M,A,M), (M,Ad,M) (Hyndman,
 * Koehler, Ord & Snyder 2008; R's default `restrict = TRUE` leaves out additive errors with
 * multiplicative seasonality), each fitted by maximum likelihood and the lowest AICc kept. Longer
 * periods (the weekly cycle of hourly data) are removed first by the MSTL decomposition and their
 * last cycle added back to the forecast, as the non-seasonal models do with every period.
 *
 * The recursions are those of R's etscalc.c: with q = l + phi b (phi = 1 without damping, b = 0
 * without trend) and s the seasonal state of the same phase one cycle back,
 *   forecast  f = q + s (additive season) or q s (multiplicative)
 *   level     l' = q + alpha (p - q),        p = y - s or y / s
 *   trend     b' = phi b + (beta / alpha) (l' - l - phi b)
 *   season    s' = s + gamma (t - s),        t = y - q or y / q
 * and -2 log-likelihood (up to a constant) n log(sum e^2), e = y - f, plus 2 sum log|f| with
 * e = (y - f) / f for multiplicative errors. Unlike R, the initial states are not estimated but
 * come from the first cycles by a fixed rule (initialSeasonalState), so the parameters apply to any
 * newer window; they are still counted in AICc as R counts them.
 */
import { logistic, logit } from '../optim/logistic.js'
import { nelderMeadFromStarts } from '../optim/nelder-mead.js'
import { decomposeSeasonal, seasonalAt } from '../decompose.js'
import { assertSaneForecast, ModelFitError, type ModelContext, type ModelFamily } from './model.js'

export type SeasonalEtsForm = 'ANA' | 'AAA' | 'AAdA' | 'MNA' | 'MAA' | 'MAdA' | 'MNM' | 'MAM' | 'MAdM'

export const seasonalEtsForms: readonly SeasonalEtsForm[] = ['ANA', 'AAA', 'AAdA', 'MNA', 'MAA', 'MAdA', 'MNM', 'MAM', 'MAdM']

/** R's ets refuses periods above 24: that many seasonal states cannot be estimated well. */
export const maxSeasonalEtsPeriod = 24

export interface SeasonalEtsSmoothing {
  form: SeasonalEtsForm
  alpha: number
  beta: number
  gamma: number
  phi: number
}

export interface SeasonalEtsParams extends SeasonalEtsSmoothing {
  period: number
  aicc: number
}

export interface SeasonalEtsState {
  level: number
  trend: number
  /** Seasonal states by phase (index = step mod period, counted from the window's first point). */
  season: Float64Array
  /** Steps filtered so far. */
  n: number
  /** Sum of squared (relative, for multiplicative errors) one-step errors. */
  sse: number
  /** Sum of log |one-step forecast| (for the multiplicative-error likelihood). */
  sumLogForecast: number
}

const errorOf = (form: SeasonalEtsForm) => form[0] as 'A' | 'M'
const trendOf = (form: SeasonalEtsForm) => (form.includes('Ad') ? 'Ad' : form[1] === 'A' ? 'A' : 'N')
const seasonOf = (form: SeasonalEtsForm) => form[form.length - 1] as 'A' | 'M'

/**
 * The initial state by a fixed rule, from the first min(4, n / period) whole cycles: the seasonal
 * states are each phase's mean deviation from (additive) or ratio to (multiplicative) its cycle's
 * mean, normalised to sum 0 or average 1; the trend is the change of the cycle means per step, and
 * the level the first cycle's mean moved back to just before the first point.
 */
export function initialSeasonalState(y: Float64Array, period: number, form: SeasonalEtsForm): SeasonalEtsState {
  const cycles = Math.floor(y.length / period)
  if (cycles < 2) throw new ModelFitError('ets-seasonal', 'too-short', `${y.length} points (expected at least two cycles of ${period})`)
  const multiplicative = seasonOf(form) === 'M'
  const trendCycles = Math.min(4, cycles)
  const means = Array.from({ length: cycles }, (_, c) => {
    let sum = 0
    for (let j = 0; j < period; j++) sum += y[c * period + j]
    return sum / period
  })
  const season = new Float64Array(period)
  for (let j = 0; j < period; j++) {
    for (let c = 0; c < cycles; c++) season[j] += (multiplicative ? y[c * period + j] / means[c] : y[c * period + j] - means[c]) / cycles
  }
  const centre = season.reduce((sum, v) => sum + v, 0) / period
  for (let j = 0; j < period; j++) season[j] = multiplicative ? season[j] / centre : season[j] - centre
  const trend = trendOf(form) === 'N' ? 0 : (means[trendCycles - 1] - means[0]) / ((trendCycles - 1) * period)
  const level = means[0] - (trend * (period + 1)) / 2
  return { level, trend, season, n: 0, sse: 0, sumLogForecast: 0 }
}

/** Filters `points` forward from `state` (its season array is copied, not changed). */
export function updateSeasonalEts(state: SeasonalEtsState, params: SeasonalEtsSmoothing, points: Float64Array): SeasonalEtsState {
  const trendType = trendOf(params.form)
  const multiplicativeSeason = seasonOf(params.form) === 'M'
  const multiplicativeError = errorOf(params.form) === 'M'
  const phi = trendType === 'Ad' ? params.phi : 1
  const period = state.season.length
  const season = Float64Array.from(state.season)
  let { level, trend, n, sse, sumLogForecast } = state
  for (let t = 0; t < points.length; t++, n++) {
    const y = points[t]
    const phase = n % period
    const s = season[phase]
    const damped = trendType === 'N' ? 0 : phi * trend
    const q = level + damped
    const f = multiplicativeSeason ? q * s : q + s
    if ((multiplicativeError || multiplicativeSeason) && !(f > 0 && q > 0)) {
      // A multiplicative form whose forecast leaves the positive half-line has no likelihood.
      sse = Infinity
    } else if (multiplicativeError) {
      const e = (y - f) / f
      sse += e * e
      sumLogForecast += Math.log(Math.abs(f))
    } else {
      sse += (y - f) * (y - f)
    }
    const p = multiplicativeSeason ? y / s : y - s
    const newLevel = q + params.alpha * (p - q)
    if (trendType !== 'N') trend = damped + (params.beta / params.alpha) * (newLevel - level - damped)
    season[phase] = s + params.gamma * ((multiplicativeSeason ? y / q : y - q) - s)
    level = newLevel
  }
  return { level, trend, season, n, sse, sumLogForecast }
}

/** Point forecasts for steps 1..horizon after a state. */
export function forecastFromSeasonalEtsState(state: SeasonalEtsState, params: SeasonalEtsSmoothing, horizon: number): Float64Array {
  const trendType = trendOf(params.form)
  const phi = trendType === 'Ad' ? params.phi : 1
  const period = state.season.length
  const out = new Float64Array(horizon)
  let cumulative = 0
  let power = 1
  for (let h = 0; h < horizon; h++) {
    power *= phi
    cumulative += trendType === 'N' ? 0 : power
    const q = state.level + cumulative * state.trend
    const s = state.season[(state.n + h) % period]
    out[h] = seasonOf(params.form) === 'M' ? q * s : q + s
  }
  return out
}

/** -2 log-likelihood up to a constant, as R's ets: n log(SSE) (+ 2 sum log|f| for multiplicative errors). */
export function seasonalEtsLikelihood(state: SeasonalEtsState, form: SeasonalEtsForm): number {
  const core = state.n * Math.log(Math.max(state.sse, 1e-300))
  return errorOf(form) === 'M' ? core + 2 * state.sumLogForecast : core
}

/** Parameters as R's ets counts them for AICc: smoothing weights, initial states (period - 1 seasonal ones) and the variance. */
export function seasonalEtsParameterCount(form: SeasonalEtsForm, period: number): number {
  const trend = trendOf(form)
  const smoothing = 2 + (trend === 'N' ? 0 : 1) + (trend === 'Ad' ? 1 : 0)
  const initial = 1 + (trend === 'N' ? 0 : 1) + (period - 1)
  return smoothing + initial + 1
}

function decode(form: SeasonalEtsForm, x: Float64Array): SeasonalEtsSmoothing {
  const alpha = 1e-4 + 0.9998 * logistic(x[0])
  const gamma = (1 - alpha) * 0.999 * logistic(x[1])
  const trend = trendOf(form)
  const beta = trend === 'N' ? 0 : alpha * 0.999 * logistic(x[2])
  const phi = trend === 'Ad' ? 0.8 + 0.18 * logistic(x[3]) : 1
  return { form, alpha, beta, gamma, phi }
}

function fitForm(y: Float64Array, period: number, form: SeasonalEtsForm): SeasonalEtsParams {
  const initial = initialSeasonalState(y, period, form)
  const loss = (x: Float64Array) => {
    const state = updateSeasonalEts(initial, decode(form, x), y)
    const value = seasonalEtsLikelihood(state, form)
    return Number.isFinite(value) ? value : Infinity
  }
  const dimensions = trendOf(form) === 'N' ? 2 : trendOf(form) === 'A' ? 3 : 4
  // Two starts, smooth and reactive, as the non-seasonal ETS: one start alone can stop where a
  // weight has collapsed onto the flat side of the logistic.
  const starts = [0.2, 0.8].map((alpha) => [logit(alpha), logit(0.1), logit(0.1), 0].slice(0, dimensions))
  const result = nelderMeadFromStarts(loss, starts)
  const n = y.length
  const k = seasonalEtsParameterCount(form, period)
  const aic = result.value + 2 * k
  const aicc = n - k - 1 > 0 ? aic + (2 * k * (k + 1)) / (n - k - 1) : Infinity
  return { ...decode(form, result.x), period, aicc }
}

/** The part of `y` the seasonal ETS models: `y` minus every seasonal component but the shortest period's. */
function etsInput(y: Float64Array, context: ModelContext): { period: number; input: Float64Array; rest: { profiles: Float64Array[]; periods: number[] } } {
  const period = context.periods[0] ?? 1
  if (period < 2 || period > maxSeasonalEtsPeriod) {
    throw new ModelFitError('ets-seasonal', 'failed', `period ${period} is outside 2..${maxSeasonalEtsPeriod} (as R's ets, which refuses longer periods)`)
  }
  if (y.length < 2 * period) throw new ModelFitError('ets-seasonal', 'too-short', `${y.length} points (expected at least two cycles of ${period})`)
  for (let i = 0; i < y.length; i++) if (!Number.isFinite(y[i])) throw new ModelFitError('ets-seasonal', 'failed', `value ${i} is not finite`)
  const longer = context.periods.filter((p) => p > period)
  if (longer.length === 0) return { period, input: y, rest: { profiles: [], periods: [] } }
  const decomposition = (context.decompose ?? decomposeSeasonal)(y, context.periods, context.phase0)
  const input = Float64Array.from(y)
  const periods: number[] = []
  const profiles: Float64Array[] = []
  decomposition.periods.forEach((p, k) => {
    if (p === period) return
    for (let i = 0; i < y.length; i++) input[i] -= decomposition.components[k][i]
    periods.push(p)
    profiles.push(decomposition.profiles[k])
  })
  return { period, input, rest: { profiles, periods } }
}

/** Fits every form that suits the data (multiplicative ones need positive data) and keeps the lowest AICc. */
export function fitSeasonalEts(y: Float64Array, context: ModelContext): SeasonalEtsParams {
  const { period, input } = etsInput(y, context)
  const positive = input.every((v) => v > 0)
  let best: SeasonalEtsParams | undefined
  for (const form of seasonalEtsForms) {
    if (!positive && form[0] === 'M') continue
    const candidate = fitForm(input, period, form)
    if (!best || candidate.aicc < best.aicc) best = candidate
  }
  return best!
}

export function forecastSeasonalEts(params: SeasonalEtsParams, y: Float64Array, horizon: number, context: ModelContext): Float64Array {
  const { period, input, rest } = etsInput(y, context)
  if (period !== params.period) throw new ModelFitError('ets-seasonal', 'failed', `fitted on period ${params.period}, asked to forecast with ${period}`)
  const state = updateSeasonalEts(initialSeasonalState(input, period, params.form), params, input)
  const out = forecastFromSeasonalEtsState(state, params, horizon)
  for (let h = 0; h < horizon; h++) out[h] += seasonalAt(rest.profiles, rest.periods, context.phase0 + y.length + h)
  return assertSaneForecast('ets-seasonal', y, out)
}

export const seasonalEts: ModelFamily<SeasonalEtsParams> = { name: 'ets-seasonal', fit: fitSeasonalEts, forecast: forecastSeasonalEts, backtestFitOnce: true }
