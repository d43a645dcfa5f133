/**
 * The Dynamic Optimised Theta Model (dotm.ts) against what it must reduce to: theta = 1 is simple
 * exponential smoothing, theta = 2 is the standard Theta method (theta.ts, checked against R's
 * thetaf), its running line is the least-squares line of the points so far, and a straight line is
 * continued exactly.
 */
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { emptyDotmState, fitDotm, forecastDotm, forecastFromDotmState, updateDotm } from '../../../jobs/core/models/dotm.js'
import { emptyThetaState, forecastFromThetaState, linearSlope, updateTheta } from '../../../jobs/core/models/theta.js'
import { seededRandom, normal } from '../../../jobs/core/random.js'

const noSeason = { periods: [] as number[], phase0: 0 }

function trendedSeries(n: number, seed: number): Float64Array {
  const random = seededRandom(seed)
  let level = 50
  return Float64Array.from({ length: n }, () => {
    level += 0.3 + normal(random)
    return level + 2 * normal(random)
  })
}

test('theta = 1 is simple exponential smoothing: same errors, flat forecast at the level', () => {
  const y = trendedSeries(200, 3)
  const state = updateDotm(emptyDotmState, { alpha: 0.4, theta: 1 }, y)
  const ses = updateTheta(emptyThetaState, 0.4, y)
  assert.ok(Math.abs(state.sse - ses.sse) <= 1e-9 * ses.sse)
  for (const v of forecastFromDotmState(state, { alpha: 0.4, theta: 1 }, 5)) assert.ok(Math.abs(v - ses.level) < 1e-9)
})

test('theta = 2 on a long series is the standard Theta method (thetaf) to within 1e-6', () => {
  const y = trendedSeries(400, 5)
  const dotm = forecastFromDotmState(updateDotm(emptyDotmState, { alpha: 0.3, theta: 2 }, y), { alpha: 0.3, theta: 2 }, 12)
  const standard = forecastFromThetaState(updateTheta(emptyThetaState, 0.3, y), 0.3, 12)
  dotm.forEach((v, h) => assert.ok(Math.abs(v - standard[h]) < 1e-6 * Math.abs(standard[h]), `h=${h + 1}: ${v} vs ${standard[h]}`))
})

test('the running line is the least-squares line of the points so far', () => {
  const y = trendedSeries(150, 7)
  const state = updateDotm(emptyDotmState, { alpha: 0.5, theta: 3 }, y)
  // Slope from the running sums (t = 1..n) equals the direct least-squares slope.
  const n = state.n
  const meanT = (n + 1) / 2
  const slope = (state.sumTY - meanT * state.sumY) / ((n * (n * n - 1)) / 12)
  assert.ok(Math.abs(slope - linearSlope(y)) < 1e-9 * Math.abs(linearSlope(y)))
})

test('a straight line is continued exactly, and estimation keeps the bounds', () => {
  const y = Float64Array.from({ length: 100 }, (_, t) => 10 + 2 * t)
  const params = fitDotm(y, noSeason)
  assert.ok(params.alpha >= 0.1 && params.alpha <= 0.99 && params.theta >= 1)
  const f = forecastDotm(params, y, 3, noSeason)
  f.forEach((v, h) => assert.ok(Math.abs(v - (10 + 2 * (100 + h))) < 0.05, `h=${h + 1}: ${v}`))
})

test('on a trended noisy series the estimated theta follows the trend more than SES would', () => {
  const y = trendedSeries(300, 9)
  const params = fitDotm(y, noSeason)
  assert.ok(params.theta > 1, `theta ${params.theta}`)
  const f = forecastDotm(params, y, 20, noSeason)
  assert.ok(f[19] > f[0], 'the forecast rises with the trend')
})
