/**
 * The time of `gras train`'s statistical search (selectModel over the config's statistical
 * candidates) in three settings, interleaved series by series in one process so that the machine's
 * load falls on all alike: each fit and forecast decomposing its data again (what selection did
 * before decompositionMemo), each prefix decomposed once (now), and that with AutoARIMA searched once
 * (train.arimaSearchOnce). Prints wall and CPU time per setting and the ratios to the first.
 *
 * node dist/bench/m4-selection-speed.js <M4-Hourly-train.csv> [series]
 */
import { decomposeSeasonal } from '../jobs/core/decompose.js'
import { modelCatalog } from '../jobs/core/models/catalog.js'
import type { ModelContext } from '../jobs/core/models/model.js'
import { selectModel } from '../jobs/core/select.js'
import { defaultConfig } from '../jobs/runtime/config-schema.js'
import { readM4Csv } from './m4/read-m4.js'

const [file, count = '20'] = process.argv.slice(2)
if (!file) throw new Error('usage: selection-speed <M4-Hourly-train.csv> [series]')
const train = defaultConfig.train
const options = { horizon: 48, originCount: train.backtestOrigins, level: 0.95, maseLag: 24, combinationMargin: train.combinationMargin }
const statistical = [...new Set(['snaive' as const, ...train.candidates.filter((name) => name !== 'neural')])]
const familiesOf = (searchOnce: boolean) => {
  const catalog = modelCatalog({ arimaMaxLength: train.arimaMaxLength, arimaSearch: { maxOrder: train.arimaMaxOrder, searchOnce } })
  return statistical.map((name) => catalog[name])
}
const settings: { label: string; families: ReturnType<typeof familiesOf>; context: ModelContext }[] = [
  { label: 'decomposing at every call', families: familiesOf(train.arimaSearchOnce), context: { periods: [24, 168], phase0: 0, decompose: decomposeSeasonal } },
  { label: 'each prefix decomposed once', families: familiesOf(train.arimaSearchOnce), context: { periods: [24, 168], phase0: 0 } },
  { label: 'and AutoARIMA searched once', families: familiesOf(true), context: { periods: [24, 168], phase0: 0 } },
]
const wall = settings.map(() => 0)
const cpu = settings.map(() => 0)
const series = readM4Csv(file, Number(count))
for (const [i, s] of series.entries()) {
  // Rotating the order as well: no setting always runs first, with a colder cache or a quieter machine.
  for (let j = 0; j < settings.length; j++) {
    const k = (i + j) % settings.length
    const started = performance.now()
    const cpuStarted = process.cpuUsage()
    selectModel(s.values, settings[k].families, settings[k].context, options)
    const used = process.cpuUsage(cpuStarted)
    wall[k] += performance.now() - started
    cpu[k] += (used.user + used.system) / 1000
  }
}
for (const [k, setting] of settings.entries()) {
  console.log(`${setting.label}: ${(wall[k] / series.length).toFixed(0)} ms wall, ${(cpu[k] / series.length).toFixed(0)} ms CPU per series; ratio to the first ${(wall[k] / wall[0]).toFixed(3)} wall, ${(cpu[k] / cpu[0]).toFixed(3)} CPU`)
}
