/**
 * Rolling-origin evaluation (Tashman 2000; FPP3 section 5.10): refit at each origin, forecast the
 * horizon, score against what happened. The same errors calibrate the intervals (conformal.ts),
 * and the stored forecasts let combinations be scored without fitting anything again.
 */
import { mase, robustScale, smape } from './accuracy.js'
import { crossValidatedCoverage, type ErrorMatrix } from './conformal.js'
import type { ModelContext, ModelFamily } from './models/model.js'

export interface BacktestPlan {
  horizon: number
  /** Indices where each forecast starts, oldest first. */
  origins: number[]
  /** Lag of the MASE scale (the shortest seasonal period, or 1). */
  maseLag: number
  level: number
}

/** What happened after each origin, and each origin's MASE scale: computed once per series. */
export interface BacktestTruth {
  plan: BacktestPlan
  /** `origins x horizon`, row-major. */
  actual: Float64Array
  scales: Float64Array
}

export interface BacktestScores extends ErrorMatrix {
  mase: number
  smape: number
  /** Leave-one-origin-out conformal coverage at the plan's level. */
  coverage: number
}

/**
 * Origins spaced half a horizon apart, ending where the last forecast ends with the data; fewer
 * than asked when the earliest would leave less than `minTrain` points to fit on.
 */
export function planOrigins(length: number, horizon: number, count: number, minTrain: number): number[] {
  const spacing = Math.max(1, Math.ceil(horizon / 2))
  const origins: number[] = []
  for (let k = count - 1; k >= 0; k--) {
    const origin = length - horizon - k * spacing
    if (origin >= minTrain) origins.push(origin)
  }
  return origins
}

export function backtestTruth(y: Float64Array, plan: BacktestPlan): BacktestTruth {
  const { horizon, origins } = plan
  const actual = new Float64Array(origins.length * horizon)
  const scales = new Float64Array(origins.length)
  origins.forEach((origin, o) => {
    actual.set(y.subarray(origin, origin + horizon), o * horizon)
    scales[o] = robustScale(y.subarray(0, origin), plan.maseLag)
  })
  return { plan, actual, scales }
}

/**
 * Forecasts of one family at every origin (`origins x horizon`), refitting at each, or with
 * `fixedParams` applied unchanged (how an approved model is re-scored on today's data). Throws the
 * family's ModelFitError if an origin fails.
 */
export function backtestForecasts(family: ModelFamily, y: Float64Array, plan: BacktestPlan, context: ModelContext, fixedParams?: unknown): Float64Array {
  return backtestRun(family, y, plan, context, fixedParams).forecasts
}

/** backtestForecasts, plus the parameters every origin shared when the family fits once (`backtestFitOnce`). */
export function backtestRun(family: ModelFamily, y: Float64Array, plan: BacktestPlan, context: ModelContext, fixedParams?: unknown): { forecasts: Float64Array; sharedParams?: unknown } {
  const { horizon, origins } = plan
  const out = new Float64Array(origins.length * horizon)
  const shared = fixedParams ?? (family.backtestFitOnce && origins.length > 0 ? family.fit(y.subarray(0, origins[0]), context) : undefined)
  origins.forEach((origin, o) => {
    const train = y.subarray(0, origin)
    const params = shared ?? family.fit(train, context)
    out.set(family.forecast(params, train, horizon, context), o * horizon)
  })
  return { forecasts: out, sharedParams: shared }
}

/** Scores backtest forecasts against the truth. */
export function scoreBacktest(truth: BacktestTruth, forecasts: Float64Array): BacktestScores {
  const { horizon, origins } = truth.plan
  const errors = new Float64Array(forecasts.length)
  let maseSum = 0
  let smapeSum = 0
  for (let o = 0; o < origins.length; o++) {
    const actual = truth.actual.subarray(o * horizon, (o + 1) * horizon)
    const forecast = forecasts.subarray(o * horizon, (o + 1) * horizon)
    for (let h = 0; h < horizon; h++) errors[o * horizon + h] = actual[h] - forecast[h]
    maseSum += mase(actual, forecast, truth.scales[o])
    smapeSum += smape(actual, forecast)
  }
  const matrix = { errors, origins: origins.length, horizon }
  return { ...matrix, mase: maseSum / origins.length, smape: smapeSum / origins.length, coverage: crossValidatedCoverage(matrix, truth.plan.level) }
}

/** Backtests one family: backtestForecasts scored by scoreBacktest. */
export function backtestFamily(family: ModelFamily, y: Float64Array, plan: BacktestPlan, context: ModelContext, fixedParams?: unknown): BacktestScores {
  return scoreBacktest(backtestTruth(y, plan), backtestForecasts(family, y, plan, context, fixedParams))
}
