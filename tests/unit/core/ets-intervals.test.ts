/**
 * ETS against R (tests/fixtures/r/ets-intervals-golden.R, R 4.2.2, forecast 8.20), to 1e-9 relative:
 * from R's initial states and parameters, our filter gives forecast.ets's point forecast; with R's
 * sigma2, our variance factors give its 95% half-widths for h = 1..13. Estimation differs on purpose
 * (our initial states follow a fixed rule, ets.ts), so it is compared on the M4 bench, not here. And
 * the normal quantile against R's qnorm, to the last bits.
 */
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { normalQuantile } from '../../../jobs/core/normal-quantile.js'
import { etsModelInterval, etsVarianceFactors } from '../../../jobs/core/models/ets-intervals.js'
import { fitEts, forecastEts, forecastFromEtsState, updateEts, type EtsForm } from '../../../jobs/core/models/ets.js'
import { seededRandom, normal } from '../../../jobs/core/random.js'
import { fixturesDir } from '../../helpers/paths.js'

const golden = JSON.parse(readFileSync(join(fixturesDir, 'r/ets-intervals-golden.json'), 'utf8')) as Record<
  string,
  { alpha: number; beta: number; phi: number; sigma2: number; level0: number; trend0: number; values: number[]; mean: number[]; halfWidth: number[] }
>
const forms: Record<string, EtsForm> = { 'ETS(A,N,N)': 'ANN', 'ETS(A,A,N)': 'AAN', 'ETS(A,Ad,N)': 'AAdN' }

for (const [method, g] of Object.entries(golden)) {
  test(`${method}: from R's initial state and parameters, the filter gives forecast.ets's forecast`, () => {
    const params = { form: forms[method], alpha: g.alpha, beta: g.beta, phi: g.phi }
    const state = updateEts({ level: g.level0, trend: g.trend0, sse: 0 }, params, Float64Array.from(g.values))
    const mean = forecastFromEtsState(state, params, g.mean.length)
    g.mean.forEach((expected, h) => assert.ok(Math.abs(mean[h] - expected) <= 1e-9 * Math.abs(expected), `h=${h + 1}: ${mean[h]} vs R ${expected}`))
  })

  test(`${method}: the variance factors give forecast.ets's 95% half-widths`, () => {
    const factors = etsVarianceFactors({ form: forms[method], alpha: g.alpha, beta: g.beta, phi: g.phi }, g.halfWidth.length)
    const z = normalQuantile(0.975)
    g.halfWidth.forEach((expected, h) => {
      const actual = z * Math.sqrt(g.sigma2 * factors[h])
      assert.ok(Math.abs(actual - expected) <= 1e-9 * expected, `h=${h + 1}: ${actual} vs R ${expected}`)
    })
  })
}

test('normalQuantile matches R qnorm, centre and both tails', () => {
  // Rscript -e 'sprintf("%.17g", qnorm(c(1e-300, 1e-10, 0.025, 0.3, 0.9, 0.999)))'
  const r: [number, number][] = [
    [1e-300, -37.047096299361201],
    [1e-10, -6.3613409024040557],
    [0.025, -1.9599639845400538],
    [0.3, -0.52440051270804067],
    [0.9, 1.2815515655446008],
    [0.999, 3.0902323061678132],
  ]
  for (const [p, z] of r) assert.ok(Math.abs(normalQuantile(p) - z) <= 4e-16 * Math.abs(z), `p=${p}: ${normalQuantile(p)} vs ${z}`)
  assert.equal(normalQuantile(0.5), 0)
  assert.throws(() => normalQuantile(1), /p must lie in \(0, 1\)/)
})

test('model intervals: around the point forecast, widening with the horizon, on seasonal hourly data', () => {
  const random = seededRandom(11)
  const y = Float64Array.from({ length: 24 * 21 }, (_, t) => 200 + 0.1 * t + 30 * Math.sin((2 * Math.PI * t) / 24) + 5 * normal(random))
  const context = { periods: [24, 168], phase0: 0 }
  const params = fitEts(y, context)
  const interval = etsModelInterval(params, y, 48, context, 0.95)
  assert.deepEqual(interval.mean, forecastEts(params, y, 48, context))
  for (let h = 0; h < 48; h++) assert.ok(interval.lower[h] < interval.mean[h] && interval.mean[h] < interval.upper[h], `h=${h + 1}`)
  // Noise sd 5: the one-step interval is about +-1.96 * 5 wide.
  const first = (interval.upper[0] - interval.lower[0]) / 2
  assert.ok(first > 7 && first < 14, `one-step half-width ${first}`)
  assert.ok(interval.upper[47] - interval.lower[47] >= interval.upper[0] - interval.lower[0])
})
