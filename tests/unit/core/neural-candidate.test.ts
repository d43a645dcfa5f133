/**
 * The neural family inside selection, with a plain function standing in for the trained networks
 * (the networks themselves are tested in tests/unit/neural and tests/integration/neural-*.test.ts).
 */
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { backtestCandidates, chooseModel, selectModel } from '../../../jobs/core/select.js'
import { seasonalNaive } from '../../../jobs/core/models/seasonal-naive.js'
import { createNeuralFamily, neuralVersionsOf, type NeuralPredictor } from '../../../jobs/core/models/neural.js'
import { calibratedLevel, crossValidatedCoverage } from '../../../jobs/core/conformal.js'
import { normal, seededRandom } from '../../../jobs/core/random.js'
import type { ModelContext, ModelFamily } from '../../../jobs/core/models/model.js'

const context: ModelContext = { periods: [24], phase0: 0 }
const options = { horizon: 24, originCount: 4, level: 0.95, maseLag: 24 }
const random = seededRandom(5)
const truth = Float64Array.from({ length: 24 * 20 }, (_, t) => 50 + 10 * Math.sin((2 * Math.PI * t) / 24) + 0.05 * t + 3 * normal(random))
const y = truth.subarray(0, truth.length - 24)

/** Knows what happened next: the best possible forecaster, so selection must pick it. */
const oracle: NeuralPredictor = { version: 'v1', predict: (prefix, horizon) => truth.slice(prefix.length, prefix.length + horizon) }

test('selection picks the neural model when its backtest is best, and its parameters name the version', () => {
  const neural = createNeuralFamily(new Map([['v1', oracle]]), 'v1') as ModelFamily
  const selection = selectModel(y, [seasonalNaive as ModelFamily, neural], context, options)
  assert.equal(selection.label, 'neural')
  assert.deepEqual(selection.params, { version: 'v1' })
  assert.ok(selection.candidates.find((c) => c.model === 'neural')!.mase < 1e-9)
  assert.deepEqual(neuralVersionsOf('neural', selection.params), ['v1'])
})

test('without an approved neural version the candidate is a recorded fallback, not a failure', () => {
  const neural = createNeuralFamily(new Map()) as ModelFamily
  const selection = selectModel(y, [seasonalNaive as ModelFamily, neural], context, options)
  assert.equal(selection.label, 'snaive')
  assert.match(selection.fallbacks.find((f) => f.model === 'neural')!.detail, /no approved neural model/)
})

test('one backtest, two choices: excluding neural chooses among the others only', () => {
  const neural = createNeuralFamily(new Map([['v1', oracle]]), 'v1') as ModelFamily
  const backtested = backtestCandidates(y, [seasonalNaive as ModelFamily, neural], context, options)
  assert.equal(chooseModel(y, backtested, context, options).label, 'neural')
  const without = chooseModel(y, backtested, context, options, (name) => name !== 'neural')
  assert.equal(without.label, 'snaive')
  assert.ok(!without.candidates.some((c) => c.model === 'neural'))
})

test('neuralVersionsOf finds the versions a combination uses', () => {
  const params = { method: 'median', members: [{ model: 'ets', params: {}, weight: 1 }, { model: 'neural', params: { version: 'v2' }, weight: 1 }] }
  assert.deepEqual(neuralVersionsOf('combination', params), ['v2'])
  assert.deepEqual(neuralVersionsOf('ets', {}), [])
})

test('calibratedLevel raises the conformal level until leave-one-origin-out coverage reaches the target', () => {
  const r = seededRandom(9)
  for (const tail of [1, 4]) {
    // Heavier tails (a few large errors) need a higher calibration level for the same coverage.
    const errors = Float64Array.from({ length: 8 * 24 }, () => normal(r) * (r() < 0.1 ? tail : 1))
    const matrix = { errors, origins: 8, horizon: 24 }
    const level = calibratedLevel(matrix, 0.95)
    assert.ok(level >= 0.95 && level <= 0.995)
    assert.ok(level === 0.995 || crossValidatedCoverage(matrix, level) >= 0.95, `coverage at ${level}`)
    if (level > 0.95) assert.ok(crossValidatedCoverage(matrix, 0.95) < 0.95, 'raised only when the plain level under-covers')
  }
})
