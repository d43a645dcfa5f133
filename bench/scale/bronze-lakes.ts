/**
 * Bronze lakes for the scale benchmarks, written by DuckDB (the writer a data team would use), so
 * `gras` reads files it did not write itself:
 * - many small files: the M4 Hourly series, one metric each, one Parquet file per UTC day
 *   (`COPY ... PARTITION_BY (metric, year, month, day)`), every series ending at `endMs`;
 * - few large files: a handful of metrics with one event a second, one file per day;
 * - series with dimensions: one metric whose daily file holds many series (`region`, `store`).
 */
import { existsSync, mkdirSync, rmSync, writeFileSync } from 'node:fs'
import { join, resolve } from 'node:path'
import { repoRoot } from '../../tests/helpers/paths.js'
import { DuckDBInstance } from '@duckdb/node-api'
import { readM4Csv } from '../m4/read-m4.js'

/** The M4 Hourly training CSV: `shared/datasets/m4` beside the repository, or beside its worktree folder. */
export function m4HourlyCsv(): string {
  const candidates = ['../shared', '../../shared'].map((up) => resolve(repoRoot, up, 'datasets/m4/Hourly-train.csv'))
  return candidates.find((path) => existsSync(path)) ?? candidates[0]
}

export const hourMs = 3_600_000
export const dayMs = 86_400_000

export interface BronzeLake {
  lake: string
  /** Files and events written. */
  files: number
  events: number
  metrics: number
  /** Where the series end: the `--as-of` of a run that reads them all. */
  endMs: number
}

/** Copies the events in `csv` (metric,ts_ms,value) into `<lake>/bronze/gras` as daily Hive partitions. */
async function copyToBronze(csv: string, lake: string): Promise<{ files: number; events: number }> {
  const bronze = join(lake, 'bronze/gras')
  mkdirSync(bronze, { recursive: true })
  const instance = await DuckDBInstance.create(':memory:')
  const db = await instance.connect()
  try {
    await db.run(`set timezone = 'UTC'`)
    await db.run(`create table events as select metric, make_timestamp(ts_ms * 1000) as ts, value from read_csv('${csv}', header = true, columns = {'metric': 'VARCHAR', 'ts_ms': 'BIGINT', 'value': 'DOUBLE'})`)
    await db.run(
      `copy (select ts, value, metric, year(ts) as year, month(ts) as month, day(ts) as day from events) to '${bronze}' (format parquet, partition_by (metric, year, month, day), overwrite_or_ignore)`,
    )
    const counts = await db.runAndReadAll(`select count(*)::bigint as events, count(distinct (metric, year(ts), month(ts), day(ts)))::bigint as files from events`)
    const [events, files] = counts.getRows()[0].map(Number)
    return { files, events }
  } finally {
    db.closeSync()
    instance.closeSync()
  }
}

/**
 * The M4 Hourly lake: each series' values on the hours before `endMs` (its last value at
 * `endMs - 1 h`), `copies` times (metric ids `m4_<id>` for the first copy, `m4_<id>_c<k>` after).
 */
export async function writeM4Lake(trainCsv: string, lake: string, endMs: number, options: { limit?: number; copies?: number } = {}): Promise<BronzeLake> {
  rmSync(lake, { recursive: true, force: true })
  mkdirSync(lake, { recursive: true })
  const series = readM4Csv(trainCsv, options.limit ?? Infinity)
  const csv = join(lake, '..', `${lake.split('/').pop()}-events.csv`)
  const lines = ['metric,ts_ms,value']
  for (let copy = 0; copy < (options.copies ?? 1); copy++) {
    for (const s of series) {
      const metric = copy === 0 ? `m4_${s.id}` : `m4_${s.id}_c${copy}`
      const start = endMs - s.values.length * hourMs
      for (let i = 0; i < s.values.length; i++) lines.push(`${metric},${start + i * hourMs},${s.values[i]}`)
    }
  }
  writeFileSync(csv, lines.join('\n') + '\n')
  const written = await copyToBronze(csv, lake)
  rmSync(csv, { force: true })
  return { lake, ...written, metrics: series.length * (options.copies ?? 1), endMs }
}

