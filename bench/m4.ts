/**
 * The M4 benchmark (npm run bench:m4 -- --freq hourly|weekly): every model, the combinations and the
 * per-series selection on the competition's Hourly or Weekly series, scored as the competition does
 * (sMAPE, MASE, OWA against Naive2, MSIS and coverage of 95% intervals), with time and peak memory.
 * Without a test CSV it holds out the last h points of every series. Forecasts and 95% bounds are
 * written as CSV (id,F1..Fh) so anyone can score them independently.
 */
import { Command, Option } from 'commander'
import { availableParallelism, cpus, totalmem } from 'node:os'
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import { join, resolve, dirname } from 'node:path'
import { fileURLToPath } from 'node:url'
import { Worker } from 'node:worker_threads'
import { coverage, mase, msis, seasonalScale, smape } from '../jobs/core/accuracy.js'
import { formatTable } from '../jobs/commands/format-table.js'
import { defaultConfig } from '../jobs/runtime/config-schema.js'
import type { ModelName } from '../jobs/core/ids.js'
import { trainedNormalisation, type WindowNormalisation } from '../jobs/neural/windows.js'
import { neuralLosses, type LearningRateSchedule, type NeuralLoss } from '../jobs/neural/global-mlp.js'
import { readM4Csv, type M4Series } from './m4/read-m4.js'
import type { MethodForecast, SeriesResult, SeriesTask } from './m4/evaluate-series.js'
import { hasR, runRBaseline, type RMethod } from './m4/r-baseline.js'
import { trainBenchNeural, type BenchNeural } from './m4/train-neural.js'
import { selectionVariants } from './m4/selection-variants.js'

const here = dirname(fileURLToPath(import.meta.url))
const settings = {
  hourly: { file: 'Hourly', horizon: 48, maseLag: 24, periods: [24, 168] },
  weekly: { file: 'Weekly', horizon: 13, maseLag: 1, periods: [52] },
} as const

const program = new Command('bench:m4')
  .addOption(new Option('--freq <freq>', 'M4 frequency').choices(['hourly', 'weekly']).default('hourly'))
  .option('--train <csv>', 'M4 train CSV (default ../shared/datasets/m4/<Freq>-train.csv)')
  .option('--test <csv>', 'M4 test CSV; without it the last h points of each series are held out')
  .addOption(new Option('--limit <n>', 'first n series only').argParser((v) => Number(v)).default(Infinity, 'all'))
  .option('--workers <n>', 'worker threads', (v) => Number(v), availableParallelism())
  .option('--holdout-back <n>', 'drop the last n points of every series first: an earlier hold-out, to check that a change does not only suit the last one (not with --test)', (v) => Number(v), 0)
  .option('--origins <n>', 'rolling backtest origins per series (default: config train.backtestOrigins)', (v) => Number(v), defaultConfig.train.backtestOrigins)
  .option('--combination-margin <x>', 'how much better a single model must backtest to be chosen over a combination (default: config)', (v) => Number(v), defaultConfig.train.combinationMargin)
  .option('--candidates <names>', 'comma-separated statistical models (default: config train.candidates)', defaultConfig.train.candidates.filter((m) => m !== 'neural').join(','))
  .option('--trial <names>', 'comma-separated candidates on trial: backtested with the others, scored alone and in `selected+trial` (and the `t:` variants), left out of `selected`', '')
  .option('--arima-max-order <n>', 'largest p and q of the AutoARIMA search', (v) => Number(v), defaultConfig.train.arimaMaxOrder)
  .addOption(new Option('--arima-search <when>', 'once: the final model keeps the AutoARIMA order the backtest searched; twice: searched again on all the data (default: config train.arimaSearchOnce)').choices(['once', 'twice']).default(defaultConfig.train.arimaSearchOnce ? 'once' : 'twice'))
  .option('--r-baseline <n>', "also run R's forecast::auto.arima on the first n series (needs Rscript)", (v) => Number(v), 0)
  .option('--r-mstl <n>', "also run R's forecast::mstl (forecast.mstl: ETS on the adjusted part) on the first n series", (v) => Number(v), 0)
  .option('--out <dir>', 'where forecast CSVs go', 'bench/results')
  .option('--neural', 'also train the global neural model (TensorFlow.js) as gras train-neural does, and make it a candidate of the selection')
  .option('--epochs <n>', 'epochs of the neural model', (v) => Number(v), 20)
  .option('--neural-cache <file>', 'reuse the neural forecasts saved in this file by an earlier run with the same settings (written when missing)')
  .option('--neural-members <n>', 'networks per phase averaged (seeds 7, 8, ...; default: config neural.members)', (v) => Number(v), defaultConfig.neural.members)
  .option('--neural-batch <n>', 'windows per gradient step (default: config neural.batchSize)', (v) => Number(v), defaultConfig.neural.batchSize)
  .addOption(new Option('--neural-normalisation <n>', 'how windows are scaled').choices(['seasonal-difference', 'level']).default(trainedNormalisation))
  .option('--neural-lr <x>', 'Adam learning rate of the neural model (default: the model default)', (v) => Number(v))
  .addOption(new Option('--neural-schedule <s>', 'learning-rate schedule of the neural model (default: the model default)').choices(['constant', 'cosine']))
  .option('--neural-stride <n>', 'steps between training windows (default h/2)', (v) => Number(v))
  .option('--neural-input <n>', 'input window of the neural model (steps)', (v) => Number(v), 168)
  .option('--neural-lookbacks <list>', 'comma-separated input windows the members cycle through (default: config neural.lookbacks, or --neural-input when given)')
  .option('--neural-losses <list>', `comma-separated losses the members cycle through, once per round of lookbacks: ${neuralLosses.join(', ')} (default: config neural.losses)`, defaultConfig.neural.losses.join(','))
  .option('--neural-baseline <period>', 'train on residuals of seasonal naive with this period (0: off; default: the MASE period)', (v) => Number(v))
  .parse()

