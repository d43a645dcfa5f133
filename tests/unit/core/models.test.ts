import { test } from 'node:test'
import assert from 'node:assert/strict'
import { decomposeSeasonal } from '../../../jobs/core/decompose.js'
import { modelCatalog } from '../../../jobs/core/models/catalog.js'
import { fitEts, forecastEts, filterEts } from '../../../jobs/core/models/ets.js'
import { forecastSeasonalNaive } from '../../../jobs/core/models/seasonal-naive.js'
import { forecastTheta, linearSlope } from '../../../jobs/core/models/theta.js'
import { forecastArimaOrder, searchArimaOrder } from '../../../jobs/core/models/auto-arima.js'
import { assertSaneForecast, ModelFitError } from '../../../jobs/core/models/model.js'
import { seededRandom, normal } from '../../../jobs/core/random.js'

const noSeason = { periods: [] as number[], phase0: 0 }
const hourly = { periods: [24, 168], phase0: 0 }

function seasonalSeries(n: number, seed = 1): Float64Array {
  const random = seededRandom(seed)
  return Float64Array.from({ length: n }, (_, t) => 100 + 0.05 * t + 20 * Math.sin((2 * Math.PI * t) / 24) + (t % 168 >= 120 ? -15 : 0) + 2 * normal(random))
}

test('seasonal naive repeats the last season', () => {
  assert.deepEqual(Array.from(forecastSeasonalNaive({ period: 3 }, Float64Array.from([9, 1, 2, 3]), 5)), [1, 2, 3, 1, 2])
})

test('decomposition recovers a known daily profile', () => {
  const profile = Array.from({ length: 24 }, (_, h) => 10 * Math.sin((2 * Math.PI * h) / 24))
  const y = Float64Array.from({ length: 24 * 10 }, (_, t) => 50 + profile[t % 24])
  const d = decomposeSeasonal(y, [24], 0)
  for (let h = 0; h < 24; h++) assert.ok(Math.abs(d.profiles[0][h] - profile[h]) < 0.5, `hour ${h}: ${d.profiles[0][h]} vs ${profile[h]}`)
  for (const v of d.adjusted) assert.ok(Math.abs(v - 50) < 0.5)
})

test('ETS follows a clean linear trend', () => {
  const y = Float64Array.from({ length: 60 }, (_, t) => 10 + 2 * t)
  const params = fitEts(y, noSeason)
  assert.notEqual(params.form, 'ANN')
  const f = forecastEts(params, y, 3, noSeason)
  for (let h = 0; h < 3; h++) assert.ok(Math.abs(f[h] - (10 + 2 * (60 + h))) < 1.5, `step ${h}: ${f[h]}`)
})

test('ETS filter with alpha 1 has level equal to the last observation', () => {
  assert.equal(filterEts(Float64Array.from([1, 5, 3]), 'ANN', 1, 0, 1).level, 3)
})

test('Theta adds half the regression slope to SES, as forecast::thetaf', () => {
  const y = Float64Array.from({ length: 50 }, (_, t) => 3 * t)
  assert.equal(linearSlope(y), 3)
  // alpha = 1: level = last value 147; forecast h (0-based) = 147 + 1.5 * (h + 1)
  const f = forecastTheta({ alpha: 1 - 1e-12 }, y, 2, noSeason)
  assert.ok(Math.abs(f[0] - 148.5) < 1e-6 && Math.abs(f[1] - 150) < 1e-6, `${f[0]}, ${f[1]}`)
})

test('AutoARIMA output is contained: nothing reaches stdout', () => {
  const writes: string[] = []
  const original = process.stdout.write.bind(process.stdout)
  process.stdout.write = ((chunk: string | Uint8Array) => {
    writes.push(String(chunk))
    return true
  }) as typeof process.stdout.write
  let result
  try {
    const y = seasonalSeries(300)
    const order = searchArimaOrder(y, 2000)
    result = forecastArimaOrder(y, order, 12, 2000)
  } finally {
    process.stdout.write = original
  }
  assert.deepEqual(writes, [])
  assert.equal(result.length, 12)
  for (const v of result) assert.ok(Number.isFinite(v))
})

test('AutoARIMA finds the order of simulated processes (read from the search it ran)', () => {
  const random = seededRandom(11)
  // ARIMA(0,1,0): a random walk; ARIMA(1,0,0) with mean: an AR(1) around 50.
  const walk = new Float64Array(400)
  for (let t = 1; t < 400; t++) walk[t] = walk[t - 1] + normal(random)
  assert.equal(searchArimaOrder(walk, 2000).d, 1)
  const ar = new Float64Array(400)
  ar[0] = 50
  for (let t = 1; t < 400; t++) ar[t] = 50 + 0.7 * (ar[t - 1] - 50) + normal(random)
  const order = searchArimaOrder(ar, 2000)
  assert.equal(order.d, 0)
  assert.ok(order.p >= 1, `p = ${order.p}`)
})

test('AutoARIMA on too short a series is a ModelFitError, not a crash', () => {
  assert.throws(() => searchArimaOrder(Float64Array.from([1, 2, 3]), 100), ModelFitError)
  assert.throws(() => forecastArimaOrder(Float64Array.from([1, 2, 3]), { p: 1, d: 0, q: 0, mean: 1 }, 5, 100), ModelFitError)
})

test('a diverging forecast is rejected as ModelFitError', () => {
  assert.throws(() => assertSaneForecast('x', Float64Array.from([1, 2]), Float64Array.from([1, 1e9])), /diverged/)
  assert.throws(() => assertSaneForecast('x', Float64Array.from([1, 2]), Float64Array.from([NaN])), /diverged/)
})

// Invariants every family must keep on awkward inputs: finite forecasts of length h.
const awkward: [string, Float64Array][] = [
  ['constant', new Float64Array(400).fill(42)],
  ['all zero', new Float64Array(400)],
  ['short (less than two days)', seasonalSeries(40)],
  ['huge values', seasonalSeries(400).map((v) => v * 1e12)],
  ['seasonal with trend', seasonalSeries(800)],
]
for (const [name, y] of awkward) {
  test(`every model gives ${12} finite steps on a ${name} series`, () => {
    const catalog = modelCatalog({ arimaMaxLength: 2000 })
    for (const family of Object.values(catalog).filter((f) => f.name !== 'combination')) {
      let forecast: Float64Array
      try {
        forecast = family.forecast(family.fit(y, hourly), y, 12, hourly)
      } catch (error) {
        // A family may decline (too short), but only with a ModelFitError that selection records.
        assert.ok(error instanceof ModelFitError, `${family.name}: ${error}`)
        continue
      }
      assert.equal(forecast.length, 12, family.name)
      for (const v of forecast) assert.ok(Number.isFinite(v), `${family.name} gave ${v}`)
    }
  })
}
