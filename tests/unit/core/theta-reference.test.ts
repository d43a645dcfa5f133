/**
 * Theta against R's forecast::thetaf on five M4 Weekly series (tests/fixtures/r/theta-golden.R, R 4.2.2,
 * forecast 8.20), without seasonality. Tolerance 0.5% relative per step: R also optimises the SES
 * initial level, which we set to the first observation (measured difference at most 0.12%).
 */
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { fitTheta, forecastTheta } from '../../../jobs/core/models/theta.js'
import { fixturesDir } from '../../helpers/paths.js'

const golden = JSON.parse(readFileSync(join(fixturesDir, 'r/theta-golden.json'), 'utf8')) as Record<string, { values: number[]; mean: number[] }>

for (const [id, g] of Object.entries(golden)) {
  test(`${id}: Theta matches forecast::thetaf within 0.5%`, () => {
    const y = Float64Array.from(g.values)
    const context = { periods: [], phase0: 0 }
    const forecast = forecastTheta(fitTheta(y, context), y, g.mean.length, context)
    forecast.forEach((v, h) => assert.ok(Math.abs(v - g.mean[h]) <= 0.005 * Math.abs(g.mean[h]), `step ${h + 1}: ${v} vs R ${g.mean[h]}`))
  })
}
