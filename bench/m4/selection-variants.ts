/**
 * Ways of turning the candidates' forecasts into one, compared on the same backtests (bench only):
 * fixed combinations (mean or median of all; equal weights of the k best, ranked per series or
 * across all series) and stacking weights learned across series (non-negative, summing to 1, that
 * minimise the mean backtest MASE of every series and origin together). Weights and rankings come
 * from the backtest origins, which all end before the hold-out; each method's intervals are
 * conformal on its own backtest errors, at the calibrated level, as the selection's are.
 */
import { calibratedLevel, conformalHalfWidths } from '../../jobs/core/conformal.js'
import { combineForecasts } from '../../jobs/core/models/combination.js'
import { nelderMead } from '../../jobs/core/optim/nelder-mead.js'
import type { MethodForecast } from './evaluate-series.js'

/** One series' backtest as the worker returns it: what happened after each origin and every candidate's forecasts there. */
export interface SeriesBacktest {
  origins: number
  /** `origins x horizon`. */
  actual: Float64Array
  /** Each origin's MASE scale. */
  scales: Float64Array
  /** Backtest forecasts (`origins x horizon`) by candidate; a failed candidate is missing. */
  forecasts: Record<string, Float64Array>
  /** Forecasts of the hold-out by candidate, from the fit on the whole training part. */
  finals: Record<string, Float64Array>
}

interface Combined {
  backtest: Float64Array
  final: Float64Array
}

export interface VariantReport {
  /** Method name -> per-series forecast (undefined where the series has no backtest: the caller keeps its selection). */
  methods: Record<string, (MethodForecast | undefined)[]>
  /** Learned or ranked members, for the report. */
  notes: string[]
}

/** Forecasts of `name` (backtest and final) for one series; a failed candidate counts as `substitute`, as the bench's rows do. */
function candidate(s: SeriesBacktest, name: string, substitute: string): Combined {
  const key = s.forecasts[name] ? name : substitute
  return { backtest: s.forecasts[key], final: s.finals[key] ?? s.finals[substitute] }
}

function perOriginMase(s: SeriesBacktest, forecast: Float64Array, horizon: number): number[] {
  return Array.from({ length: s.origins }, (_, o) => {
    let sum = 0
    for (let h = 0; h < horizon; h++) sum += Math.abs(s.actual[o * horizon + h] - forecast[o * horizon + h])
    return sum / horizon / s.scales[o]
  })
}

const mean = (values: number[]) => values.reduce((a, b) => a + b, 0) / values.length

function weighted(members: Combined[], weights: number[], origins: number, horizon: number, method: 'weighted' | 'median' = 'weighted'): Combined {
  const backtest = new Float64Array(origins * horizon)
  for (let o = 0; o < origins; o++) {
    backtest.set(combineForecasts(method, members.map((m) => m.backtest.subarray(o * horizon, (o + 1) * horizon)), weights), o * horizon)
  }
  return { backtest, final: combineForecasts(method, members.map((m) => m.final), weights) }
}

function withIntervals(s: SeriesBacktest, combined: Combined, horizon: number, level: number): MethodForecast {
  const errors = new Float64Array(s.origins * horizon)
  for (let i = 0; i < errors.length; i++) errors[i] = s.actual[i] - combined.backtest[i]
  const matrix = { errors, origins: s.origins, horizon }
  const widths = conformalHalfWidths(matrix, calibratedLevel(matrix, level))
  return { mean: combined.final, lower: combined.final.map((v, h) => v - widths[h]), upper: combined.final.map((v, h) => v + widths[h]) }
}

/** Softmax of x: weights that are non-negative and sum to 1 for an unconstrained optimiser. */
function softmax(x: ArrayLike<number>): number[] {
  const top = Math.max(...Array.from(x))
  const e = Array.from(x, (v) => Math.exp(v - top))
  const total = e.reduce((a, b) => a + b, 0)
  return e.map((v) => v / total)
}

/** Stacking weights across series: the simplex point minimising the mean backtest MASE over every series and origin. */
export function stackingWeights(series: readonly SeriesBacktest[], names: readonly string[], substitute: string, horizon: number): number[] {
  const usable = series.filter((s) => s.origins > 0)
  const members = usable.map((s) => names.map((n) => candidate(s, n, substitute).backtest))
  const loss = (x: Float64Array) => {
    const w = softmax(x)
    let total = 0
    let count = 0
    usable.forEach((s, i) => {
      for (let o = 0; o < s.origins; o++) {
        let sum = 0
        for (let h = 0; h < horizon; h++) {
          const at = o * horizon + h
          let f = 0
          for (let k = 0; k < names.length; k++) f += w[k] * members[i][k][at]
          sum += Math.abs(s.actual[at] - f)
        }
        total += sum / horizon / s.scales[o]
        count++
      }
    })
    return total / count
  }
  return softmax(nelderMead(loss, new Array(names.length).fill(0), { maxIterations: 400 * names.length, tolerance: 1e-7, initialStep: 0.5 }).x)
}

/** Every variant over the candidates `names` (prefix added to each method name). */
export function selectionVariants(series: readonly (SeriesBacktest | undefined)[], names: readonly string[], horizon: number, level: number, prefix: string): VariantReport {
  const substitute = 'snaive'
  const methods: VariantReport['methods'] = {}
  const notes: string[] = []
  const each = (method: string, combine: (s: SeriesBacktest) => Combined) => {
    methods[prefix + method] = series.map((s) => (s && s.origins > 0 ? withIntervals(s, combine(s), horizon, level) : undefined))
  }
  const all = (s: SeriesBacktest) => names.map((n) => candidate(s, n, substitute))
  each('mean-all', (s) => weighted(all(s), names.map(() => 1), s.origins, horizon))
  each('median-all', (s) => weighted(all(s), names.map(() => 1), s.origins, horizon, 'median'))
  for (const k of [2, 3]) {
    each(`top${k}-per-series`, (s) => {
      const members = all(s)
      const scores = members.map((m) => mean(perOriginMase(s, m.backtest, horizon)))
      const best = names.map((_, i) => i).sort((a, b) => scores[a] - scores[b]).slice(0, k)
      return weighted(best.map((i) => members[i]), best.map(() => 1), s.origins, horizon)
    })
  }
  // Rank across series: the candidates with the lowest mean backtest MASE over all series.
  const usable = series.filter((s): s is SeriesBacktest => !!s && s.origins > 0)
  const overall = names.map((n) => mean(usable.map((s) => mean(perOriginMase(s, candidate(s, n, substitute).backtest, horizon)))))
  const ranked = names.map((_, i) => i).sort((a, b) => overall[a] - overall[b])
  notes.push(`${prefix}backtest MASE across series: ${ranked.map((i) => `${names[i]} ${overall[i].toFixed(3)}`).join(', ')}`)
  for (const k of [2, 3, 4]) {
    if (k > names.length) continue
    const best = ranked.slice(0, k)
    each(`top${k}-global`, (s) => weighted(best.map((i) => candidate(s, names[i], substitute)), best.map(() => 1), s.origins, horizon))
  }
  const weights = stackingWeights(usable, names, substitute, horizon)
  notes.push(`${prefix}stacking weights learned across series: ${names.map((n, k) => `${n} ${weights[k].toFixed(3)}`).join(', ')}`)
  each('stack-global', (s) => weighted(all(s), weights, s.origins, horizon))
  return { methods, notes }
}
