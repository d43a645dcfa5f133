/**
 * Per-series model selection, in two stages. `backtestCandidates` backtests every candidate on the
 * same rolling origins and keeps their forecasts; `chooseModel` scores two combinations of them too
 * (median of all, inverse-MASE weighting of the best three) at no extra fitting cost, picks the
 * lowest mean MASE (a single model must beat the combinations by `combinationMargin`), fits it on
 * all the data and takes per step the wider of two conformal intervals: one from its own backtest
 * errors, one from the errors of the selection procedure itself (selectionHalfWidths). A series too
 * short to backtest gets seasonal naive with a normal interval from its one-step changes.
 * Keeping the stages apart lets a caller compare choices from subsets of one backtest (the M4 bench:
 * with and without the neural model). A failed candidate is a recorded fallback, not a failure:
 * seasonal naive cannot fail and is always among the candidates.
 */
import type { ModelName } from './ids.js'
import { backtestRun, backtestTruth, planOrigins, scoreBacktest, type BacktestPlan, type BacktestTruth } from './backtest.js'
import { calibratedLevel, conformalHalfWidths, type ErrorMatrix } from './conformal.js'
import { combineForecasts, inverseErrorWeights, type CombinationMethod, type CombinationParams } from './models/combination.js'
import { ModelFitError, type ModelContext, type ModelFamily, type ModelKind } from './models/model.js'
import { withDecompositionMemo } from './models/seasonal-adjustment.js'
import { normalQuantile } from './normal-quantile.js'

export interface CandidateReport {
  /** A model name, or `combination:median` / `combination:weighted`. */
  model: string
  mase: number
  smape: number
  coverage: number
}

export interface Fallback {
  model: string
  reason: string
  detail: string
}

export interface Selection {
  model: ModelKind
  params: unknown
  /** The winner's name in `candidates`. */
  label: string
  /** Conformal half-widths per horizon step. */
  halfWidths: Float64Array
  candidates: CandidateReport[]
  /** Backtest errors (`origins x horizon`) of every candidate in `candidates`, by name. */
  candidateErrors: Record<string, Float64Array>
  fallbacks: Fallback[]
  origins: number[]
}

export interface SelectionOptions {
  horizon: number
  originCount: number
  level: number
  maseLag: number
  /**
   * A single model is chosen over a combination only if its backtest MASE is lower by this fraction
   * (default 0): with few origins the best single is partly luck, and combinations are the more
   * robust bet (M4's finding).
   */
  combinationMargin?: number
}

/** One backtested single model: its forecasts at every origin and their scores. */
interface BacktestedSingle {
  family: ModelFamily
  forecasts: Float64Array
  /** The parameters every origin shared, when the family fits once. */
  sharedParams?: unknown
  report: CandidateReport
  errors: Float64Array
}

/** Stage one's result: what every candidate did on the shared origins. */
export interface Backtested {
  origins: number[]
  truth: BacktestTruth
  singles: BacktestedSingle[]
  fallbacks: Fallback[]
  /** Seasonal naive, kept for series too short to backtest. */
  benchmark?: ModelFamily
}

interface Evaluated {
  label: string
  members: { family: ModelFamily; mase: number; sharedParams?: unknown }[]
  method?: CombinationMethod
  errors: Float64Array
  mase: number
}

/** The origins selection backtests on: the same for every candidate, and for the neural model's cutoff. */
export function selectionOrigins(length: number, options: SelectionOptions, context: ModelContext): number[] {
  const seasonalMinTrain = Math.max(options.horizon, 2 * (context.periods[0] ?? 1))
  const origins = planOrigins(length, options.horizon, options.originCount, seasonalMinTrain)
  if (origins.length > 0) return origins
  // Shorter than two cycles: the models forecast it without seasonality, and can still be compared
  // on origins that leave them two horizons of history, rather than trusting seasonal naive blindly.
  return planOrigins(length, options.horizon, options.originCount, 2 * options.horizon)
}

/** Stage one: backtests each family on the shared origins; failures become fallbacks. */
export function backtestCandidates(y: Float64Array, families: readonly ModelFamily[], seriesContext: ModelContext, options: SelectionOptions): Backtested {
  const context = withDecompositionMemo(seriesContext)
  const origins = selectionOrigins(y.length, options, context)
  const plan: BacktestPlan = { horizon: options.horizon, origins, maseLag: options.maseLag, level: options.level }
  const truth = backtestTruth(y, plan)
  const result: Backtested = { origins, truth, singles: [], fallbacks: [], benchmark: families.find((f) => f.name === 'snaive') }
  if (origins.length === 0) return result
  for (const family of families) {
    try {
      const { forecasts, sharedParams } = backtestRun(family, y, plan, context)
      const scores = scoreBacktest(truth, forecasts)
      result.singles.push({ family, forecasts, sharedParams, errors: scores.errors, report: { model: family.name, mase: scores.mase, smape: scores.smape, coverage: scores.coverage } })
    } catch (error) {
      result.fallbacks.push(describeFailure(family.name, error))
    }
  }
  return result
}

