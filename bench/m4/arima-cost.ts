/**
 * AutoARIMA's cost per series, old search against new, timed in one process series by series so
 * that machine load affects both alike (node dist/bench/m4/arima-cost.js <Hourly-train.csv> [n]):
 * the backtest's order search on the data before the first of 8 origins, the nine fixed-order fits
 * (8 origins and the final forecast), and for the old search a second search on all the data.
 */
import { readM4Csv } from './read-m4.js'
import { seasonallyAdjusted } from '../../jobs/core/models/seasonal-adjustment.js'
import { forecastArimaOrder, searchArimaOrder, type ArimaSearch } from '../../jobs/core/models/auto-arima.js'

const [file, count = '40'] = process.argv.slice(2)
if (!file) throw new Error('usage: arima-cost <Hourly-train.csv> [series]')
const n = Number(count)
const context = { periods: [24, 168], phase0: 0 }
const horizon = 48
const maxLength = 336

function costOf(y: Float64Array, search: ArimaSearch): { ms: number; order: string } {
  const started = performance.now()
  const first = y.length - horizon - 7 * (horizon / 2)
  const order = searchArimaOrder(seasonallyAdjusted(y.subarray(0, first), context), maxLength, search.maxOrder)
  const adjusted = seasonallyAdjusted(y, context)
  for (let k = 0; k < 8; k++) forecastArimaOrder(adjusted.subarray(0, first + (k * horizon) / 2), order, horizon, maxLength)
  const final = search.searchOnce ? order : searchArimaOrder(adjusted, maxLength, search.maxOrder)
  forecastArimaOrder(adjusted, final, horizon, maxLength)
  return { ms: performance.now() - started, order: JSON.stringify(final) }
}

let oldMs = 0
let newMs = 0
let sameOrder = 0
for (const series of readM4Csv(file, n)) {
  const y = series.values.subarray(0, series.values.length - horizon)
  const before = costOf(y, { maxOrder: 5, searchOnce: false })
  const after = costOf(y, { maxOrder: 3, searchOnce: true })
  oldMs += before.ms
  newMs += after.ms
  if (before.order === after.order) sameOrder++
}
console.log(`${n} series: old (orders <= 5, searched twice) ${(oldMs / n).toFixed(0)} ms per series, new (orders <= 3, searched once) ${(newMs / n).toFixed(0)} ms: ratio ${(newMs / oldMs).toFixed(2)}; final order unchanged for ${sameOrder} of ${n}`)
