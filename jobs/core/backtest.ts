/**
 * Rolling-origin evaluation (Tashman 2000; FPP3 section 5.10): refit at each origin, forecast the
 * horizon, score against what happened. The same errors calibrate the intervals (conformal.ts).
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

/**
 * Backtests one family, refitting at each origin, or with `fixedParams` applied unchanged (how an
 * approved model is re-scored on today's data). Throws the family's ModelFitError if an origin fails.
 */
export function backtestFamily(family: ModelFamily, y: Float64Array, plan: BacktestPlan, context: ModelContext, fixedParams?: unknown): BacktestScores {
  const { horizon, origins } = plan
  const errors = new Float64Array(origins.length * horizon)
  let maseSum = 0
  let smapeSum = 0
  origins.forEach((origin, o) => {
    const train = y.subarray(0, origin)
    const actual = y.subarray(origin, origin + horizon)
    const params = fixedParams ?? family.fit(train, context)
    const forecast = family.forecast(params, train, horizon, context)
    for (let h = 0; h < horizon; h++) errors[o * horizon + h] = actual[h] - forecast[h]
    maseSum += mase(actual, forecast, robustScale(train, plan.maseLag))
    smapeSum += smape(actual, forecast)
  })
  const matrix = { errors, origins: origins.length, horizon }
  return {
    ...matrix,
    mase: maseSum / origins.length,
    smape: smapeSum / origins.length,
    coverage: crossValidatedCoverage(matrix, plan.level),
  }
}