const options = program.opts<{ freq: 'hourly' | 'weekly'; train?: string; test?: string; holdoutBack: number; limit: number; workers: number; origins: number; combinationMargin: number; candidates: string; trial: string; arimaMaxOrder: number; arimaSearch: 'once' | 'twice'; rBaseline: number; rMstl: number; out: string; neural?: boolean; epochs: number; neuralInput: number; neuralLookbacks?: string; neuralLosses: string; neuralMembers: number; neuralBatch: number; neuralNormalisation: WindowNormalisation; neuralCache?: string; neuralStride?: number; neuralBaseline?: number; neuralLr?: number; neuralSchedule?: LearningRateSchedule }>()
const freq = settings[options.freq]
const level = 0.95
const trainPath = options.train ?? resolve(here, '../../../shared/datasets/m4', `${freq.file}-train.csv`)
const trial = options.trial ? (options.trial.split(',') as ModelName[]) : []
const candidates = [...(options.candidates.split(',') as ModelName[]), ...trial, ...(options.neural ? (['neural'] as const) : [])]
const neuralLookbacks = options.neuralLookbacks !== undefined ? options.neuralLookbacks.split(',').map(Number) : program.getOptionValueSource('neuralInput') === 'cli' ? [options.neuralInput] : [...defaultConfig.neural.lookbacks]
if (neuralLookbacks.some((n) => !Number.isInteger(n) || n < 1)) program.error(`--neural-lookbacks: expected whole numbers >= 1, got ${options.neuralLookbacks}`)
const neuralLossList = options.neuralLosses.split(',') as NeuralLoss[]
if (neuralLossList.some((l) => !(neuralLosses as readonly string[]).includes(l))) program.error(`--neural-losses: expected some of ${neuralLosses.join(', ')}, got ${options.neuralLosses}`)

interface Split {
  id: string
  insample: Float64Array
  outsample: Float64Array
}

function split(train: M4Series[], test: M4Series[] | undefined): Split[] {
  return train.map((s, i) => {
    if (test) return { id: s.id, insample: s.values, outsample: test[i].values.subarray(0, freq.horizon) }
    const values = s.values.subarray(0, s.values.length - options.holdoutBack)
    return { id: s.id, insample: values.subarray(0, values.length - freq.horizon), outsample: values.subarray(values.length - freq.horizon) }
  })
}