/** `metrics` metrics with an event every `everySeconds` for `days` days before `endMs`: few files, many rows each. */
export async function writeLargeFilesLake(lake: string, endMs: number, options: { metrics: number; days: number; everySeconds: number }): Promise<BronzeLake> {
  return inFreshLake(lake, async (db) => {
    const perMetric = Math.floor((options.days * 86_400) / options.everySeconds)
    const startUs = (endMs - options.days * dayMs) * 1000
    await db.run(
      `create table events as select 'large_' || m::varchar as metric, make_timestamp(${startUs} + i * ${options.everySeconds * 1_000_000}) as ts, ` +
        `(100 + 10 * sin(i / 3600.0) + m + (i % 7))::double as value from range(0, ${options.metrics}) a(m), range(0, ${perMetric}) b(i)`,
    )
    await db.run(
      `copy (select ts, value, metric, year(ts) as year, month(ts) as month, day(ts) as day from events) to '${join(lake, 'bronze/gras')}' (format parquet, partition_by (metric, year, month, day), overwrite_or_ignore)`,
    )
    const counts = await db.runAndReadAll(`select count(*)::bigint, count(distinct (metric, year(ts), month(ts), day(ts)))::bigint from events`)
    const [events, files] = counts.getRows()[0].map(Number)
    return { lake, files, events, metrics: options.metrics, endMs }
  })
}

/** Runs `body` on a DuckDB connection (UTC) after emptying `lake` and creating its bronze folder. */
async function inFreshLake<T>(lake: string, body: (db: Awaited<ReturnType<DuckDBInstance['connect']>>) => Promise<T>): Promise<T> {
  rmSync(lake, { recursive: true, force: true })
  mkdirSync(join(lake, 'bronze/gras'), { recursive: true })
  const instance = await DuckDBInstance.create(':memory:')
  const db = await instance.connect()
  try {
    await db.run(`set timezone = 'UTC'`)
    return await body(db)
  } finally {
    db.closeSync()
    instance.closeSync()
  }
}

/** The dimensions of `writeDimensionsLake`'s metric, as its config declares them. */
export const benchDimensions = ['region', 'store'] as const
export const benchDimensionsMetric = 'dims'

/**
 * One metric with `series` series (`region` x `store`) and an event every `everyMinutes` for
 * `days` days before `endMs`, all series of a day in one file: the layout of a lake whose writer
 * puts many series in one file with key columns.
 */
export async function writeDimensionsLake(lake: string, endMs: number, options: { series: number; days: number; everyMinutes: number }): Promise<BronzeLake> {
  return inFreshLake(lake, async (db) => {
    const perSeries = Math.floor((options.days * 1440) / options.everyMinutes)
    const startUs = (endMs - options.days * dayMs) * 1000
    await db.run(
      `create table events as select '${benchDimensionsMetric}' as metric, 'r' || (s % 20)::varchar as region, 's' || (s // 20)::varchar as store, ` +
        `make_timestamp(${startUs} + i * ${options.everyMinutes * 60_000_000}) as ts, (50 + 10 * sin(i / 24.0 + s) + (s % 13) + (i % 5))::double as value ` +
        `from range(0, ${options.series}) a(s), range(0, ${perSeries}) b(i)`,
    )
    await db.run(
      `copy (select ts, value, region, store, metric, year(ts) as year, month(ts) as month, day(ts) as day from events order by ts) to '${join(lake, 'bronze/gras')}' (format parquet, partition_by (metric, year, month, day), overwrite_or_ignore)`,
    )
    const counts = await db.runAndReadAll(`select count(*)::bigint, count(distinct (year(ts), month(ts), day(ts)))::bigint from events`)
    const [events, files] = counts.getRows()[0].map(Number)
    return { lake, files, events, metrics: options.series, endMs }
  })
}

/** DuckDB, one thread, the hourly sum per metric (and per `keys` column) over the lake's bronze files; returns seconds and rows read. */
export async function duckdbHourly(lake: string, threads = 1, keys: readonly string[] = []): Promise<{ seconds: number; events: number; hours: number }> {
  const instance = await DuckDBInstance.create(':memory:')
  const db = await instance.connect()
  try {
    await db.run(`set threads = ${threads}`)
    await db.run(`set timezone = 'UTC'`)
    const started = performance.now()
    const reader = await db.runAndReadAll(
      `select count(*)::bigint as hours, sum(n)::bigint as events from (select metric, ${keys.map((k) => `${k}, `).join('')}time_bucket(interval 1 hour, ts) as hour, sum(value) as value, count(*) as n ` +
        `from read_parquet('${join(lake, 'bronze/gras')}/*/*/*/*/*.parquet', hive_partitioning = true) group by all)`,
    )
    const seconds = (performance.now() - started) / 1000
    const [hours, events] = reader.getRows()[0].map(Number)
    return { seconds, events, hours }
  } finally {
    db.closeSync()
    instance.closeSync()
  }
}
