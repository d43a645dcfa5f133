import { test } from 'node:test'
import assert from 'node:assert/strict'
import { coverage, mase, msis, robustScale, seasonalScale, smape } from '../../../jobs/core/accuracy.js'

// Hand-computed cases following the M4 definitions.
test('smape: 200|y-f|/(|y|+|f|) averaged', () => {
  // steps: 200*2/(10+12)=18.1818..., 200*0/(20+20)=0 -> mean 9.0909...
  assert.ok(Math.abs(smape([10, 20], [12, 20]) - 9.090909) < 1e-5)
  assert.equal(smape([0], [0]), 0)
})

test('seasonalScale and mase', () => {
  const insample = Float64Array.from([1, 2, 3, 5, 6, 9])
  // lag 2 differences: 2, 3, 3, 4 -> 3
  assert.equal(seasonalScale(insample, 2), 3)
  // lag falls back to 1 when the series is not longer than m
  assert.equal(seasonalScale(Float64Array.from([1, 3]), 24), 2)
  assert.equal(mase([10, 10], [7, 13], 3), 1)
})

test('msis penalises misses by 2/alpha and coverage counts hits', () => {
  // width 2 each; second misses above by 1 -> + 2/0.05 * 1 = 40 ; mean (2 + 42) / 2 = 22 ; / scale 2 = 11
  assert.equal(msis([1, 4], [0, 1], [2, 3], 2, 0.05), 11)
  assert.equal(coverage([1, 4, 2], [0, 1, 2], [2, 3, 2]), 2 / 3)
})

test('robustScale avoids dividing by ~0 on periodic or constant series', () => {
  const periodic = Float64Array.from({ length: 96 }, (_, t) => Math.sin((2 * Math.PI * t) / 24) * 10)
  assert.ok(robustScale(periodic, 24) > 1)
  assert.equal(robustScale(new Float64Array(30).fill(5), 24), 1)
  assert.equal(robustScale(Float64Array.from([1, 2, 3, 5, 6, 9]), 2), 3)
})
