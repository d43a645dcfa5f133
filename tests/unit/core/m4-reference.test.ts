/**
 * Naive2, seasonal naive, sMAPE and MASE against R running the M4 competition's own benchmark code on
 * five M4 Hourly series (tests/fixtures/r/m4-golden.R: R 4.2.2, forecast 8.20). Tolerance 1e-9 relative.
 */
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { forecastNaive2, isSeasonal } from '../../../jobs/core/models/naive2.js'
import { forecastSeasonalNaive } from '../../../jobs/core/models/seasonal-naive.js'
import { mase, seasonalScale, smape } from '../../../jobs/core/accuracy.js'
import { fixturesDir } from '../../helpers/paths.js'

interface Golden {
  values: number[]
  seasonal: boolean
  naive2: number[]
  snaive: number[]
  smapeNaive2: number
  maseNaive2: number
  smapeSnaive: number
  maseSnaive: number
}

const golden = JSON.parse(readFileSync(join(fixturesDir, 'r/m4-golden.json'), 'utf8')) as Record<string, Golden>
const close = (a: number, b: number) => Math.abs(a - b) <= 1e-9 * Math.max(1, Math.abs(b))

for (const [id, g] of Object.entries(golden)) {
  test(`${id}: Naive2, seasonal naive and their sMAPE/MASE match R`, () => {
    const h = 48
    const all = Float64Array.from(g.values)
    const insample = all.subarray(0, all.length - h)
    const outsample = all.subarray(all.length - h)
    assert.equal(isSeasonal(insample, 24), g.seasonal)
    const naive2 = forecastNaive2(insample, h, 24)
    naive2.forEach((v, i) => assert.ok(close(v, g.naive2[i]), `naive2 step ${i}: ${v} vs ${g.naive2[i]}`))
    const snaive = forecastSeasonalNaive({ period: 24 }, insample, h)
    snaive.forEach((v, i) => assert.ok(close(v, g.snaive[i]), `snaive step ${i}`))
    const scale = seasonalScale(insample, 24)
    assert.ok(close(smape(outsample, naive2), g.smapeNaive2))
    assert.ok(close(mase(outsample, naive2, scale), g.maseNaive2))
    assert.ok(close(smape(outsample, snaive), g.smapeSnaive))
    assert.ok(close(mase(outsample, snaive, scale), g.maseSnaive))
  })
}

test('a series without seasonality gets the plain naive forecast', () => {
  const y = Float64Array.from({ length: 100 }, (_, t) => ((t * 7919) % 17) + 50)
  assert.equal(isSeasonal(y, 24), false)
  assert.deepEqual(Array.from(forecastNaive2(y, 3, 24)), [y[99], y[99], y[99]])
})
