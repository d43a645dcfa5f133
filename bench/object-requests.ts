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
import { appendFileSync, existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { LocalObjectStore } from '../jobs/io/local-store.js'
import { benchConfig, countDynamoCommands, writeDimsBronze } from './request-lake.js'
import { counted, type RequestKind as Kind } from './counted-store.js'
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

const root = mkdtempSync(join(tmpdir(), 'gras-object-requests-'))
try {
  const lakeDir = join(root, 'lake')
  const dayStarts = Array.from({ length: days }, (_, i) => endMs - (days - i) * dayMs)
  await writeDimsBronze(new LocalObjectStore(lakeDir), seriesCount, dayStarts, () => 24, endMs)
  const config = benchConfig(root, lakeDir, seriesPerGroup === undefined ? '' : `  seriesPerGroup: ${seriesPerGroup}\n`)
  const logger = createLogger({ level: 'error' })
  const context = await openJobContext({ config, logger, runId: 'bench-1', asOfMs: endMs, env: {}, workers: 1 })
  const rows: string[] = []
  // DynamoDB requests by command, for the same passes (the leases are per unit too).
  const dynamoCounts = countDynamoCommands(context.dynamo)
  try {
    // A first run (no model approved yet), then the next day's: its train re-scores the approved models, its infer reads them.
    const passes = [['bench-1', 'features', runFeatures], ['bench-1', 'train', runTrain], ['bench-1', 'infer', runInfer], ['bench-2', 'train', runTrain], ['bench-2', 'infer', runInfer]] as const
    for (const [runId, job, run] of passes) {
      const counts: Record<Kind, number> = { PUT: 0, LIST: 0, GET: 0 }
      dynamoCounts.take()
      const started = Date.now()
      const report = await run({ ...context, runId, lake: counted(context.lake, counts) })
      const failed = report.outcomes.filter((o) => !o.ok)
      if (failed.length > 0) throw new Error(`${job}: ${failed.length} failed: ${String((failed[0] as { error: unknown }).error)}`)
      const per = (n: number) => (n / seriesCount).toFixed(3)
      const commands = dynamoCounts.take()
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
