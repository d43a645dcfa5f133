import { test } from 'node:test'
import assert from 'node:assert/strict'
import { conformalHalfWidths, conformalQuantile, crossValidatedCoverage } from '../../../jobs/core/conformal.js'
import { planOrigins } from '../../../jobs/core/backtest.js'
import { selectModel } from '../../../jobs/core/select.js'
import { seasonalNaive } from '../../../jobs/core/models/seasonal-naive.js'
import { ModelFitError, type ModelFamily, type ModelKind } from '../../../jobs/core/models/model.js'
import { forecastFromArtifact, type ModelArtifact } from '../../../jobs/core/artifact.js'
import { decidePromotion } from '../../../jobs/train/promotion.js'
import { combineForecasts, inverseErrorWeights, type CombinationParams } from '../../../jobs/core/models/combination.js'
import { seededRandom, normal } from '../../../jobs/core/random.js'

test('conformal quantile uses the finite-sample rank ceil((n+1) level)', () => {
  const scores = Array.from({ length: 19 }, (_, i) => i + 1)
  assert.equal(conformalQuantile(scores, 0.9), 18)
  assert.equal(conformalQuantile([1, 2], 0.95), 2)
})

test('conformal half-widths never shrink with the horizon', () => {
  const errors = Float64Array.from([5, 1, 1, 1, -4, 1, 1, 1])
  const widths = conformalHalfWidths({ errors, origins: 2, horizon: 4 }, 0.9)
  for (let h = 1; h < 4; h++) assert.ok(widths[h] >= widths[h - 1])
})

test('cross-validated coverage of conformal widths is near the level on exchangeable errors', () => {
  const random = seededRandom(3)
  const origins = 20
  const horizon = 24
  const errors = Float64Array.from({ length: origins * horizon }, () => normal(random))
  const c = crossValidatedCoverage({ errors, origins, horizon }, 0.9)
  assert.ok(c > 0.85 && c < 0.97, `coverage ${c}`)
})

test('planOrigins ends with the last full horizon and respects the minimum training length', () => {
  assert.deepEqual(planOrigins(100, 10, 3, 50), [80, 85, 90])
  assert.deepEqual(planOrigins(100, 10, 5, 76), [80, 85, 90])
})

test('selection prefers seasonal naive on a pure repeating pattern and records a failing candidate as a fallback', () => {
  const y = Float64Array.from({ length: 24 * 10 }, (_, t) => [5, 9, 2, 7][t % 4] + 10 * Math.sin((2 * Math.PI * t) / 24))
  const failing: ModelFamily = {
    name: 'arima',
    fit: () => {
      throw new ModelFitError('arima', 'diverged', 'test')
    },
    forecast: () => new Float64Array(0),
  }
  const drifting: ModelFamily = { name: 'theta', fit: () => ({}), forecast: (_p, train, h) => new Float64Array(h).fill(train[train.length - 1] + 50) }
  const selection = selectModel(y, [failing, seasonalNaive as ModelFamily, drifting], { periods: [24], phase0: 0 }, { horizon: 24, originCount: 3, level: 0.9, maseLag: 24 })
  assert.equal(selection.model, 'snaive')
  assert.deepEqual(selection.fallbacks.map((f) => [f.model, f.reason]), [['arima', 'diverged']])
  assert.deepEqual(selection.candidates.map((c) => c.model).sort(), ['snaive', 'theta'])
  assert.ok(selection.candidates.find((c) => c.model === 'snaive')!.mase < 1e-9)
})

test('forecastFromArtifact gives lower <= value <= upper and clamps at zero for non-negative metrics', () => {
  const artifact = { model: 'snaive', params: { period: 2 }, periods: [2], horizon: 4, halfWidths: [1, 2, 3, 3], intervalLevel: 0.9, nonNegative: true } as unknown as ModelArtifact
  const points = forecastFromArtifact(artifact, seasonalNaive as ModelFamily, { metricId: 'G', startMs: 0, stepMs: 10, values: Float64Array.from([0.5, 4, 0.5, 4]) })
  assert.equal(points.startMs, 40)
  assert.deepEqual(Array.from(points.mean), [0.5, 4, 0.5, 4])
  assert.deepEqual(Array.from(points.lower), [0, 2, 0, 1])
  assert.deepEqual(Array.from(points.upper), [1.5, 6, 3.5, 7])
})

test('promotion: first version, margin, and ties', () => {
  assert.equal(decidePromotion(1, undefined, 0.02).promote, true)
  assert.equal(decidePromotion(0.97, 1, 0.02).promote, true)
  assert.equal(decidePromotion(0.99, 1, 0.02).promote, false)
  assert.equal(decidePromotion(1, 1, 0).promote, false)
  assert.equal(decidePromotion(NaN, 1, 0.02).promote, false)
})

test('combinations: median and inverse-error weighting, step by step', () => {
  const a = Float64Array.from([1, 10])
  const b = Float64Array.from([2, 20])
  const c = Float64Array.from([9, 30])
  assert.deepEqual(Array.from(combineForecasts('median', [a, b, c], [1, 1, 1])), [2, 20])
  const weighted = combineForecasts('weighted', [a, b], inverseErrorWeights([1, 3]))
  assert.ok(Math.abs(weighted[0] - 1.25) < 1e-12 && Math.abs(weighted[1] - 12.5) < 1e-12, `${weighted}`)
})

