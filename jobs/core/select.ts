/**
 * Per-series model selection: backtest every candidate on the same origins, keep the lowest mean
 * MASE, refit it on all the data, and calibrate its intervals on its own backtest errors. A failed
 * candidate is a recorded fallback, not a failure: seasonal naive cannot fail and is always tried.
 */
import type { ModelName } from '../runtime/config-schema.js'
import { backtestFamily, planOrigins, type BacktestPlan } from './backtest.js'
import { conformalHalfWidths } from './conformal.js'
import { ModelFitError, type ModelContext, type ModelFamily } from './models/model.js'

export interface CandidateReport {
  model: ModelName
  mase: number
  smape: number
  coverage: number
}

export interface Fallback {
  model: ModelName
  reason: string
  detail: string
}

export interface Selection {
  model: ModelName
  params: unknown
  /** Conformal half-widths per horizon step. */
  halfWidths: Float64Array
  candidates: CandidateReport[]
  fallbacks: Fallback[]
  origins: number[]
}

export interface SelectionOptions {
  horizon: number
  originCount: number
  level: number
  maseLag: number
}

/** Selects and fits a model for `y`; `families` must contain `snaive`, which cannot fail. */
export function selectModel(y: Float64Array, families: readonly ModelFamily[], context: ModelContext, options: SelectionOptions): Selection {
  const minTrain = Math.max(options.horizon, 2 * (context.periods[0] ?? 1))
  const origins = planOrigins(y.length, options.horizon, options.originCount, minTrain)
  const plan: BacktestPlan = { horizon: options.horizon, origins, maseLag: options.maseLag, level: options.level }
  const candidates: CandidateReport[] = []
  const fallbacks: Fallback[] = []
  const evaluated: { family: ModelFamily; errors: Float64Array; mase: number }[] = []
  for (const family of families) {
    if (origins.length === 0) {
      // Too short to backtest: only the benchmark is trusted.
      if (family.name === 'snaive') evaluated.push({ family, errors: new Float64Array(0), mase: Number.NaN })
      continue
    }
    try {
      const scores = backtestFamily(family, y, plan, context)
      candidates.push({ model: family.name, mase: scores.mase, smape: scores.smape, coverage: scores.coverage })
      evaluated.push({ family, errors: scores.errors, mase: scores.mase })
    } catch (error) {
      fallbacks.push(describeFailure(family.name, error))
    }
  }
  // Best first; a NaN score sorts last. The refit on all data can still fail: then the next one.
  evaluated.sort((a, b) => (Number.isNaN(a.mase) ? 1 : Number.isNaN(b.mase) ? -1 : a.mase - b.mase))
  for (const candidate of evaluated) {
    try {
      const params = candidate.family.fit(y, context)
      candidate.family.forecast(params, y, options.horizon, context)
      const halfWidths =
        candidate.errors.length > 0
          ? conformalHalfWidths({ errors: candidate.errors, origins: origins.length, horizon: options.horizon }, options.level)
          : naiveHalfWidths(y, options.horizon)
      return { model: candidate.family.name, params, halfWidths, candidates, fallbacks, origins }
    } catch (error) {
      fallbacks.push(describeFailure(candidate.family.name, error))
    }
  }
  throw new Error(`select: no candidate could be fitted (${fallbacks.map((f) => f.detail).join('; ') || 'seasonal naive missing from the candidates'})`)
}

/** Without a backtest (very short series): the spread of one-step changes growing with sqrt(h). */
function naiveHalfWidths(y: Float64Array, horizon: number): Float64Array {
  let sumSquares = 0
  for (let i = 1; i < y.length; i++) sumSquares += (y[i] - y[i - 1]) ** 2
  const sigma = y.length > 1 ? Math.sqrt(sumSquares / (y.length - 1)) : Math.abs(y[0] ?? 0) * 0.1
  const widths = new Float64Array(horizon)
  for (let h = 0; h < horizon; h++) widths[h] = 1.96 * sigma * Math.sqrt(h + 1)
  return widths
}

function describeFailure(model: ModelName, error: unknown): Fallback {
  if (error instanceof ModelFitError) return { model, reason: error.reason, detail: error.message }
  return { model, reason: 'failed', detail: error instanceof Error ? error.message : String(error) }
}
