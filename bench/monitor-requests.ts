/**
 * Requests of the hourly monitor (node dist/bench/monitor-requests.js [series] [seriesPerGroup]):
 * a local lake of one hourly metric `P` with a dimension `k` and `series` series (default 200, in
 * groups of 50), with a week of served forecasts (features and infer as of every 6 hours, one
 * train before them), then `monitor` run as the refresh runs it: as of 00:00 (the day's first),
 * 01:00 and 02:00 of the same day, and 00:00 of the next day (a new window: one more day to score). Prints per run the object-store requests (bench/counted-store.ts;
 * a LIST is one call here, one request per 1,000 keys on S3) and DynamoDB's requests, per series,
 * and appends CSV to bench/results/monitor-requests.csv.
 */
import { appendFileSync, copyFileSync, existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { bronzeFileKey } from '../jobs/core/lake-layout.js'
import { encodeParquet } from '../jobs/io/parquet-write.js'
import { LocalObjectStore } from '../jobs/io/local-store.js'
import type { ObjectStore } from '../jobs/io/object-store.js'
import { loadConfig } from '../jobs/runtime/config-load.js'
import { openJobContext, type JobContext } from '../jobs/runtime/job-context.js'
import { createLogger } from '../jobs/runtime/logger.js'
import type { JobReport } from '../jobs/runtime/metric-outcome.js'
import { runFeatures } from '../jobs/features/run.js'
import { runTrain } from '../jobs/train/run.js'
import { runInfer } from '../jobs/infer/run.js'
import { runMonitor } from '../jobs/monitor/run.js'
import { counted, type RequestKind } from './counted-store.js'

const seriesCount = Number(process.argv[2] ?? 200)
const seriesPerGroup = Number(process.argv[3] ?? 50)
const days = 28
const hourMs = 3_600_000
const dayMs = 24 * hourMs
const endMs = Date.UTC(2024, 1, 1)
const out = 'bench/results'

async function writeBronze(lake: ObjectStore): Promise<void> {
  const ids = Array.from({ length: seriesCount }, (_, i) => `s${String(i).padStart(5, '0')}`)
  for (let d = days; d >= -1; d--) {
    const dayStart = endMs - d * dayMs
    const ts: number[] = []
    const values: number[] = []
    const k: string[] = []
    for (const [s, id] of ids.entries()) {
      for (let h = 0; h < (d === -1 ? 3 : 24); h++) {
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

function check(job: string, report: JobReport): void {
  const failed = report.outcomes.filter((o) => !o.ok)
  if (failed.length > 0) throw new Error(`${job}: ${failed.length} failed: ${String((failed[0] as { error: unknown }).error)}`)
}

const root = mkdtempSync(join(tmpdir(), 'gras-monitor-requests-'))
try {
  const lakeDir = join(root, 'lake')
  await writeBronze(new LocalObjectStore(lakeDir))
  const configDir = join(root, 'config')
  mkdirSync(configDir)
  for (const name of readdirSync('config')) copyFileSync(join('config', name), join(configDir, name))
  writeFileSync(join(configDir, 'zz-bench.yaml'), `lake: ${lakeDir}\nmetrics:\n  P:\n    dimensions: [k]\ntrain:\n  candidates: [snaive]\n  backtestOrigins: 2\n  seriesPerGroup: ${seriesPerGroup}\n`)
  const config = loadConfig(configDir)
  const logger = createLogger({ level: 'error' })
  const base = await openJobContext({ config, logger, runId: 'setup', asOfMs: endMs, env: {}, workers: 1 })
  const at = (runId: string, asOfMs: number): JobContext => ({ ...base, runId, asOfMs })
  let commands = new Map<string, number>()
  base.dynamo.middlewareStack.add(
    (next, info) => async (args) => {
      const name = String(info.commandName).replace(/Command$/, '')
      commands.set(name, (commands.get(name) ?? 0) + 1)
      return next(args)
    },
    { step: 'initialize', name: 'countBenchRequests' },
  )
  const rows: string[] = []
  try {
    // The forecasts that served the last week: every 6 hours, as a refresh would.
    const first = endMs - 10 * dayMs
    check('features', await runFeatures(at('f-train', first)))
    check('train', await runTrain(at('train', first)))
    for (let asOf = first; asOf < endMs; asOf += 6 * hourMs) {
      const id = new Date(asOf).toISOString().slice(0, 13).replace(/[-T]/g, '')
      check('features', await runFeatures(at(`f-${id}`, asOf)))
      check('infer', await runInfer(at(`i-${id}`, asOf)))
    }
    // The refresh of 00:00, 01:00 and 02:00 of one day, then the next day's first.
    for (const hour of [0, 1, 2, 24]) {
      if (hour === 0 || hour === 24) check('features', await runFeatures(at(`f-${hour}`, endMs + (hour + 2) * hourMs)))
      const counts: Record<RequestKind, number> = { PUT: 0, LIST: 0, GET: 0 }
      commands = new Map()
      const started = Date.now()
      check('monitor', await runMonitor({ ...at(`monitor-${hour}`, endMs + hour * hourMs), lake: counted(base.lake, counts) }))
      const per = (n: number) => (n / seriesCount).toFixed(3)
      console.log(`monitor at ${hour === 24 ? 'next day 00' : `day 0 ${String(hour).padStart(2, '0')}`}:00  PUT ${String(counts.PUT).padStart(5)} (${per(counts.PUT)}/series)  LIST ${String(counts.LIST).padStart(5)} (${per(counts.LIST)}/series)  GET ${String(counts.GET).padStart(5)} (${per(counts.GET)}/series)  ${Date.now() - started} ms`)
      console.log(`        DynamoDB per series: ${[...commands].map(([name, n]) => `${name} ${per(n)}`).join(', ')}`)
      rows.push([new Date().toISOString(), hour, seriesCount, seriesPerGroup, counts.PUT, counts.LIST, counts.GET, commands.get('PutItem') ?? 0, commands.get('GetItem') ?? 0].join(','))
    }
  } finally {
    await base.close()
  }
  mkdirSync(out, { recursive: true })
  const csv = join(out, 'monitor-requests.csv')
  if (!existsSync(csv)) writeFileSync(csv, 'at,hour,series,series_per_group,put,list,get,dynamodb_put,dynamodb_get\n')
  appendFileSync(csv, rows.join('\n') + '\n')
} finally {
  rmSync(root, { recursive: true, force: true })
}
