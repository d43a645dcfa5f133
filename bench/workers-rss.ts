/**
 * Throughput of 1 vs 2 workers and peak RSS on 1x and 10x the input (node dist/bench/workers-rss.js):
 * the M4 Hourly series written as bronze by DuckDB (`--series` of them for 1x, ten copies of each
 * for 10x), `gras features` then `gras train` (the full statistical search, no neural model) as
 * child processes under GNU time. Train runs on copies of the same featured lake, so each run
 * trains from the same state. CSV in bench/results/workers-rss.csv.
 */
import { Command } from 'commander'
import { appendFileSync, cpSync, existsSync, mkdirSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { tempDir } from '../tests/helpers/paths.js'
import { configDirWith } from '../tests/helpers/run-cli.js'
import { m4HourlyCsv, writeM4Lake } from './scale/bronze-lakes.js'
import { machineNote, runGras, type GrasRun } from './scale/run-gras.js'

const options = new Command('bench:workers')
  .option('--series <n>', 'M4 series of the 1x input', (v) => Number(v), 8)
  .option('--out <dir>', 'CSV folder', 'bench/results')
  .parse()
  .opts<{ series: number; out: string }>()

const config = configDirWith('train:\n  candidates: [snaive, ets, theta, dotm, arima]\n')
const work = tempDir('bench-workers')
const endMs = Date.UTC(2024, 1, 1)
const asOf = new Date(endMs).toISOString()
const rows: string[] = []

function run(label: string, lake: string, args: string[], series: number): GrasRun {
  const result = runGras([...args, '--lake', lake, '--dynamodb', 'embedded', '--as-of', asOf, '--log-level', 'warn'], { cwd: work, config })
  if (result.code !== 0) throw new Error(`${label}: exit ${result.code}: ${result.stderr.slice(-2000)}`)
  const note = machineNote()
  console.log(`${label}: ${series} series, ${result.seconds.toFixed(1)} s, ${(series / result.seconds).toFixed(2)} series/s, peak RSS ${result.peakRssMb.toFixed(0)} MB (${note})`)
  rows.push([label, series, result.seconds.toFixed(2), (series / result.seconds).toFixed(3), result.peakRssMb.toFixed(0), note].join(','))
  return result
}

const results: Record<string, GrasRun> = {}
for (const [scale, copies] of [['1x', 1], ['10x', 10]] as const) {
  const lake = join(work, `lake-${scale}`)
  const written = await writeM4Lake(m4HourlyCsv(), lake, endMs, { limit: options.series, copies })
  const series = written.metrics
  results[`features ${scale}`] = run(`features ${scale} --workers 1`, lake, ['features', '--workers', '1'], series)
  const workerCounts = scale === '1x' ? [1, 2] : [1]
  for (const workers of workerCounts) {
    const copy = `${lake}-train-${workers}`
    cpSync(lake, copy, { recursive: true })
    if (existsSync(`${lake}.dynamodb`)) cpSync(`${lake}.dynamodb`, `${copy}.dynamodb`, { recursive: true })
    results[`train ${scale} ${workers}`] = run(`train ${scale} --workers ${workers}`, copy, ['train', '--workers', String(workers)], series)
  }
}
const ratio = results['train 1x 1'].seconds / results['train 1x 2'].seconds
console.log(`train throughput, 2 workers / 1 worker: ${ratio.toFixed(2)}x`)
console.log(`peak RSS 10x / 1x: features ${(results['features 10x'].peakRssMb / results['features 1x'].peakRssMb).toFixed(2)}, train ${(results['train 10x 1'].peakRssMb / results['train 1x 1'].peakRssMb).toFixed(2)}`)
rows.push(['train 2 workers / 1 worker', '', '', ratio.toFixed(3), '', machineNote()].join(','))
mkdirSync(options.out, { recursive: true })
const csv = join(options.out, 'workers-rss.csv')
if (!existsSync(csv)) writeFileSync(csv, 'run,series,seconds,series_per_s,peak_rss_mb,note\n')
appendFileSync(csv, rows.join('\n') + '\n')
console.log(`written ${csv}; lakes in ${work}`)
