/** The global model's training plan: which series, which horizon, and the leak-free backtest cutoff. */
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { planNeuralTraining, type PlannedSeries } from '../../../jobs/neural/training-plan.js'
import { selectionOrigins } from '../../../jobs/core/select.js'
import { buildWindows } from '../../../jobs/neural/windows.js'

const hour = 3_600_000
const t0 = Date.UTC(2026, 0, 1)

function planned(metricId: string, startMs: number, length: number, horizon = 48, stepMs = hour): PlannedSeries {
  const values = Float64Array.from({ length }, (_, t) => 10 + Math.sin(t / 3))
  return { metricId, series: { metricId, startMs, stepMs, values }, selection: { horizon, originCount: 8, level: 0.95, maseLag: 24 }, periods: [24, 168] }
}

test('the cutoff is the earliest first backtest origin over all series, as a time', () => {
  const a = planned('G', t0, 24 * 30)
  const b = planned('S', t0 + 24 * hour, 24 * 29, 24) // same end, shorter horizon: later first origin
  const plan = planNeuralTraining([a, b])
  const firstOrigin = (p: PlannedSeries) => p.series.startMs + selectionOrigins(p.series.values.length, p.selection, { periods: p.periods, phase0: 0 })[0] * hour
  assert.equal(plan.backtestCutoffMs, Math.min(firstOrigin(a), firstOrigin(b)))
  assert.equal(plan.horizon, 48, 'the longest horizon any metric needs')
  assert.equal(plan.finalThroughMs, t0 + 24 * 30 * hour)
  // Each series' backtest data ends at the cutoff, in its own indices.
  assert.deepEqual(plan.backtestEnds, [(plan.backtestCutoffMs - t0) / hour, (plan.backtestCutoffMs - t0 - 24 * hour) / hour])
  // No backtest window's target reaches past the cutoff.
  const shape = { inputSteps: 168, horizon: 48, baselinePeriod: 24, normalisation: 'seasonal-difference' } as const
  const windows = buildWindows([a.series.values, b.series.values], shape, 24, 200, plan.backtestEnds)
  const all = buildWindows([a.series.values, b.series.values], shape, 24, 200)
  assert.ok(windows.count > 0 && windows.count < all.count)
})

test('series with another step length are left out and named', () => {
  const plan = planNeuralTraining([planned('G', t0, 24 * 30), planned('R', t0, 24 * 30), planned('D', t0, 400, 14, 24 * hour)])
  assert.equal(plan.stepMs, hour)
  assert.deepEqual(plan.used.map((p) => p.metricId), ['G', 'R'])
  assert.deepEqual(plan.skipped, ['D'])
})

test('without a series long enough to backtest, the backtest data is all the data', () => {
  const plan = planNeuralTraining([planned('G', t0, 60)])
  assert.equal(plan.backtestCutoffMs, plan.finalThroughMs)
  assert.deepEqual(plan.backtestEnds, [60])
})
