/**
 * `gras features` against DuckDB with one thread over the same bronze (node dist/bench/features-vs-duckdb.js):
 * (a) many small files: M4 Hourly written by DuckDB, one series per metric, one file per day;
 * (b) few large files: a few metrics, one event a second, one file per day;
 * (c) series with dimensions: one metric of 10,000 series (`region`, `store` columns), an event
 *     an hour each, all series of a day in one file; DuckDB groups by the key columns too.
 * In each case both read the same files and compute the same hourly aggregation; the figure is events per second and gras / DuckDB, both
 * measured in this run, one after the other. gras runs as the CLI does (a child process, its start
 * included); DuckDB runs in this process, its query only. CSV in bench/results/features-vs-duckdb.csv.
 */
import { Command } from 'commander'
import { availableParallelism } from 'node:os'
import { appendFileSync, copyFileSync, existsSync, mkdirSync, readdirSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { configDir, tempDir } from '../tests/helpers/paths.js'
import { benchDimensions, benchDimensionsMetric, duckdbHourly, m4HourlyCsv, writeDimensionsLake, writeLargeFilesLake, writeM4Lake, type BronzeLake } from './scale/bronze-lakes.js'
import { machineNote, runGras } from './scale/run-gras.js'

const options = new Command('bench:features')
  .option('--train <csv>', 'M4 Hourly train CSV (default: shared/datasets/m4 beside the repository)', m4HourlyCsv())
  .option('--limit <n>', 'first n M4 series', (v) => Number(v), Infinity)
  .option('--workers <n>', 'gras --workers (default: not passed, so the CLI default)', (v) => Number(v))
  .option('--large-metrics <n>', 'metrics of the few-large-files lake', (v) => Number(v), 4)
  .option('--dimension-series <n>', 'series of the series-with-dimensions lake (one metric, one file per day)', (v) => Number(v), 10_000)
  .option('--skip-large', 'only the many-small-files case')
  .option('--out <dir>', 'CSV folder', 'bench/results')
  .parse()
  .opts<{ train: string; limit: number; workers?: number; largeMetrics: number; dimensionSeries: number; skipLarge?: boolean; out: string }>()

const endMs = Date.UTC(2024, 1, 1)
const work = tempDir('bench-features')
const rows: string[] = []

async function compare(name: string, lake: BronzeLake, dimensions: { keys: readonly string[]; config?: string } = { keys: [] }): Promise<void> {
  const gras = runGras(['features', '--lake', lake.lake, '--dynamodb', 'embedded', '--as-of', new Date(lake.endMs).toISOString(), '--log-level', 'warn', ...(options.workers === undefined ? [] : ['--workers', String(options.workers)])], { cwd: work, config: dimensions.config })
  if (gras.code !== 0) throw new Error(`gras features exited ${gras.code}: ${gras.stderr.slice(-2000)}`)
  const duck = await duckdbHourly(lake.lake, 1, dimensions.keys)
  if (duck.events !== lake.events) throw new Error(`DuckDB read ${duck.events} events, the lake holds ${lake.events}`)
  const grasRate = lake.events / gras.seconds
  const duckRate = lake.events / duck.seconds
  const ratio = grasRate / duckRate
  const note = machineNote()
  console.log(
    `${name}: ${lake.metrics} metrics, ${lake.files} files, ${lake.events} events | gras features (--workers ${options.workers ?? 'default'}) ${gras.seconds.toFixed(2)} s, ` +
      `${Math.round(grasRate)} events/s, peak RSS ${gras.peakRssMb.toFixed(0)} MB | DuckDB 1 thread ${duck.seconds.toFixed(2)} s, ${Math.round(duckRate)} events/s | ratio ${ratio.toFixed(2)}x (${note})`,
  )
  rows.push([name, lake.metrics, lake.files, lake.events, options.workers ?? 'default', gras.seconds.toFixed(3), Math.round(grasRate), gras.peakRssMb.toFixed(0), duck.seconds.toFixed(3), Math.round(duckRate), ratio.toFixed(3), availableParallelism(), note].join(','))
}

await compare('many-small-files', await writeM4Lake(options.train, join(work, 'm4-lake'), endMs, { limit: options.limit }))
if (!options.skipLarge) {
  await compare('few-large-files', await writeLargeFilesLake(join(work, 'large-lake'), endMs, { metrics: options.largeMetrics, days: 42, everySeconds: 1 }))
  // The same few large files, holding many series with key columns: the metrics column counts series.
  const config = join(work, 'config')
  mkdirSync(config, { recursive: true })
  for (const name of readdirSync(configDir)) copyFileSync(join(configDir, name), join(config, name))
  writeFileSync(join(config, 'zz-bench.yaml'), `metrics:\n  ${benchDimensionsMetric}:\n    dimensions: [${benchDimensions.join(', ')}]\n`)
  await compare('series-with-dimensions', await writeDimensionsLake(join(work, 'dims-lake'), endMs, { series: options.dimensionSeries, days: 42, everyMinutes: 60 }), { keys: benchDimensions, config })
}

mkdirSync(options.out, { recursive: true })
const csv = join(options.out, 'features-vs-duckdb.csv')
if (!existsSync(csv)) writeFileSync(csv, 'case,metrics,files,events,gras_workers,gras_seconds,gras_events_per_s,gras_peak_rss_mb,duckdb_seconds,duckdb_events_per_s,ratio,cores,note\n')
appendFileSync(csv, rows.join('\n') + '\n')
console.log(`written ${csv}; lakes in ${work}`)
