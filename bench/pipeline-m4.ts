/**
 * `gras pipeline` on the M4 Hourly lake (node dist/bench/pipeline-m4.js): the 414 series written as
 * bronze by DuckDB (14,870 daily files), the default config, embedded DynamoDB, one run per build
 * on a fresh copy of the bronze. With `--baseline <repo>` (another checkout, built) the runs
 * alternate between it and this build, `--rounds` times, and what each run forecast is compared:
 * every row of the predictions copies by series and step, and the global model's networks byte for
 * byte (scale/forecast-outputs.ts, which does not depend on how the objects are laid out): the
 * same forecasts, or the bench fails.
 * Prints each job's wall time (from its first to its last log line) and the ratios; CSV in
 * bench/results/pipeline-m4.csv.
 */
import { Command } from 'commander'
import { appendFileSync, cpSync, existsSync, mkdirSync, rmSync, writeFileSync } from 'node:fs'
import { join, resolve } from 'node:path'
import { tempDir } from '../tests/helpers/paths.js'
import { m4HourlyCsv, writeM4Lake } from './scale/bronze-lakes.js'
import { machineNote, runGras } from './scale/run-gras.js'
import { firstDifference, forecastOutputs, type ForecastOutputs } from './scale/forecast-outputs.js'

const options = new Command('bench:pipeline-m4')
  .option('--train <csv>', 'M4 Hourly train CSV', m4HourlyCsv())
  .option('--limit <n>', 'first n series only (a quick check of the bench itself)', (v) => Number(v))
  .option('--baseline <repo>', 'a built checkout to alternate with (its dist/jobs/cli.js and config/)')
  .option('--rounds <n>', 'runs of each build', (v) => Number(v), 1)
  .option('--out <dir>', 'CSV folder', 'bench/results')
  .parse()
  .opts<{ train: string; limit?: number; baseline?: string; rounds: number; out: string }>()

const work = tempDir('bench-pipeline-m4')
const endMs = Date.UTC(2024, 1, 1)
const bronze = join(work, 'bronze-lake')
const written = await writeM4Lake(options.train, bronze, endMs, { limit: options.limit })
console.log(`lake: ${written.metrics} series, ${written.files} files, ${written.events} events`)

const builds = [{ label: 'this build', cli: undefined as string | undefined, config: undefined as string | undefined }]
if (options.baseline) {
  const root = resolve(options.baseline)
  builds.unshift({ label: 'baseline', cli: join(root, 'dist/jobs/cli.js'), config: join(root, 'config') })
}
const jobs = ['features', 'train-neural', 'train', 'infer'] as const
type Timing = Record<(typeof jobs)[number] | 'wall', number>
const timings = new Map<string, Timing[]>(builds.map((b) => [b.label, []]))
let firstOutputs: ForecastOutputs | undefined
const rows: string[] = []

for (let round = 0; round < options.rounds; round++) {
  for (const build of builds) {
    const lake = join(work, 'lake')
    rmSync(lake, { recursive: true, force: true })
    rmSync(`${lake}.dynamodb`, { recursive: true, force: true })
    cpSync(join(bronze, 'bronze'), join(lake, 'bronze'), { recursive: true })
    const run = runGras(['--lake', lake, '--dynamodb', 'embedded', '--log-format', 'json', 'pipeline', '--as-of', new Date(endMs).toISOString(), '--run-id', 'bench'], { cwd: work, cli: build.cli, config: build.config })
    if (run.code !== 0) throw new Error(`${build.label}: exit ${run.code}: ${run.stderr.slice(-2000)}`)
    const timing = { wall: run.seconds, ...jobTimes(run.stdout) }
    timings.get(build.label)!.push(timing)
    const note = machineNote()
    console.log(`${build.label}, round ${round + 1}: ${jobs.map((j) => `${j} ${timing[j].toFixed(1)} s`).join(', ')}; wall ${run.seconds.toFixed(1)} s, peak RSS ${run.peakRssMb.toFixed(0)} MB (${note})`)
    rows.push([build.label, round + 1, ...jobs.map((j) => timing[j].toFixed(2)), run.seconds.toFixed(2), run.peakRssMb.toFixed(0), note].join(','))
    const outputs = await forecastOutputs(lake)
    if (!firstOutputs) firstOutputs = outputs
    const difference = firstDifference(firstOutputs, outputs)
    if (difference) throw new Error(`${build.label}, round ${round + 1}: ${difference}, against the first run`)
  }
}
if (options.baseline) {
  const mean = (label: string, key: keyof Timing) => timings.get(label)!.reduce((a, t) => a + t[key], 0) / options.rounds
  const ratios = (['wall', ...jobs] as const).map((key) => `${key} ${(mean('baseline', key) / mean('this build', key)).toFixed(2)}x`)
  console.log(`baseline / this build (mean of ${options.rounds} alternating rounds): ${ratios.join(', ')}; the same forecasts and networks`)
}
mkdirSync(options.out, { recursive: true })
const csv = join(options.out, 'pipeline-m4.csv')
if (!existsSync(csv)) writeFileSync(csv, `build,round,${jobs.map((j) => `${j}_s`).join(',')},wall_s,peak_rss_mb,note\n`)
appendFileSync(csv, rows.join('\n') + '\n')
console.log(`written ${csv}; lakes in ${work}`)

/** Seconds from each job's first log line to its last (the next job starts at once). */
function jobTimes(stdout: string): Record<(typeof jobs)[number], number> {
  const spans = new Map<string, [number, number]>()
  for (const line of stdout.split('\n')) {
    if (!line.startsWith('{')) continue
    const entry = JSON.parse(line) as { job?: string; time: string }
    if (!entry.job) continue
    const ms = Date.parse(entry.time)
    const span = spans.get(entry.job)
    spans.set(entry.job, span ? [span[0], ms] : [ms, ms])
  }
  return Object.fromEntries(jobs.map((j) => [j, spans.has(j) ? (spans.get(j)![1] - spans.get(j)![0]) / 1000 : Number.NaN])) as Record<(typeof jobs)[number], number>
}
