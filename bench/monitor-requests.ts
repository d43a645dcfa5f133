/**
 * Requests of the hourly monitor (node dist/bench/monitor-requests.js [series] [seriesPerGroup]):
 * a local lake of one hourly metric `P` with a dimension `k` and `series` series (default 200, in
 * groups of 50), with a week of served forecasts (features and infer as of every 6 hours, one
 * train before them), then `monitor` run as the refresh runs it: as of 00:00 (the day's first),
 * 01:00 and 02:00 of the same day, and 00:00 of the next day (a new window: one more day to score). Prints per run the object-store requests (bench/counted-store.ts;
 * a LIST is one call here, one request per 1,000 keys on S3) and DynamoDB's requests, per series,
 * and appends CSV to bench/results/monitor-requests.csv.
 */
import { appendFileSync, existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { LocalObjectStore } from '../jobs/io/local-store.js'
import { benchConfig, countDynamoCommands, writeDimsBronze } from './request-lake.js'
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

function check(job: string, report: JobReport): void {
  const failed = report.outcomes.filter((o) => !o.ok)
  if (failed.length > 0) throw new Error(`${job}: ${failed.length} failed: ${String((failed[0] as { error: unknown }).error)}`)
}

const root = mkdtempSync(join(tmpdir(), 'gras-monitor-requests-'))
try {
  const lakeDir = join(root, 'lake')
  // Full days up to endMs, and the first 3 hours of the day after.
  const dayStarts = Array.from({ length: days + 2 }, (_, i) => endMs - (days - i) * dayMs)
  await writeDimsBronze(new LocalObjectStore(lakeDir), seriesCount, dayStarts, (day) => (day > endMs ? 3 : 24), endMs)
  const config = benchConfig(root, lakeDir, `  seriesPerGroup: ${seriesPerGroup}\n`)
  const logger = createLogger({ level: 'error' })
  const base = await openJobContext({ config, logger, runId: 'setup', asOfMs: endMs, env: {}, workers: 1 })
  const at = (runId: string, asOfMs: number): JobContext => ({ ...base, runId, asOfMs })
  const dynamoCounts = countDynamoCommands(base.dynamo)
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
      dynamoCounts.take()
      const started = Date.now()
      check('monitor', await runMonitor({ ...at(`monitor-${hour}`, endMs + hour * hourMs), lake: counted(base.lake, counts) }))
      const per = (n: number) => (n / seriesCount).toFixed(3)
      const commands = dynamoCounts.take()
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
