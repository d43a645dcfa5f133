/**
 * The hourly refresh of `gras features` with its day caches against a full read, over the M4
 * Hourly lake of bench/features-vs-duckdb.ts (node dist/bench/features-incremental.js): one
 * series per metric, one DuckDB file per metric and day, the last day half written. A first run
 * builds the caches; DuckDB then writes one new hour (a file per metric into the last day); the
 * refresh reads only those files, and `--full` over the same lake reads every file of the window.
 * Both run as the CLI does (a child process, its start included), one after the other in this run,
 * and must write the same silver. CSV in bench/results/features-incremental.csv. The M4 lake has
 * one file per metric and day, and a day of one file is read rather than cached (day-cache.ts), so
 * here only the last day, which gets the new hour's file, is cached: the case to show the saving,
 * hourly files (24 a day), is not built yet.
 */
import { Command } from 'commander'
import { createHash } from 'node:crypto'
import { appendFileSync, existsSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { DuckDBInstance } from '@duckdb/node-api'
import { tempDir } from '../tests/helpers/paths.js'
import { hourMs, m4HourlyCsv, writeM4Lake } from './scale/bronze-lakes.js'
import { machineNote, runGras, type GrasRun } from './scale/run-gras.js'

const options = new Command('bench:features-incremental')
  .option('--train <csv>', 'M4 Hourly train CSV (default: shared/datasets/m4 beside the repository)', m4HourlyCsv())
  .option('--limit <n>', 'first n M4 series', (v) => Number(v), Infinity)
  .option('--workers <n>', 'gras --workers (default: not passed, so the CLI default)', (v) => Number(v))
  .option('--out <dir>', 'CSV folder', 'bench/results')
  .parse()
  .opts<{ train: string; limit: number; workers?: number; out: string }>()

// Half a day into February: the new hour lands in a day the caches hold.
const endMs = Date.UTC(2024, 1, 1, 12)
const work = tempDir('bench-features-incremental')
const m4 = await writeM4Lake(options.train, join(work, 'm4-lake'), endMs, { limit: options.limit })

function features(asOfMs: number, extra: string[] = []): GrasRun & { bytesRead: number } {
  const run = runGras(['features', '--lake', m4.lake, '--dynamodb', 'embedded', '--as-of', new Date(asOfMs).toISOString(), '--log-format', 'json', ...(options.workers === undefined ? [] : ['--workers', String(options.workers)]), ...extra], { cwd: work })
  if (run.code !== 0) throw new Error(`gras features exited ${run.code}: ${run.stderr.slice(-2000)}`)
  const bytesRead = run.stdout
    .split('\n')
    .filter((line) => line.includes('"features written"'))
    .reduce((sum, line) => sum + (JSON.parse(line) as { bytesRead: number }).bytesRead, 0)
  return { ...run, bytesRead }
}

/** SHA-256 of every file under the lake's silver features, by path. */
function silverHashes(): Map<string, string> {
  const out = new Map<string, string>()
  const walk = (dir: string) => {
    for (const name of readdirSync(dir)) {
      const path = join(dir, name)
      if (statSync(path).isDirectory()) walk(path)
      else if (name.endsWith('.parquet')) out.set(path, createHash('sha256').update(readFileSync(path)).digest('hex'))
    }
  }
  walk(join(m4.lake, 'silver/gras/features'))
  return out
}

/** DuckDB writes the hour at `endMs`: each metric's last value again, one new file per metric in the last day. */
async function writeNewHour(): Promise<number> {
  const instance = await DuckDBInstance.create(':memory:')
  const db = await instance.connect()
  try {
    await db.run(`set timezone = 'UTC'`)
    const bronze = join(m4.lake, 'bronze/gras')
    await db.run(
      `copy (select make_timestamp(${endMs * 1000}) as ts, value, metric, 2024 as year, 2 as month, 1 as day from (select metric, arg_max(value, ts) as value from read_parquet('${bronze}/*/*/*/*/*.parquet', hive_partitioning = true) group by metric)) ` +
        `to '${bronze}' (format parquet, partition_by (metric, year, month, day), overwrite_or_ignore, filename_pattern 'hour12_{i}')`,
    )
    return m4.metrics
  } finally {
    db.closeSync()
    instance.closeSync()
  }
}

const first = features(endMs)
const added = await writeNewHour()
const refresh = features(endMs + hourMs)
const refreshed = silverHashes()
const full = features(endMs + hourMs, ['--full'])
const same = [...silverHashes()].every(([path, sha]) => refreshed.get(path) === sha)
if (!same) throw new Error('the refresh and the full read wrote different silver')
const ratio = full.seconds / refresh.seconds
const note = machineNote()
console.log(
  `many-small-files: ${m4.metrics} metrics, ${m4.files} files, ${m4.events} events | first run (caches built) ${first.seconds.toFixed(2)} s | ` +
    `refresh after ${added} new files ${refresh.seconds.toFixed(2)} s, ${refresh.bytesRead} bronze bytes | --full ${full.seconds.toFixed(2)} s, ${full.bytesRead} bronze bytes | ` +
    `full / refresh ${ratio.toFixed(2)}x, silver identical (${note})`,
)
mkdirSync(options.out, { recursive: true })
const csv = join(options.out, 'features-incremental.csv')
if (!existsSync(csv)) writeFileSync(csv, 'case,metrics,files,events,gras_workers,first_seconds,refresh_seconds,refresh_bytes_read,full_seconds,full_bytes_read,full_over_refresh,note\n')
appendFileSync(csv, [`many-small-files`, m4.metrics, m4.files, m4.events, options.workers ?? 'default', first.seconds.toFixed(3), refresh.seconds.toFixed(3), refresh.bytesRead, full.seconds.toFixed(3), full.bytesRead, ratio.toFixed(3), note].join(',') + '\n')
console.log(`written ${csv}; lake in ${work}`)
