/**
 * Fresh forecasts without refitting: a fitted model's state, updated with k observations that came
 * after its training cutoff, equals the state computed on all points with the same parameters, and
 * so does the forecast. (The seasonal profiles are state too: they are recomputed from the newest
 * cycles each time, which is what both sides here use.)
 */
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { seededRandom } from '../../../jobs/core/random.js'
import { filterEts, fitEts, forecastEts, forecastFromEtsState, updateEts } from '../../../jobs/core/models/ets.js'
import { emptyDotmState, fitDotm, forecastDotm, forecastFromDotmState, updateDotm } from '../../../jobs/core/models/dotm.js'
import { emptyThetaState, fitTheta, forecastFromThetaState, forecastTheta, linearSlope, updateTheta } from '../../../jobs/core/models/theta.js'
import { forecastWithSeasonalAdjustment, seasonallyAdjusted } from '../../../jobs/core/models/seasonal-adjustment.js'
import type { ModelContext } from '../../../jobs/core/models/model.js'

const context: ModelContext = { periods: [24, 168], phase0: 0 }
const horizon = 48

function hourlySeries(length: number, seed: number): Float64Array {
  const random = seededRandom(seed)
  let level = 100
  return Float64Array.from({ length }, (_, t) => {
    level += 0.05 + (random() - 0.5)
    return level + 20 * Math.sin((2 * Math.PI * t) / 24) + 8 * Math.sin((2 * Math.PI * t) / 168) + 4 * (random() - 0.5)
  })
}

for (const k of [1, 7, 24, 60]) {
  test(`ETS: updating the state with ${k} new points equals filtering all points with the same parameters`, () => {
    const y = hourlySeries(24 * 28 + k, 11 + k)
    const n = y.length - k
    const params = fitEts(y.subarray(0, n), context)
    const adjusted = seasonallyAdjusted(y, context)
    const before = filterEts(adjusted.subarray(0, n), params.form, params.alpha, params.beta, params.phi)
    const updated = updateEts(before, params, adjusted.subarray(n))
    assert.deepEqual(updated, filterEts(adjusted, params.form, params.alpha, params.beta, params.phi))
    const fromUpdate = forecastWithSeasonalAdjustment(y, horizon, context, () => forecastFromEtsState(updated, params, horizon))
    assert.deepEqual(fromUpdate, forecastEts(params, y, horizon, context))
    // The new points matter: the forecast moved from the one made at the training cutoff.
    const atCutoff = forecastEts(params, y.subarray(0, n), horizon, context)
    assert.ok(fromUpdate.some((v, h) => v !== atCutoff[h]))
  })

  test(`Theta: updating the state with ${k} new points equals the state on all points with the same alpha`, () => {
    const y = hourlySeries(24 * 28 + k, 29 + k)
    const n = y.length - k
    const params = fitTheta(y.subarray(0, n), context)
    const adjusted = seasonallyAdjusted(y, context)
    const updated = updateTheta(updateTheta(emptyThetaState, params.alpha, adjusted.subarray(0, n)), params.alpha, adjusted.subarray(n))
    assert.deepEqual(updated, updateTheta(emptyThetaState, params.alpha, adjusted))
    const fromUpdate = forecastWithSeasonalAdjustment(y, horizon, context, () => forecastFromThetaState(updated, params.alpha, horizon))
    assert.deepEqual(fromUpdate, forecastTheta(params, y, horizon, context))
    // The running sums give the least-squares drift of the whole series (half its slope).
    const stateOnly = forecastFromThetaState(updated, params.alpha, 2)
    assert.ok(Math.abs(stateOnly[1] - stateOnly[0] - linearSlope(adjusted) / 2) < 1e-9 * Math.max(1, Math.abs(linearSlope(adjusted))))
  })
}

for (const k of [1, 24, 60]) {
  test(`DOTM: updating the state with ${k} new points equals filtering all points with the same parameters`, () => {
    const y = hourlySeries(24 * 28 + k, 47 + k)
    const n = y.length - k
    const params = fitDotm(y.subarray(0, n), context)
    const adjusted = seasonallyAdjusted(y, context)
    const updated = updateDotm(updateDotm(emptyDotmState, params, adjusted.subarray(0, n)), params, adjusted.subarray(n))
    assert.deepEqual(updated, updateDotm(emptyDotmState, params, adjusted))
    const fromUpdate = forecastWithSeasonalAdjustment(y, horizon, context, () => forecastFromDotmState(updated, params, horizon))
    assert.deepEqual(fromUpdate, forecastDotm(params, y, horizon, context))
  })
}
