/**
 * Object-store requests per series of `train` and `infer` (node dist/bench/object-requests.js
 * [series] [seriesPerGroup]): a local lake of one hourly metric `P` with a dimension `k` and
 * `series` series (default 200) in one bronze file per day for 21 days, run through features,
 * train and infer in this process with one worker (then train and infer again as the next run,
 * which re-score and read the approved models), the lake wrapped in a counter of the calls
 * each would make against S3: PUT (put, copy), LIST (list, listPrefixes, listLevel, exists) and
 * GET (get, and each ranged read of an opened object, as S3 serves them). Candidates: snaive
 * only, since the requests do not depend on the models. Without `seriesPerGroup` the config's own
 * (so the same file builds against a release without the setting). Prints the counts per job and
 * per series, and DynamoDB's requests per series by command, and appends CSV to bench/results/object-requests.csv.
 */
import { appendFileSync, copyFileSync, existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { bronzeFileKey } from '../jobs/core/lake-layout.js'
import { encodeParquet } from '../jobs/io/parquet-write.js'
import { LocalObjectStore } from '../jobs/io/local-store.js'
import type { ObjectStore } from '../jobs/io/object-store.js'
import { counted, type RequestKind as Kind } from './counted-store.js'
import { loadConfig } from '../jobs/runtime/config-load.js'
import { openJobContext } from '../jobs/runtime/job-context.js'
import { createLogger } from '../jobs/runtime/logger.js'
import { runFeatures } from '../jobs/features/run.js'
import { runTrain } from '../jobs/train/run.js'
import { runInfer } from '../jobs/infer/run.js'

const seriesCount = Number(process.argv[2] ?? 200)
const seriesPerGroup = process.argv[3] === undefined ? undefined : Number(process.argv[3])
const days = 21
const hourMs = 3_600_000
const dayMs = 24 * hourMs
const endMs = Date.UTC(2024, 1, 1)
const out = 'bench/results'

async function writeBronze(lake: ObjectStore): Promise<void> {
  const ids = Array.from({ length: seriesCount }, (_, i) => `s${String(i).padStart(5, '0')}`)
  for (let d = days; d >= 1; d--) {
    const dayStart = endMs - d * dayMs
    const ts: number[] = []
    const values: number[] = []
    const k: string[] = []
    for (const [s, id] of ids.entries()) {
      for (let h = 0; h < 24; h++) {
        ts.push(dayStart + h * hourMs)
        values.push(100 + s + 20 * Math.sin((2 * Math.PI * h) / 24 + s) + ((h * 7 + s * 13 + d) % 11))
        k.push(id)
      }
    }
    await lake.put(bronzeFileKey('P', dayStart, 0), encodeParquet([
      { name: 'ts', type: 'TIMESTAMP', data: ts },
      { name: 'value', type: 'DOUBLE', data: Float64Array.from(values) },
      { name: 'k', type: 'STRING', data: k },
    ]))
  }
}

const root = mkdtempSync(join(tmpdir(), 'gras-object-requests-'))
try {
  const lakeDir = join(root, 'lake')
  await writeBronze(new LocalObjectStore(lakeDir))
  const configDir = join(root, 'config')
  mkdirSync(configDir)
  for (const name of readdirSync('config')) copyFileSync(join('config', name), join(configDir, name))
  const group = seriesPerGroup === undefined ? '' : `  seriesPerGroup: ${seriesPerGroup}\n`
  writeFileSync(join(configDir, 'zz-bench.yaml'), `lake: ${lakeDir}\nmetrics:\n  P:\n    dimensions: [k]\ntrain:\n  candidates: [snaive]\n  backtestOrigins: 2\n${group}`)
  const config = loadConfig(configDir)
  const logger = createLogger({ level: 'error' })
  const context = await openJobContext({ config, logger, runId: 'bench-1', asOfMs: endMs, env: {}, workers: 1 })
  const rows: string[] = []
  // DynamoDB requests by command, for the same passes (the leases are per unit too).
  let commands = new Map<string, number>()
  context.dynamo.middlewareStack.add(
    (next, info) => async (args) => {
      const name = String(info.commandName).replace(/Command$/, '')
      commands.set(name, (commands.get(name) ?? 0) + 1)
      return next(args)
    },
    { step: 'initialize', name: 'countBenchRequests' },
  )
  try {
    // A first run (no model approved yet), then the next day's: its train re-scores the approved models, its infer reads them.
    const passes = [['bench-1', 'features', runFeatures], ['bench-1', 'train', runTrain], ['bench-1', 'infer', runInfer], ['bench-2', 'train', runTrain], ['bench-2', 'infer', runInfer]] as const
    for (const [runId, job, run] of passes) {
      const counts: Record<Kind, number> = { PUT: 0, LIST: 0, GET: 0 }
      commands = new Map()
      const started = Date.now()
      const report = await run({ ...context, runId, lake: counted(context.lake, counts) })
      const failed = report.outcomes.filter((o) => !o.ok)
      if (failed.length > 0) throw new Error(`${job}: ${failed.length} failed: ${String((failed[0] as { error: unknown }).error)}`)
      const per = (n: number) => (n / seriesCount).toFixed(3)
      console.log(`${runId} ${job.padEnd(8)} PUT ${String(counts.PUT).padStart(5)} (${per(counts.PUT)}/series)  LIST ${String(counts.LIST).padStart(5)} (${per(counts.LIST)}/series)  GET ${String(counts.GET).padStart(5)} (${per(counts.GET)}/series)  ${Date.now() - started} ms`)
      console.log(`        DynamoDB per series: ${[...commands].map(([name, n]) => `${name} ${per(n)}`).join(', ')}`)
      rows.push([new Date().toISOString(), runId, job, seriesCount, seriesPerGroup ?? 'config', counts.PUT, counts.LIST, counts.GET].join(','))
    }
  } finally {
    await context.close()
  }
  mkdirSync(out, { recursive: true })
  const csv = join(out, 'object-requests.csv')
  if (!existsSync(csv)) writeFileSync(csv, 'at,run,job,series,series_per_group,put,list,get\n')
  appendFileSync(csv, rows.join('\n') + '\n')
} finally {
  rmSync(root, { recursive: true, force: true })
}
