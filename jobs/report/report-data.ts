/**
 * What the report shows of one metric, as plain data gathered by run.ts, and the pure derivations
 * the pages share (realised error, flags, outliers).
 */
import type { CandidateReport, Fallback } from '../core/select.js'

export interface ReportHistory {
  startMs: number
  stepMs: number
  values: number[]
  /** 1 where observed, 0 where the gap policy filled the step. */
  observed: number[]
}

export interface ReportForecast {
  runId: string
  modelVersion: string
  intervalLevel: number
  timestampsMs: number[]
  value: number[]
  lower: number[]
  upper: number[]
}

export interface ReportBacktest {
  version: string
  chosen: string
  horizon: number
  intervalLevel: number
  origins: string[]
  candidates: CandidateReport[]
  fallbacks: Fallback[]
}

export interface ReportModel {
  version: string
  model: string
  decision: string
  reason: string
  backtestMase: number
}

export interface ReportAccuracyDay {
  date: string
  mase: number
  smape: number
  bias: number
  coverage: number
  points: number
  backtestMase: number
  modelVersion: string
}

export interface ReportDrift {
  drifted: boolean
  reason: string
  realisedMase: number
  expectedMase: number
}

export interface ReportQuality {
  rows: number
  filledSteps: number
  windowStart: string
  windowEnd: string
  inputFiles: number
  quarantined: { key: string; reason: string }[]
}

export interface MetricReport {
  metricId: string
  frequency: string
  aggregation: string
  history?: ReportHistory
  forecast?: ReportForecast
  model?: ReportModel
  backtest?: ReportBacktest
  accuracy: ReportAccuracyDay[]
  drift?: ReportDrift
  quality?: ReportQuality
  /** Times of outliers in the whole features series (outlierIndices). */
  outliersMs: number[]
  /** What could not be read for this metric, in words. */
  problems: string[]
}

export interface ReportInput {
  runId: string
  /**
   * The run's logical time (its --as-of). Neither the wall clock nor the lake's location is shown: a
   * rerun of the same run, on this lake or a copy of it, writes identical pages.
   */
  asOfMs: number
  metrics: MetricReport[]
}

/** Mean realised MASE over the days with actuals, or NaN. */
export function realisedMase(metric: MetricReport): number {
  const days = metric.accuracy.filter((d) => Number.isFinite(d.mase))
  return days.length === 0 ? Number.NaN : days.reduce((s, d) => s + d.mase, 0) / days.length
}

export function chosenCandidate(metric: MetricReport): CandidateReport | undefined {
  return metric.backtest?.candidates.find((c) => c.model === metric.backtest?.chosen)
}

export interface Flag {
  level: 'bad' | 'warn'
  text: string
}

/** What a person should look at first; the same flags on the index and the metric page. */
export function flagsOf(metric: MetricReport): Flag[] {
  const flags: Flag[] = []
  if (metric.problems.length > 0) flags.push({ level: 'bad', text: 'incomplete data' })
  if (metric.drift?.drifted) flags.push({ level: 'bad', text: 'drift' })
  const chosen = chosenCandidate(metric)
  if (chosen && chosen.mase > 1) flags.push({ level: 'warn', text: 'worse than seasonal naive' })
  if (chosen && metric.backtest && chosen.coverage < metric.backtest.intervalLevel - 0.1) flags.push({ level: 'warn', text: 'low coverage' })
  const q = metric.quality
  if (q && q.quarantined.length > 0) flags.push({ level: 'warn', text: `${q.quarantined.length} quarantined` })
  if (q && q.rows > 0 && q.filledSteps / q.rows > 0.05) flags.push({ level: 'warn', text: 'many gaps filled' })
  return flags
}

/**
 * Indices of history points far from their neighbourhood: more than `k` robust standard deviations
 * (1.4826 MAD of the first differences) from the median of the surrounding window. The features job
 * does not record outliers, so the report finds them itself.
 */
export function outlierIndices(values: readonly number[], k = 6, halfWindow = 12): number[] {
  const n = values.length
  if (n < 2 * halfWindow + 1) return []
  const diffs = values.slice(1).map((v, i) => Math.abs(v - values[i])).sort((a, b) => a - b)
  const scale = 1.4826 * diffs[Math.floor(diffs.length / 2)]
  if (!(scale > 0)) return []
  const out: number[] = []
  for (let i = 0; i < n; i++) {
    const window = values.slice(Math.max(0, i - halfWindow), Math.min(n, i + halfWindow + 1)).sort((a, b) => a - b)
    const median = window[Math.floor(window.length / 2)]
    if (Math.abs(values[i] - median) > k * scale) out.push(i)
  }
  return out
}
