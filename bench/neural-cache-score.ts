/**
 * Point accuracy of the neural model's final-network forecasts saved in a bench:m4 `--neural-cache`
 * file, scored as the bench scores them (sMAPE, MASE, OWA against Naive2) without the statistical
 * part of a bench run: for comparing neural settings on a hold-out quickly.
 *
 *   node dist/bench/neural-cache-score.js <cache.json> <Hourly-train.csv> [holdout-back]
 */
import { readFileSync } from 'node:fs'
import { mase, seasonalScale, smape } from '../jobs/core/accuracy.js'
import { forecastNaive2 } from '../jobs/core/models/naive2.js'
import { readM4Csv } from './m4/read-m4.js'

const [file, trainCsv, back = '0'] = process.argv.slice(2)
if (!file || !trainCsv) throw new Error('usage: neural-cache-score <cache.json> <Hourly-train.csv> [holdout-back]')
const cache = JSON.parse(readFileSync(file, 'utf8')) as { summary: string; perSeries: { lengths: number[]; forecasts: number[][] }[] }
const [horizon, lag] = [48, 24]
const total = { smape: 0, mase: 0, naive2Smape: 0, naive2Mase: 0 }
const series = readM4Csv(trainCsv)
series.forEach((s, i) => {
  const values = s.values.subarray(0, s.values.length - Number(back))
  const [insample, outsample] = [values.subarray(0, values.length - horizon), values.subarray(values.length - horizon)]
  const saved = cache.perSeries[i]
  const forecast = saved.forecasts[saved.lengths.indexOf(insample.length)]
  if (!forecast) throw new Error(`${file}: no forecast after ${insample.length} points for ${s.id} (another hold-out?)`)
  const scale = seasonalScale(insample, lag)
  const naive2 = forecastNaive2(insample, horizon, lag)
  total.smape += smape(outsample, forecast)
  total.mase += mase(outsample, forecast, scale)
  total.naive2Smape += smape(outsample, naive2)
  total.naive2Mase += mase(outsample, naive2, scale)
})
const n = series.length
const owa = (total.smape / total.naive2Smape + total.mase / total.naive2Mase) / 2
console.log(`${file}: sMAPE ${(total.smape / n).toFixed(3)}, MASE ${(total.mase / n).toFixed(3)}, OWA ${owa.toFixed(3)}\n${cache.summary}`)
