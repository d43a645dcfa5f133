/**
 * The per-series selection `gras train` runs (selectModel over the config's statistical candidates),
 * on the first n series of an M4 file, in this process, timed series by series and written as JSON:
 * every candidate's backtest report and errors, the fallbacks, the winner with its parameters, its
 * forecast and interval half-widths. Two dumps compare byte for byte (`cmp`) when a change keeps the
 * forecasts identical: numbers are written as JSON, which round-trips a double exactly.
 *
 * node dist/bench/m4-selection-dump.js <M4-train.csv> <n> <out.json> [hourly|weekly] [once|twice]
 * (the last: AutoARIMA's search, train.arimaSearchOnce; default the config's)
 * (node --cpu-prof ... to profile the train step's statistical search without worker threads)
 */
import { writeFileSync } from 'node:fs'
import { defaultConfig } from '../jobs/runtime/config-schema.js'
import { modelCatalog } from '../jobs/core/models/catalog.js'
import type { ModelContext } from '../jobs/core/models/model.js'
import { selectModel } from '../jobs/core/select.js'
import { readM4Csv } from './m4/read-m4.js'

const [file, count = '60', out, freqName = 'hourly', search] = process.argv.slice(2)
if (!file || !out) throw new Error('usage: selection-dump <M4-train.csv> <series> <out.json> [hourly|weekly] [once|twice]')
if (search !== undefined && search !== 'once' && search !== 'twice') throw new Error(`selection-dump: the AutoARIMA search is once or twice, got ${search}`)
const freq = freqName === 'weekly' ? { horizon: 13, periods: [52], maseLag: 1 } : { horizon: 48, periods: [24, 168], maseLag: 24 }
const train = defaultConfig.train
const catalog = modelCatalog({ arimaMaxLength: train.arimaMaxLength, arimaSearch: { maxOrder: train.arimaMaxOrder, searchOnce: search === undefined ? train.arimaSearchOnce : search === 'once' } })
const families = [...new Set(['snaive' as const, ...train.candidates.filter((name) => name !== 'neural')])].map((name) => catalog[name])
const options = { horizon: freq.horizon, originCount: train.backtestOrigins, level: 0.95, maseLag: freq.maseLag, combinationMargin: train.combinationMargin }
const context: ModelContext = { periods: freq.periods, phase0: 0 }

const rows: unknown[] = []
let totalMs = 0
for (const series of readM4Csv(file, Number(count))) {
  const started = performance.now()
  const selection = selectModel(series.values, families, context, options)
  const forecast = catalog[selection.model].forecast(selection.params, series.values, freq.horizon, context)
  totalMs += performance.now() - started
  rows.push({
    id: series.id,
    label: selection.label,
    params: selection.params,
    forecast: Array.from(forecast),
    halfWidths: Array.from(selection.halfWidths),
    candidates: selection.candidates,
    candidateErrors: Object.fromEntries(Object.entries(selection.candidateErrors).map(([name, errors]) => [name, Array.from(errors)])),
    fallbacks: selection.fallbacks,
  })
}
writeFileSync(out, JSON.stringify(rows, null, 1) + '\n')
console.log(`${rows.length} series: ${(totalMs / rows.length).toFixed(0)} ms per series (selection and the winner's forecast), ${(totalMs / 1000).toFixed(1)} s; wrote ${out}`)