/** Stage two: scores combinations of the backtested singles (all, or those `include` accepts), fits the best. */
export function chooseModel(y: Float64Array, backtested: Backtested, seriesContext: ModelContext, options: SelectionOptions, include: (name: string) => boolean = () => true): Selection {
  const context = withDecompositionMemo(seriesContext)
  const { origins, truth } = backtested
  const singles = backtested.singles.filter((s) => include(s.family.name))
  const fallbacks = backtested.fallbacks.filter((f) => include(f.model))
  const candidates: CandidateReport[] = singles.map((s) => s.report)
  const evaluated: Evaluated[] = singles.map((s) => ({ label: s.family.name, members: [{ family: s.family, mase: s.report.mase, sharedParams: s.sharedParams }], errors: s.errors, mase: s.report.mase }))
  if (origins.length === 0 && backtested.benchmark) {
    // Too short to backtest: only the benchmark is trusted.
    evaluated.push({ label: 'snaive', members: [{ family: backtested.benchmark, mase: NaN }], errors: new Float64Array(0), mase: NaN })
  }
  if (singles.length >= 3) {
    const ranked = [...singles].sort((a, b) => a.report.mase - b.report.mase)
    for (const [method, members] of [['median', singles], ['weighted', ranked.slice(0, 3)]] as const) {
      const forecasts =
        method === 'median'
          ? combineOrigins('median', members.map((m) => m.forecasts), members.map(() => 1), origins.length, options.horizon)
          : weightedOutOfOrigin(singles, truth, options.horizon)
      const scores = scoreBacktest(truth, forecasts)
      const label = `combination:${method}`
      candidates.push({ model: label, mase: scores.mase, smape: scores.smape, coverage: scores.coverage })
      evaluated.push({ label, method, members: members.map((m) => ({ family: m.family, mase: m.report.mase, sharedParams: m.sharedParams })), errors: scores.errors, mase: scores.mase })
    }
  }
  // Best first; a NaN score sorts last. The refit on all data can still fail: then the next one.
  const rank = rankingScore(options)
  evaluated.sort((a, b) => (Number.isNaN(a.mase) ? 1 : Number.isNaN(b.mase) ? -1 : rank(a, a.mase) - rank(b, b.mase)))
  const procedureErrors = selectionProcedureErrors(evaluated, truth, options.horizon, rank)
  for (const choice of evaluated) {
    try {
      const fitted = choice.members.map((m) => ({ model: m.family.name as ModelName, params: finalParams(m, y, context), mase: m.mase }))
      choice.members.forEach((m, k) => m.family.forecast(fitted[k].params, y, options.horizon, context))
      const halfWidths =
        choice.errors.length > 0 ? selectionHalfWidths(choice.errors, procedureErrors, origins.length, options) : naiveHalfWidths(y, options.horizon, options.level)
      const candidateErrors = Object.fromEntries(evaluated.map((e) => [e.label, e.errors]))
      const selection = { label: choice.label, halfWidths, candidates, candidateErrors, fallbacks, origins }
      if (!choice.method) return { ...selection, model: fitted[0].model, params: fitted[0].params }
      const weights = choice.method === 'weighted' ? inverseErrorWeights(fitted.map((f) => f.mase)) : fitted.map(() => 1)
      const params: CombinationParams = { method: choice.method, members: fitted.map((f, k) => ({ model: f.model, params: f.params, weight: weights[k] })) }
      return { ...selection, model: 'combination', params }
    } catch (error) {
      fallbacks.push(describeFailure(choice.label, error))
    }
  }
  throw new Error(`select: no candidate could be fitted (${fallbacks.map((f) => f.detail).join('; ') || 'seasonal naive missing from the candidates'})`)
}

/** Selects and fits a model for `y`; `families` must contain `snaive`. */
export function selectModel(y: Float64Array, families: readonly ModelFamily[], context: ModelContext, options: SelectionOptions): Selection {
  return chooseModel(y, backtestCandidates(y, families, context, options), context, options)
}

/** The final model's parameters: the backtest's own for a family that keeps them (finalFromBacktest), else a fit on all of `y`. */
export function finalParams(member: { family: ModelFamily; sharedParams?: unknown }, y: Float64Array, context: ModelContext): unknown {
  return member.family.finalFromBacktest && member.sharedParams !== undefined ? member.sharedParams : member.family.fit(y, context)
}

/** Per-origin MASE of a backtest's errors (`origins x horizon`). */
function perOriginMase(errors: Float64Array, truth: BacktestTruth, horizon: number): Float64Array {
  const origins = truth.plan.origins.length
  const mase = new Float64Array(origins)
  for (let o = 0; o < origins; o++) {
    let sum = 0
    for (let h = 0; h < horizon; h++) sum += Math.abs(errors[o * horizon + h])
    mase[o] = sum / horizon / truth.scales[o]
  }
  return mase
}

/** Mean of a per-origin score over every origin but `left` (over all of them when there is only one). */
function leaveOneOut(perOrigin: Float64Array, left: number): number {
  let sum = 0
  let count = 0
  for (let k = 0; k < perOrigin.length; k++) {
    if (k === left && perOrigin.length > 1) continue
    sum += perOrigin[k]
    count++
  }
  return sum / count
}

