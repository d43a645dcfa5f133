/**
 * STL and MSTL against R (tests/fixtures/r/mstl-golden.R, R 4.2.2, forecast 8.20) on three M4 series:
 * stats::stl's seasonal and trend, forecast::mstl's seasonally adjusted series, and forecast.mstl's
 * reseasonalised naive forecast. stl.ts follows R's Fortran step by step, so the tolerance is
 * rounding: 1e-8 relative to the series' scale.
 */
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { decomposeSeasonal } from '../../../jobs/core/decompose.js'
import { stl } from '../../../jobs/core/stl.js'
import { forecastWithSeasonalAdjustment } from '../../../jobs/core/models/seasonal-adjustment.js'
import { fixturesDir } from '../../helpers/paths.js'

interface Golden {
  values: number[]
  periods: number | number[]
  stl: { period: number; seasonalWindow: number; seasonal: number[]; trend: number[] }
  mstl: { adjusted: number[] }
  naive: number[]
}

const golden = JSON.parse(readFileSync(join(fixturesDir, 'r/mstl-golden.json'), 'utf8')) as Record<string, Golden>

function assertClose(actual: ArrayLike<number>, expected: number[], scale: number, what: string): void {
  assert.equal(actual.length, expected.length, `${what}: length`)
  for (let i = 0; i < expected.length; i++) {
    assert.ok(Math.abs(actual[i] - expected[i]) <= 1e-8 * scale, `${what}[${i}]: ${actual[i]} vs R ${expected[i]}`)
  }
}

for (const [id, g] of Object.entries(golden)) {
  const y = Float64Array.from(g.values)
  const periods = ([] as number[]).concat(g.periods)
  const scale = Math.max(...g.values.map(Math.abs))

  test(`${id}: STL matches stats::stl (period ${g.stl.period}, s.window ${g.stl.seasonalWindow})`, () => {
    const result = stl(y, g.stl.period, { seasonalWindow: g.stl.seasonalWindow })
    assertClose(result.seasonal, g.stl.seasonal, scale, 'seasonal')
    assertClose(result.trend, g.stl.trend, scale, 'trend')
  })

  test(`${id}: MSTL matches forecast::mstl (periods ${periods.join(', ')})`, () => {
    assertClose(decomposeSeasonal(y, periods, 0).adjusted, g.mstl.adjusted, scale, 'adjusted')
  })

  test(`${id}: the seasonal forecast repeats each component's last cycle, as forecast.mstl`, () => {
    // Phase 0 is arbitrary: anchoring the series elsewhere in absolute time must not change the forecast.
    for (const phase0 of [0, 1_000_003]) {
      const naive = forecastWithSeasonalAdjustment(y, g.naive.length, { periods, phase0 }, (adjusted) =>
        new Float64Array(g.naive.length).fill(adjusted[adjusted.length - 1]),
      )
      assertClose(naive, g.naive, scale, `naive forecast (phase0 ${phase0})`)
    }
  })
}

test('MSTL tolerates gaps: NaN stays NaN in the adjusted series, the rest is finite', () => {
  const g = Object.values(golden)[0]
  const y = Float64Array.from(g.values)
  for (const i of [0, 5, 6, 7, 200, y.length - 1]) y[i] = Number.NaN
  const d = decomposeSeasonal(y, [24, 168], 0)
  d.adjusted.forEach((v, i) => assert.equal(Number.isNaN(v), Number.isNaN(y[i]), `step ${i}`))
  for (const profile of d.profiles) for (const v of profile) assert.ok(Number.isFinite(v))
})
