/**
 * Realised accuracy of the forecasts that were served: per UTC day, the day-ahead forecast (the
 * newest run whose data cutoff is at or before the day's start) against what then happened. Pure.
 */
import { coverage, mase, robustScale, smape } from './accuracy.js'
import type { RegularSeries } from './series.js'
import { dayMs } from './time.js'

export interface ServedRun {
  runId: string
  modelVersion: string
  generatedAtMs: number
  timestampsMs: Float64Array
  value: Float64Array
  lower: Float64Array
  upper: Float64Array
}

export interface DayAccuracy {
  dayStartMs: number
  runId: string
  modelVersion: string
  points: number
  mase: number
  smape: number
  /** Mean (forecast - actual) over mean |actual|: positive means over-forecasting. */
  bias: number
  coverage: number
}

/** Accuracy for each day in [firstDayMs, endDayMs) that has a served run and at least `minPoints` actuals. */
export function realisedAccuracy(
  actuals: RegularSeries,
  observed: Uint8Array | undefined,
  runs: readonly ServedRun[],
  firstDayMs: number,
  endDayMs: number,
  maseLag: number,
  minPoints = 6,
): DayAccuracy[] {
  const out: DayAccuracy[] = []
  const sorted = [...runs].sort((a, b) => a.generatedAtMs - b.generatedAtMs)
  for (let day = firstDayMs; day < endDayMs; day += dayMs) {
    const served = sorted.filter((r) => r.generatedAtMs <= day).pop()
    if (!served) continue
    const y: number[] = []
    const f: number[] = []
    const lo: number[] = []
    const hi: number[] = []
    for (let k = 0; k < served.timestampsMs.length; k++) {
      const t = served.timestampsMs[k]
      if (t < day || t >= day + dayMs) continue
      const index = Math.round((t - actuals.startMs) / actuals.stepMs)
      if (index < 0 || index >= actuals.values.length || (observed && !observed[index])) continue
      y.push(actuals.values[index])
      f.push(served.value[k])
      lo.push(served.lower[k])
      hi.push(served.upper[k])
    }
    if (y.length < minPoints) continue
    const before = Math.round((day - actuals.startMs) / actuals.stepMs)
    const scale = robustScale(actuals.values.subarray(0, Math.max(0, before)), maseLag)
    let errorSum = 0
    let actualSum = 0
    for (let i = 0; i < y.length; i++) {
      errorSum += f[i] - y[i]
      actualSum += Math.abs(y[i])
    }
    out.push({
      dayStartMs: day,
      runId: served.runId,
      modelVersion: served.modelVersion,
      points: y.length,
      mase: mase(y, f, scale),
      smape: smape(y, f),
      bias: actualSum > 0 ? errorSum / actualSum : 0,
      coverage: coverage(y, lo, hi),
    })
  }
  return out
}

/**
 * The runs `realisedAccuracy` would score over [firstDayMs, endDayMs), each cut to the points of
 * the days it served: realisedAccuracy over these gives what it gives over all of `runs`. A past
 * day's served run never changes once the day has begun, so this is what monitor keeps between
 * its runs of one day (io/served-runs.ts) instead of reading every run's copy again.
 */
export function servedRunsOf(runs: readonly ServedRun[], firstDayMs: number, endDayMs: number): ServedRun[] {
  const sorted = [...runs].sort((a, b) => a.generatedAtMs - b.generatedAtMs)
  const days = new Map<ServedRun, number[]>()
  for (let day = firstDayMs; day < endDayMs; day += dayMs) {
    const served = sorted.filter((r) => r.generatedAtMs <= day).pop()
    if (served) days.set(served, [...(days.get(served) ?? []), day])
  }
  // In the order of `runs`: a tie on generatedAtMs then resolves as it did.
  return runs.filter((run) => days.has(run)).map((run) => {
    const starts = days.get(run)!
    const keep = Array.from(run.timestampsMs, (t) => starts.some((day) => t >= day && t < day + dayMs))
    const pick = (values: Float64Array) => values.filter((_, k) => keep[k])
    return { ...run, timestampsMs: pick(run.timestampsMs), value: pick(run.value), lower: pick(run.lower), upper: pick(run.upper) }
  })
}

export interface DriftDecision {
  drifted: boolean
  realisedMase: number
  expectedMase: number
  reason: string
}

/** Drift: the mean realised MASE over the window exceeds the backtest MASE by `factor`. */
export function decideDrift(days: readonly DayAccuracy[], expectedMase: number, factor: number): DriftDecision {
  if (days.length === 0) return { drifted: false, realisedMase: Number.NaN, expectedMase, reason: 'no realised accuracy yet' }
  const realisedMase = days.reduce((s, d) => s + d.mase, 0) / days.length
  if (!Number.isFinite(expectedMase) || expectedMase <= 0) return { drifted: false, realisedMase, expectedMase, reason: 'no backtest expectation' }
  const drifted = realisedMase > factor * expectedMase
  return {
    drifted,
    realisedMase,
    expectedMase,
    reason: `realised MASE ${realisedMase.toFixed(3)} ${drifted ? '>' : '<='} ${factor} x backtest MASE ${expectedMase.toFixed(3)} over ${days.length} day(s)`,
  }
}