/**
 * The weighted combination's backtest forecasts, each origin's from the best three members and
 * their inverse-MASE weights as the other origins rank them: weights fitted on the origin they are
 * scored on would make the combination look better than it will be (and its intervals too narrow).
 * The artifact's weights then come from all origins.
 */
function weightedOutOfOrigin(singles: readonly BacktestedSingle[], truth: BacktestTruth, horizon: number): Float64Array {
  const origins = truth.plan.origins.length
  const perOrigin = singles.map((s) => perOriginMase(s.errors, truth, horizon))
  const out = new Float64Array(origins * horizon)
  for (let o = 0; o < origins; o++) {
    const others = perOrigin.map((mase) => leaveOneOut(mase, o))
    const best = singles.map((_, k) => k).sort((a, b) => others[a] - others[b]).slice(0, 3)
    const rows = best.map((k) => singles[k].forecasts.subarray(o * horizon, (o + 1) * horizon))
    out.set(combineForecasts('weighted', rows, inverseErrorWeights(best.map((k) => others[k]))), o * horizon)
  }
  return out
}

function combineOrigins(method: CombinationMethod, forecasts: Float64Array[], weights: number[], origins: number, horizon: number): Float64Array {
  const out = new Float64Array(origins * horizon)
  for (let o = 0; o < origins; o++) {
    const rows = forecasts.map((f) => f.subarray(o * horizon, (o + 1) * horizon))
    out.set(combineForecasts(method, rows, weights), o * horizon)
  }
  return out
}

/** The score selection ranks by: backtest MASE, combinations' discounted by the margin. */
function rankingScore(options: SelectionOptions): (candidate: Evaluated, mase: number) => number {
  const discount = 1 - (options.combinationMargin ?? 0)
  return (candidate, mase) => (candidate.method ? mase * discount : mase)
}

/**
 * The errors of the selection procedure itself, leave one origin out: at each origin, the candidate
 * that the other origins would have chosen, and its error there. The chosen model's own backtest
 * errors are optimistic (it was chosen for being small on exactly those origins); these are not.
 */
function selectionProcedureErrors(evaluated: readonly Evaluated[], truth: BacktestTruth, horizon: number, rank: (candidate: Evaluated, mase: number) => number): Float64Array | undefined {
  const scored = evaluated.filter((e) => e.errors.length > 0 && Number.isFinite(e.mase))
  const origins = truth.plan.origins.length
  if (scored.length < 2 || origins < 2) return undefined
  const perOrigin = scored.map((e) => perOriginMase(e.errors, truth, horizon))
  const out = new Float64Array(origins * horizon)
  for (let o = 0; o < origins; o++) {
    let best = 0
    let bestScore = Infinity
    perOrigin.forEach((mase, k) => {
      const score = rank(scored[k], leaveOneOut(mase, o))
      if (score < bestScore) [best, bestScore] = [k, score]
    })
    out.set(scored[best].errors.subarray(o * horizon, (o + 1) * horizon), o * horizon)
  }
  return out
}

/**
 * Half-widths for the chosen model: conformal on its own backtest errors and on the selection
 * procedure's, whichever is wider per step, each at the level whose leave-one-origin-out coverage
 * reaches the target (calibratedLevel). Its own errors alone would make the intervals too narrow
 * whenever the choice among close candidates is partly luck, more so the more candidates there are.
 */
function selectionHalfWidths(own: Float64Array, procedure: Float64Array | undefined, origins: number, options: SelectionOptions): Float64Array {
  const calibrated = (errors: Float64Array) => {
    const matrix: ErrorMatrix = { errors, origins, horizon: options.horizon }
    return conformalHalfWidths(matrix, calibratedLevel(matrix, options.level))
  }
  const widths = calibrated(own)
  if (!procedure) return widths
  const other = calibrated(procedure)
  for (let h = 0; h < widths.length; h++) widths[h] = Math.max(widths[h], other[h])
  return widths
}

/** Without a backtest (very short series): the spread of one-step changes growing with sqrt(h), as a normal interval at `level`. */
function naiveHalfWidths(y: Float64Array, horizon: number, level: number): Float64Array {
  let sumSquares = 0
  for (let i = 1; i < y.length; i++) sumSquares += (y[i] - y[i - 1]) ** 2
  const sigma = y.length > 1 ? Math.sqrt(sumSquares / (y.length - 1)) : Math.abs(y[0] ?? 0) * 0.1
  const z = normalQuantile(0.5 + level / 2)
  const widths = new Float64Array(horizon)
  for (let h = 0; h < horizon; h++) widths[h] = z * sigma * Math.sqrt(h + 1)
  return widths
}

function describeFailure(model: string, error: unknown): Fallback {
  if (error instanceof ModelFitError) return { model, reason: error.reason, detail: error.message }
  return { model, reason: 'failed', detail: error instanceof Error ? error.message : String(error) }
}