test('selection scores combinations from the stored backtest forecasts and chooses the weighted one when it is best', () => {
  const y = Float64Array.from({ length: 24 * 12 }, (_, t) => 100 + 10 * Math.sin((2 * Math.PI * t) / 24) + ((t * 7919) % 13) - 6)
  // Three models that know the truth up to a constant bias: +3, -3 and +3.3. Weighted by inverse
  // MASE (1/3 : 1/3 : 1/3.3) the biases nearly cancel: (3/3 - 3/3 + 3.3/3.3) / (2/3 + 1/3.3) = 1.03125,
  // so the weighted combination's MASE is ets's times 1.03125 / 3; seasonal naive carries the noise.
  const knowing = (name: 'ets' | 'theta' | 'arima', bias: number): ModelFamily => ({
    name,
    fit: () => ({ bias }),
    forecast: (p, train, h) => Float64Array.from({ length: h }, (_, k) => (y[train.length + k] ?? 0) + (p as { bias: number }).bias),
  })
  const families = [seasonalNaive as ModelFamily, knowing('ets', 3), knowing('theta', -3), knowing('arima', 3.3)]
  const selection = selectModel(y, families, { periods: [24], phase0: 0 }, { horizon: 24, originCount: 4, level: 0.9, maseLag: 24 })
  const mase = Object.fromEntries(selection.candidates.map((c) => [c.model, c.mase]))
  assert.deepEqual(Object.keys(mase).sort(), ['arima', 'combination:median', 'combination:weighted', 'ets', 'snaive', 'theta'])
  assert.ok(Math.abs(mase['combination:weighted'] - (mase.ets * 1.03125) / 3) < 1e-9, `weighted MASE ${mase['combination:weighted']}, ets ${mase.ets}`)
  assert.equal(selection.label, 'combination:weighted')
  assert.equal(selection.model, 'combination')
  const params = selection.params as CombinationParams
  assert.equal(params.method, 'weighted')
  assert.deepEqual(params.members.map((m) => m.model), ['ets', 'theta', 'arima'])
  const [ets, theta, arima] = params.members.map((m) => m.weight)
  assert.ok(Math.abs(ets - theta) < 1e-12 && Math.abs(ets / arima - 1.1) < 1e-9, `weights ${ets} ${theta} ${arima}`)
})

test("the chosen model's intervals cover the selection procedure's errors, not only its own backtest errors", () => {
  const y = Float64Array.from({ length: 24 * 16 }, (_, t) => 20 + 5 * Math.sin((2 * Math.PI * t) / 24) + 4 * (t % 7))
  const options = { horizon: 24, originCount: 6, level: 0.9, maseLag: 24 }
  const origins = planOrigins(y.length, 24, 6, 48)
  // Errors per origin: A is best overall ([0, 0, 5, 5, 5, 5]), B second ([6, 6, 3, 3, 3, 3]); left
  // out, each of the first two origins would have chosen B, which misses there by 6, more than A ever
  // does: the procedure's errors exceed the chosen model's own.
  const knowing = (name: 'ets' | 'theta', offsets: number[]): ModelFamily => ({
    name,
    fit: () => ({}),
    forecast: (_p, train, h) => Float64Array.from({ length: h }, (_, k) => (y[train.length + k] ?? 0) + (offsets[origins.indexOf(train.length)] ?? 0)),
  })
  const a = knowing('ets', [0, 0, 5, 5, 5, 5])
  const b = knowing('theta', [6, 6, 3, 3, 3, 3])
  // Two candidates, so no combination is scored: the chosen model and the procedure are A and B alone.
  const selection = selectModel(y, [a, b], { periods: [24], phase0: 0 }, options)
  assert.equal(selection.label, 'ets')
  const own = conformalHalfWidths({ errors: selection.candidateErrors.ets, origins: 6, horizon: 24 }, 0.9)
  assert.ok(own.every((w) => w === 5))
  assert.ok(selection.halfWidths.every((w) => w === 6), `widths ${Array.from(selection.halfWidths)}`)
})

test('a single model is chosen over a combination only when it backtests better by the combination margin', () => {
  const y = Float64Array.from({ length: 120 }, (_, t) => t)
  // Each family continues the line with a constant error, so its backtest MASE (lag-1 scale 1) is that error.
  const biased = (name: ModelKind, error: number): ModelFamily => ({
    name,
    fit: () => ({}),
    forecast: (_params, train, h) => Float64Array.from({ length: h }, (_, k) => train[train.length - 1] + k + 1 + error),
  })
  const context = { periods: [] as number[], phase0: 0 }
  const options = { horizon: 10, originCount: 3, level: 0.9, maseLag: 1 }
  const close = [biased('ets', 1), biased('theta', 1.02), biased('arima', 1.04)]
  assert.equal(selectModel(y, close, context, options).label, 'ets')
  assert.match(selectModel(y, close, context, { ...options, combinationMargin: 0.05 }).label, /^combination:/)
  const clear = [biased('ets', 1), biased('theta', 1.2), biased('arima', 1.4)]
  assert.equal(selectModel(y, clear, context, { ...options, combinationMargin: 0.05 }).label, 'ets')
})

test('a series too short to backtest gets normal intervals at the configured level from its one-step changes', () => {
  // One-step changes 2, -1, 2: sigma = sqrt((4 + 1 + 4) / 3) = sqrt(3); z(0.8) = qnorm(0.9) = 1.2815515655446004.
  const y = Float64Array.from([10, 12, 11, 13])
  const selection = selectModel(y, [seasonalNaive as ModelFamily], { periods: [24], phase0: 0 }, { horizon: 4, originCount: 3, level: 0.8, maseLag: 24 })
  assert.deepEqual(selection.origins, [])
  assert.equal(selection.model, 'snaive')
  const expected = [1, 2, 3, 4].map((steps) => 1.2815515655446004 * Math.sqrt(3) * Math.sqrt(steps))
  selection.halfWidths.forEach((w, h) => assert.ok(Math.abs(w - expected[h]) < 1e-12, `step ${h + 1}: ${w}, expected ${expected[h]}`))
})
