import { test } from 'node:test'
import assert from 'node:assert/strict'
import { decomposeSeasonal, decompositionMemo } from '../../../jobs/core/decompose.js'
import { modelCatalog } from '../../../jobs/core/models/catalog.js'
import { backtestCandidates, chooseModel } from '../../../jobs/core/select.js'
import { seededRandom, normal } from '../../../jobs/core/random.js'

function hourlySeries(n: number, seed = 3): Float64Array {
  const random = seededRandom(seed)
  return Float64Array.from({ length: n }, (_, t) => 200 + 0.1 * t + 30 * Math.sin((2 * Math.PI * t) / 24) + (t % 168 >= 120 ? -25 : 0) + 4 * normal(random))
}

test('decompositionMemo returns what decomposeSeasonal does, for every prefix of a series', () => {
  const y = hourlySeries(24 * 7 * 3)
  const decompose = decompositionMemo()
  for (const length of [y.length, 400, y.length, 400, 350]) {
    const prefix = y.subarray(0, length)
    assert.deepEqual(decompose(prefix, [24, 168], 5), decomposeSeasonal(prefix, [24, 168], 5), `prefix of ${length}`)
  }
})

test('decompositionMemo computes a repeated input once, but gives every caller its own adjusted series', () => {
  const y = hourlySeries(400)
  const decompose = decompositionMemo()
  const first = decompose(y, [24, 168], 0)
  first.adjusted.fill(0)
  const second = decompose(y.slice(), [24, 168], 0)
  assert.equal(second.profiles[0], first.profiles[0], 'the same input is not decomposed again')
  assert.deepEqual(second.adjusted, decomposeSeasonal(y, [24, 168], 0).adjusted, "one caller's writes do not reach the next")
})

test('decompositionMemo decomposes again when the values, the periods or the phase differ', () => {
  const y = hourlySeries(400)
  const decompose = decompositionMemo()
  decompose(y, [24, 168], 0)
  assert.deepEqual(decompose(y, [24], 0), decomposeSeasonal(y, [24], 0), 'other periods')
  assert.deepEqual(decompose(y, [24, 168], 7), decomposeSeasonal(y, [24, 168], 7), 'another phase')
  y[123] += 50
  assert.deepEqual(decompose(y, [24, 168], 0), decomposeSeasonal(y, [24, 168], 0), 'a value changed in place')
  y[200] = Number.NaN
  assert.deepEqual(decompose(y, [24, 168], 0), decomposeSeasonal(y, [24, 168], 0), 'a gap')
})

test('decompositionMemo keeps only the newest inputs', () => {
  const y = hourlySeries(400)
  const decompose = decompositionMemo(2)
  const kept = decompose(y.subarray(0, 300), [24], 0)
  decompose(y.subarray(0, 310), [24], 0)
  decompose(y.subarray(0, 320), [24], 0)
  assert.notEqual(decompose(y.subarray(0, 300), [24], 0).profiles[0], kept.profiles[0], 'the oldest was dropped')
})

test('a selection with the memo backtests and chooses exactly as one that decomposes at every call', () => {
  const y = hourlySeries(24 * 7 * 4, 11)
  const catalog = modelCatalog({ arimaMaxLength: 336 })
  const families = [catalog.snaive, catalog.ets, catalog.theta, catalog.dotm]
  const options = { horizon: 48, originCount: 8, level: 0.95, maseLag: 24, combinationMargin: 0.05 }
  const memoised = { periods: [24, 168], phase0: 3 }
  const plain = { ...memoised, decompose: decomposeSeasonal }
  const a = backtestCandidates(y, families, memoised, options)
  const b = backtestCandidates(y, families, plain, options)
  assert.deepEqual(a.singles.map((s) => s.forecasts), b.singles.map((s) => s.forecasts))
  const chosenA = chooseModel(y, a, memoised, options)
  const chosenB = chooseModel(y, b, plain, options)
  assert.equal(chosenA.label, chosenB.label)
  assert.deepEqual(chosenA.params, chosenB.params)
  assert.deepEqual(chosenA.halfWidths, chosenB.halfWidths)
})