async function evaluateAll(series: Split[], neural?: BenchNeural): Promise<SeriesResult[]> {
  const results: SeriesResult[] = new Array(series.length)
  let next = 0
  const workers = Array.from({ length: Math.max(1, Math.min(options.workers, series.length)) }, () => new Worker(join(here, 'm4/worker.js')))
  await Promise.all(
    workers.map(
      (worker) =>
        new Promise<void>((done, fail) => {
          const send = () => {
            if (next >= series.length) {
              void worker.terminate().then(() => done())
              return
            }
            const index = next++
            const task: SeriesTask = { index, values: series[index].insample, horizon: freq.horizon, maseLag: freq.maseLag, periods: [...freq.periods], origins: options.origins, combinationMargin: options.combinationMargin, level, candidates, trial, arimaSearch: { maxOrder: options.arimaMaxOrder, searchOnce: options.arimaSearch === 'once' }, neural: neural?.perSeries[index] }
            worker.postMessage(task)
          }
          worker.on('message', (message: { ok: boolean; result?: SeriesResult; error?: string; index?: number }) => {
            if (!message.ok) return fail(new Error(`series ${series[message.index!].id}: ${message.error}`))
            results[message.result!.index] = message.result!
            send()
          })
          worker.on('error', fail)
          send()
        }),
    ),
  )
  return results
}

interface Scores {
  smape: number
  mase: number
  msis: number
  coverage: number
}

function score(series: Split[], forecasts: (i: number) => MethodForecast): Scores {
  const total = { smape: 0, mase: 0, msis: 0, coverage: 0 }
  series.forEach((s, i) => {
    const f = forecasts(i)
    const scale = seasonalScale(s.insample, freq.maseLag)
    total.smape += smape(s.outsample, f.mean)
    total.mase += mase(s.outsample, f.mean, scale)
    total.msis += msis(s.outsample, f.lower, f.upper, scale, 1 - level)
    total.coverage += coverage(s.outsample, f.lower, f.upper)
  })
  const n = series.length
  return { smape: total.smape / n, mase: total.mase / n, msis: total.msis / n, coverage: total.coverage / n }
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b)
  return sorted.length ? sorted[Math.floor((sorted.length - 1) / 2)] : Number.NaN
}

function printTable(title: string, rows: [string, Scores][], naive2: Scores): void {
  const lines = rows.map(([name, s]) => [
    name,
    s.smape.toFixed(3),
    s.mase.toFixed(3),
    ((s.smape / naive2.smape + s.mase / naive2.mase) / 2).toFixed(3),
    name === 'naive2' ? '-' : s.msis.toFixed(3),
    name === 'naive2' ? '-' : (100 * s.coverage).toFixed(1) + '%',
  ])
  console.log(`\n${title}\n${formatTable([{ header: 'method', align: 'left' }, ...['sMAPE', 'MASE', 'OWA', 'MSIS', 'cov95'].map((header) => ({ header, align: 'right' as const }))], lines)}`)
}

function writeCsv(dir: string, method: string, series: Split[], results: SeriesResult[]): void {
  const safe = method.replace(':', '-')
  for (const part of ['mean', 'lower', 'upper'] as const) {
    const header = ['id', ...Array.from({ length: freq.horizon }, (_, h) => `F${h + 1}`)].join(',')
    const rows = series.map((s, i) => [s.id, ...Array.from(results[i].methods[method][part], (v) => Number(v.toPrecision(10)))].join(','))
    writeFileSync(join(dir, `${options.freq}-${safe}-${part === 'mean' ? 'point' : part}.csv`), [header, ...rows].join('\n') + '\n')
  }
}

/** The neural forecasts from `--neural-cache` when it exists (for iterating on selection), else trained and saved there. */
async function cachedNeural(train: () => Promise<BenchNeural>): Promise<BenchNeural> {
  const file = options.neuralCache
  if (file && existsSync(file)) {
    const saved = JSON.parse(readFileSync(file, 'utf8')) as { summary: string; trainSeconds: number; perSeries: { lengths: number[]; forecasts: number[][] }[] }
    const perSeries = saved.perSeries.map((s) => ({ lengths: s.lengths, forecasts: s.forecasts.map((f) => Float64Array.from(f)) }))
    return { ...saved, perSeries, summary: `${saved.summary} (from ${file})` }
  }
  const trained = await train()
  if (file) writeFileSync(file, JSON.stringify({ ...trained, perSeries: trained.perSeries.map((s) => ({ lengths: s.lengths, forecasts: s.forecasts.map((f) => Array.from(f)) })) }))
  return trained
}

