/**
 * What the global model is trained on, decided before any training: the series that share the most
 * common step length (one network per step length), the horizon (the longest any of them needs), and
 * the backtest cutoff. The cutoff is the earliest first backtest origin over all series, as a time:
 * the backtest network sees no data after it in any series, so its forecasts at every origin are free
 * of look-ahead, also across series that move together. Pure.
 */
import type { RegularSeries } from '../core/series.js'
import { selectionOrigins, type SelectionOptions } from '../core/select.js'

export interface PlannedSeries {
  metricId: string
  series: RegularSeries
  /** The metric's selection settings (its horizon; origins and level from train's config). */
  selection: SelectionOptions
  periods: number[]
}

export interface NeuralTrainingPlan {
  stepMs: number
  used: PlannedSeries[]
  /** Metrics left out because their step differs. */
  skipped: string[]
  horizon: number
  backtestCutoffMs: number
  finalThroughMs: number
  /** Per used series: the exclusive end index of the backtest network's data. */
  backtestEnds: number[]
  /** Per used series: its selection's backtest origins (indices), as `gras train` will use them. */
  origins: number[][]
}

export function planNeuralTraining(all: readonly PlannedSeries[]): NeuralTrainingPlan {
  const counts = new Map<number, number>()
  for (const p of all) counts.set(p.series.stepMs, (counts.get(p.series.stepMs) ?? 0) + 1)
  const stepMs = [...counts].sort((a, b) => b[1] - a[1] || a[0] - b[0])[0][0]
  const used = all.filter((p) => p.series.stepMs === stepMs)
  const endMs = (p: PlannedSeries) => p.series.startMs + p.series.values.length * stepMs
  const finalThroughMs = Math.max(...used.map(endMs))
  const origins = used.map((p) => selectionOrigins(p.series.values.length, p.selection, { periods: p.periods, phase0: 0 }))
  const firstOrigins = used.flatMap((p, k) => (origins[k].length > 0 ? [p.series.startMs + origins[k][0] * stepMs] : []))
  // No series long enough to backtest: the backtest network is then trained like the final one.
  const backtestCutoffMs = firstOrigins.length > 0 ? Math.min(...firstOrigins) : finalThroughMs
  return {
    stepMs,
    used,
    skipped: all.filter((p) => p.series.stepMs !== stepMs).map((p) => p.metricId),
    horizon: Math.max(...used.map((p) => p.selection.horizon)),
    backtestCutoffMs,
    finalThroughMs,
    backtestEnds: used.map((p) => Math.max(0, Math.min(p.series.values.length, Math.floor((backtestCutoffMs - p.series.startMs) / stepMs)))),
    origins,
  }
}
