import { test } from 'node:test'
import assert from 'node:assert/strict'
import {
  fitSeasonalEts,
  forecastFromSeasonalEtsState,
  forecastSeasonalEts,
  initialSeasonalState,
  seasonalEtsLikelihood,
  seasonalEtsParameterCount,
  updateSeasonalEts,
} from '../../../jobs/core/models/ets-seasonal.js'
import { ModelFitError } from '../../../jobs/core/models/model.js'

const close = (actual: number, expected: number, what: string) => assert.ok(Math.abs(actual - expected) < 1e-9, `${what}: ${actual}, expected ${expected}`)

test('initial seasonal state: phase deviations from the cycle means, trend from the change of the means', () => {
  const y = Float64Array.from([1, 2, 3, 5, 6, 7])
  const flat = initialSeasonalState(y, 3, 'ANA')
  assert.deepEqual(Array.from(flat.season), [-1, 0, 1])
  close(flat.level, 2, 'level')
  assert.equal(flat.trend, 0)
  // Cycle means 2 and 6: trend 4 / 3 per step; level moved back (m + 1) / 2 = 2 steps from the first cycle's centre.
  const trended = initialSeasonalState(y, 3, 'AAA')
  close(trended.trend, 4 / 3, 'trend')
  close(trended.level, 2 - 8 / 3, 'level')
  // Multiplicative: ratios to the cycle means, averaged over the cycles and normalised to mean 1.
  const ratios = initialSeasonalState(Float64Array.from([1, 3, 2, 6]), 2, 'MNM')
  close(ratios.season[0], 0.5, 's0')
  close(ratios.season[1], 1.5, 's1')
})

test('ETS(A,N,A) recursions, step by step by hand', () => {
  const start = { level: 10, trend: 0, season: Float64Array.from([1, -1]), n: 0, sse: 0, sumLogForecast: 0 }
  const params = { form: 'ANA' as const, alpha: 0.5, beta: 0, gamma: 0.2, phi: 1 }
  // y = 12 at phase 0: f = 11, e = 1; l = 10 + 0.5 (12 - 1 - 10) = 10.5; s0 = 1 + 0.2 ((12 - 10) - 1) = 1.2.
  // y = 9 at phase 1: f = 9.5, e = -0.5; l = 10.5 + 0.5 (10 - 10.5) = 10.25; s1 = -1 + 0.2 ((9 - 10.5) + 1) = -1.1.
  const state = updateSeasonalEts(start, params, Float64Array.from([12, 9]))
  close(state.level, 10.25, 'level')
  close(state.season[0], 1.2, 's0')
  close(state.season[1], -1.1, 's1')
  close(state.sse, 1.25, 'sse')
  assert.deepEqual(Array.from(start.season), [1, -1], 'the state passed in is not changed')
  const f = forecastFromSeasonalEtsState(state, params, 3)
  close(f[0], 11.45, 'h1')
  close(f[1], 9.15, 'h2')
  close(f[2], 11.45, 'h3')
  close(seasonalEtsLikelihood(state, 'ANA'), 2 * Math.log(1.25), '-2 log L')
})

test('ETS(M,N,M) and ETS(A,Ad,A) recursions, by hand', () => {
  const start = { level: 10, trend: 0, season: Float64Array.from([1.1, 0.9]), n: 0, sse: 0, sumLogForecast: 0 }
  // y = 12: f = 11, relative error 1/11; l = 10 + 0.5 (12 / 1.1 - 10); s0 = 1.1 + 0.2 (12 / 10 - 1.1) = 1.12.
  const m = updateSeasonalEts(start, { form: 'MNM', alpha: 0.5, beta: 0, gamma: 0.2, phi: 1 }, Float64Array.from([12]))
  close(m.level, 10 + 0.5 * (12 / 1.1 - 10), 'level')
  close(m.season[0], 1.12, 's0')
  close(m.sse, 1 / 121, 'relative sse')
  close(seasonalEtsLikelihood(m, 'MNM'), Math.log(1 / 121) + 2 * Math.log(11), '-2 log L with the 2 sum log|f| term')
  // Damped: q = 10 + 0.9 * 2 = 11.8, f = 11.8 + 1 = 12.8; y = 14: l = 11.8 + 0.5 (13 - 11.8) = 12.4;
  // b = 1.8 + (0.25 / 0.5) (12.4 - 10 - 1.8) = 2.1; forecast h = 1 (phase 1): 12.4 + 0.9 * 2.1 - 1.
  const damped = { form: 'AAdA' as const, alpha: 0.5, beta: 0.25, gamma: 0, phi: 0.9 }
  const d = updateSeasonalEts({ ...start, trend: 2, season: Float64Array.from([1, -1]) }, damped, Float64Array.from([14]))
  close(d.level, 12.4, 'damped level')
  close(d.trend, 2.1, 'damped trend')
  close(forecastFromSeasonalEtsState(d, damped, 1)[0], 12.4 + 0.9 * 2.1 - 1, 'damped h1')
})

test('parameters counted as R counts them for AICc (period 24)', () => {
  // ETS(A,N,A): alpha, gamma, l0, s1..s23, sigma; ETS(M,Ad,M) adds beta, phi and b0.
  assert.equal(seasonalEtsParameterCount('ANA', 24), 27)
  assert.equal(seasonalEtsParameterCount('MAdM', 24), 30)
})

test('a clean daily pattern with a weekly step is forecast from both: the daily by the ETS states, the weekly by MSTL', () => {
  const daily = (t: number) => 10 * Math.sin((2 * Math.PI * t) / 24)
  const weekly = (t: number) => (t % 168 >= 120 ? -15 : 0)
  const y = Float64Array.from({ length: 168 * 4 }, (_, t) => 100 + daily(t) + weekly(t))
  const context = { periods: [24, 168], phase0: 0 }
  const params = fitSeasonalEts(y, context)
  const f = forecastSeasonalEts(params, y, 48, context)
  for (let h = 0; h < 48; h++) {
    const t = y.length + h
    assert.ok(Math.abs(f[h] - (100 + daily(t) + weekly(t))) < 1, `step ${h + 1}: ${f[h]} against ${100 + daily(t) + weekly(t)} (${params.form})`)
  }
})

test('non-positive data leaves out the multiplicative forms; long periods and short series are ModelFitErrors', () => {
  const y = Float64Array.from({ length: 24 * 6 }, (_, t) => 5 * Math.sin((2 * Math.PI * t) / 24) + 0.01 * t)
  assert.equal(fitSeasonalEts(y, { periods: [24], phase0: 0 }).form[0], 'A')
  assert.throws(() => fitSeasonalEts(Float64Array.from({ length: 200 }, () => 1), { periods: [52], phase0: 0 }), ModelFitError)
  assert.throws(() => fitSeasonalEts(Float64Array.from({ length: 30 }, () => 1), { periods: [24], phase0: 0 }), ModelFitError)
})