/** Adds `mean-selected-neural`: the plain average of the statistical selection and the neural model. */
function addNeuralAverage(results: SeriesResult[]): void {
  for (const r of results) {
    const selected = r.methods.selected
    const neural = r.methods.neural
    const mean = neural.mean.map((v, h) => (v + selected.mean[h]) / 2)
    const widths = selected.upper.map((u, h) => u - selected.mean[h])
    r.methods['mean-selected-neural'] = { mean, lower: mean.map((v, h) => v - widths[h]), upper: mean.map((v, h) => v + widths[h]) }
  }
}

/**
 * Adds the selection variants (bench/m4/selection-variants.ts) over the statistical candidates and,
 * with the neural model, over all of them (`n:` prefix); a series without a backtest keeps its selection.
 */
function addSelectionVariants(results: SeriesResult[]): string[] {
  const base = candidates.filter((c) => !trial.includes(c))
  const sets: [string[], string, string][] = [[base.filter((c) => c !== 'neural'), '', 'selected']]
  if (options.neural) sets.push([base, 'n:', 'selected-with-neural'])
  if (trial.length > 0) sets.push([candidates.filter((c) => c !== 'neural'), 't:', 'selected+trial'])
  if (trial.length > 0 && options.neural) sets.push([candidates, 'nt:', 'selected-with-neural+trial'])
  const notes: string[] = []
  for (const [names, prefix, fallback] of sets) {
    const report = selectionVariants(results.map((r) => r.backtest), names, freq.horizon, level, prefix)
    notes.push(...report.notes)
    for (const [method, perSeries] of Object.entries(report.methods)) perSeries.forEach((f, i) => (results[i].methods[method] = f ?? results[i].methods[fallback]))
  }
  return notes
}

