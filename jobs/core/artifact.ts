/**
 * The model artifact of one series (in its group's models pack, io/model-artifacts.ts), and forecasting from it.
 * Plain JSON and versioned, so a newer reader can refuse an artifact it does not understand
 * (io/model-artifacts.ts holds the schema it is read back with).
 */
import type { CandidateReport, Fallback } from './select.js'
import type { ModelFamily, ModelKind } from './models/model.js'
import type { RegularSeries } from './series.js'

export const artifactSchemaVersion = 1

export interface ModelArtifact {
  schemaVersion: typeof artifactSchemaVersion
  metricId: string
  version: string
  runId: string
  model: ModelKind
  /** The winner's name among the candidates (`combination:median` for a combination). */
  label: string
  params: unknown
  periods: number[]
  stepMs: number
  horizon: number
  intervalLevel: number
  nonNegative: boolean
  halfWidths: number[]
  /** Mean backtest MASE of the chosen model: what promotion compares. */
  backtestMase: number
  candidates: CandidateReport[]
  fallbacks: Fallback[]
  /** ISO time of the first step after the training data. */
  trainedThrough: string
  /**
   * ISO data cutoff of the silver features it was trained on (their window end, the run's as-of
   * floored to the step); promotion never prefers an earlier cutoff. Absent in artifacts written
   * before cutoffs were recorded: `trainedThrough` stands in.
   */
  dataCutoff?: string
}

export interface ForecastPoints {
  startMs: number
  stepMs: number
  mean: Float64Array
  lower: Float64Array
  upper: Float64Array
  level: number
}

/** Forecasts from the end of `series` with the artifact's fixed parameters and calibrated widths. */
export function forecastFromArtifact(artifact: ModelArtifact, family: ModelFamily, series: RegularSeries): ForecastPoints {
  const context = { periods: artifact.periods, phase0: Math.round(series.startMs / series.stepMs), stepMs: series.stepMs }
  const horizon = artifact.horizon
  const mean = family.forecast(artifact.params, series.values, horizon, context)
  const lower = new Float64Array(horizon)
  const upper = new Float64Array(horizon)
  for (let h = 0; h < horizon; h++) {
    const width = artifact.halfWidths[Math.min(h, artifact.halfWidths.length - 1)] ?? 0
    if (artifact.nonNegative) mean[h] = Math.max(0, mean[h])
    lower[h] = artifact.nonNegative ? Math.max(0, mean[h] - width) : mean[h] - width
    upper[h] = mean[h] + width
  }
  return {
    startMs: series.startMs + series.values.length * series.stepMs,
    stepMs: series.stepMs,
    mean,
    lower,
    upper,
    level: artifact.intervalLevel,
  }
}
