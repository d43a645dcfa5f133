import { test } from 'node:test'
import assert from 'node:assert/strict'
import { createAutoArima, searchArimaOrder } from '../../../jobs/core/models/auto-arima.js'
import { seasonalNaive } from '../../../jobs/core/models/seasonal-naive.js'
import type { ModelFamily } from '../../../jobs/core/models/model.js'
import { selectModel } from '../../../jobs/core/select.js'
import { seededRandom, normal } from '../../../jobs/core/random.js'

test('the order search stays within its bound on p and q', () => {
  // An ARMA(2,1): with the bound 5 the search takes p = 2.
  const random = seededRandom(2)
  const y = new Float64Array(400)
  const e = Array.from({ length: 400 }, () => normal(random))
  for (let t = 2; t < 400; t++) y[t] = 1.2 * y[t - 1] - 0.5 * y[t - 2] + e[t] + 0.6 * e[t - 1]
  const wide = searchArimaOrder(y, 2000, 5)
  assert.ok(wide.p >= 2, `p = ${wide.p} with the bound 5`)
  const narrow = searchArimaOrder(y, 2000, 1)
  assert.ok(narrow.p <= 1 && narrow.q <= 1, `p = ${narrow.p}, q = ${narrow.q} with the bound 1`)
})

/** A family that counts its fits and continues a line of slope 1 (its parameter: the length it was fitted on). */
function counting(finalFromBacktest: boolean): { family: ModelFamily<number>; fits: number[] } {
  const fits: number[] = []
  const family: ModelFamily<number> = {
    name: 'arima',
    fit: (y) => (fits.push(y.length), y.length),
    forecast: (_params, y, horizon) => Float64Array.from({ length: horizon }, (_, h) => y[y.length - 1] + h + 1),
    backtestFitOnce: true,
    finalFromBacktest,
  }
  return { family, fits }
}

test('a family that keeps its backtest parameters is fitted once per selection, and the final model is the backtested one', () => {
  const y = Float64Array.from({ length: 200 }, (_, t) => 10 + t)
  const options = { horizon: 12, originCount: 4, level: 0.9, maseLag: 1 }
  const context = { periods: [] as number[], phase0: 0 }
  const once = counting(true)
  const chosen = selectModel(y, [seasonalNaive as ModelFamily, once.family as ModelFamily], context, options)
  assert.equal(chosen.label, 'arima')
  assert.equal(once.fits.length, 1, `fits on ${once.fits.join(', ')} points`)
  assert.equal(chosen.params, chosen.origins[0], 'the parameters fitted on the data before the first origin')
  const twice = counting(false)
  const refit = selectModel(y, [seasonalNaive as ModelFamily, twice.family as ModelFamily], context, options)
  assert.deepEqual(twice.fits, [refit.origins[0], 200])
  assert.equal(refit.params, 200)
})

test('AutoARIMA keeps its backtest order only when asked to', () => {
  assert.equal(createAutoArima(336).finalFromBacktest, false)
  assert.equal(createAutoArima(336, { maxOrder: 3, searchOnce: true }).finalFromBacktest, true)
})