async function main(): Promise<void> {
  const train = readM4Csv(trainPath, options.limit)
  const test = options.test ? readM4Csv(options.test, options.limit) : undefined
  if (!Number.isInteger(options.holdoutBack) || options.holdoutBack < 0) program.error(`--holdout-back: expected a whole number >= 0, got ${options.holdoutBack}`)
  if (test && options.holdoutBack > 0) program.error('--holdout-back: only without --test (the test CSV is the hold-out)')
  const series = split(train, test)
  const heldOut = test ? 'test CSV' : options.holdoutBack > 0 ? `h held out ending ${options.holdoutBack} points before the end` : 'last h held out'
  console.log(`M4 ${freq.file}: ${series.length} series, h=${freq.horizon}, m=${freq.maseLag}, ${heldOut}; models ${candidates.join(', ')}${trial.length ? ` (on trial: ${trial.join(', ')})` : ''}; ${options.origins} backtest origins; AutoARIMA orders up to ${options.arimaMaxOrder}, ${options.arimaSearch === 'once' ? 'searched once' : 'searched again for the final model'}; ${options.workers} worker threads`)
  console.log(`machine: ${cpus()[0]?.model ?? 'cpu'} x${cpus().length}, ${(totalmem() / 2 ** 30).toFixed(0)} GiB, node ${process.version}`)
  const neural = options.neural
    ? await cachedNeural(() => trainBenchNeural(
        series.map((s) => s.insample),
        { horizon: freq.horizon, periods: [...freq.periods], maseLag: freq.maseLag, origins: options.origins, level, epochs: options.epochs, inputSteps: options.neuralInput, lookbacks: neuralLookbacks, losses: neuralLossList, members: options.neuralMembers, batchSize: options.neuralBatch, normalisation: options.neuralNormalisation, stride: options.neuralStride, learningRate: options.neuralLr, schedule: options.neuralSchedule, baselinePeriod: options.neuralBaseline ?? freq.maseLag },
      ))
    : undefined
  if (neural) console.log(neural.summary)
  const started = performance.now()
  const results = await evaluateAll(series, neural)
  const wallSeconds = (performance.now() - started) / 1000
  if (neural) addNeuralAverage(results)
  const variantNotes = addSelectionVariants(results)
  const methods = Object.keys(results[0].methods)
  for (const m of methods) {
    const bad = series.filter((_, i) => ['mean', 'lower', 'upper'].some((part) => results[i].methods[m][part as 'mean'].length !== freq.horizon || results[i].methods[m][part as 'mean'].some((v) => !Number.isFinite(v))))
    if (bad.length > 0) console.log(`warning: ${m} has non-finite values for ${bad.length} series (${bad.slice(0, 5).map((s) => s.id).join(', ')})`)
  }
  const naive2 = score(series, (i) => results[i].methods.naive2)
  const rows = methods.map((m) => [m, score(series, (i) => results[i].methods[m])] as [string, Scores])
  const tally = (labels: (string | undefined)[]) => {
    const counts = new Map<string, number>()
    for (const label of labels) if (label) counts.set(label, (counts.get(label) ?? 0) + 1)
    return [...counts].sort((a, b) => b[1] - a[1]).map(([k, v]) => `${k} ${v}`).join(', ')
  }
  printTable(`Accuracy on ${series.length} series (OWA against Naive2 on the same data)`, rows, naive2)
  const seconds = results.map((r) => r.seconds)
  console.log(`\nselected per series: ${tally(results.map((r) => r.selected))}`)
  if (neural) console.log(`selected per series with neural a candidate: ${tally(results.map((r) => r.selectedWithNeural))}`)
  for (const note of variantNotes) console.log(note)
  console.log(`fallbacks recorded: ${results.reduce((s, r) => s + r.fallbacks, 0)}`)
  console.log(`time: ${wallSeconds.toFixed(1)} s wall for all models + selection; per series median ${median(seconds).toFixed(3)} s, max ${Math.max(...seconds).toFixed(3)} s (one thread)`)
  const perModel = new Map<string, number>()
  for (const r of results) for (const [name, s] of Object.entries(r.modelSeconds)) perModel.set(name, (perModel.get(name) ?? 0) + s)
  const threadSeconds = seconds.reduce((sum, s) => sum + s, 0)
  console.log(`thread time ${threadSeconds.toFixed(1)} s, by model (fits and forecasts; the rest is selection and scoring): ${[...perModel].sort((a, b) => b[1] - a[1]).map(([name, s]) => `${name} ${s.toFixed(1)} s (${((100 * s) / threadSeconds).toFixed(0)}%)`).join(', ')}`)
  console.log(`peak memory (max RSS): ${(process.resourceUsage().maxRSS / 1024).toFixed(0)} MiB`)
  const outDir = resolve(options.out)
  mkdirSync(outDir, { recursive: true })
  for (const m of methods) writeCsv(outDir, m, series, results)
  console.log(`forecasts and 95% bounds: ${outDir}/${options.freq}-<method>-{point,lower,upper}.csv`)

  if (options.rBaseline > 0 || options.rMstl > 0) {
    if (!hasR()) {
      console.log("\nR baselines skipped: Rscript with the forecast package is not installed (apt-get install r-cran-forecast)")
      return
    }
    const ours = ['selected', ...(neural ? ['neural', 'selected-with-neural'] : [])]
    if (options.rBaseline > 0) compareWithR('auto.arima', series.slice(0, options.rBaseline), results, ours)
    if (options.rMstl > 0) compareWithR('mstl', series.slice(0, options.rMstl), results, ours)
  }
}

/** Runs an R baseline on `subset` (the first series) and prints it beside our `methods` on the same series. */
function compareWithR(method: RMethod, subset: Split[], results: SeriesResult[], methods: string[]): void {
  const r = runRBaseline(method, subset, freq.horizon, freq.maseLag === 1 ? [52] : freq.periods)
  writeCsv(resolve(options.out), `r-${method}`, subset, r.map((f, index) => ({ index, methods: { [`r-${method}`]: f }, selected: '', fallbacks: 0, seconds: f.seconds, modelSeconds: {} })))
  const naive2Subset = score(subset, (i) => results[i].methods.naive2)
  const rows: [string, Scores][] = [['naive2', naive2Subset], [`R ${method}`, score(subset, (i) => r[i])], ...methods.map((m) => [`gras ${m}`, score(subset, (i) => results[i].methods[m])] as [string, Scores])]
  printTable(`R forecast::${method} vs gras, first ${subset.length} series`, rows, naive2Subset)
  const rMedian = median(r.map((x) => x.seconds))
  const oursMedian = median(subset.map((_, i) => results[i].seconds))
  console.log(`per series median: R ${method} ${rMedian.toFixed(3)} s, gras (all models + selection) ${oursMedian.toFixed(3)} s: ${(rMedian / oursMedian).toFixed(1)}x`)
  console.log(`total: R ${method} ${r.reduce((s, x) => s + x.seconds, 0).toFixed(1)} s for ${subset.length} series`)
}

await main()
