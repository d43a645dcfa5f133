/**
 * Reads the parts of a metric's report that `gras backtest` and `gras accuracy` print too: the
 * approved version's backtest report, the accuracy table's days and drift flag, the newest stored
 * forecast. Through the io/ adapters handed in.
 */
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb'
import { predictionsCopyOfKey, predictionsPrefixForMetric } from '../core/lake-layout.js'
import { metricOfSeries } from '../core/series-id.js'
import { readDayAccuracy, readDrift } from '../io/accuracy-table.js'
import { readBacktestReport } from '../io/model-artifacts.js'
import type { ModelRegistry } from '../io/model-registry.js'
import type { ObjectInfo, ObjectStore } from '../io/object-store.js'
import { readRows } from '../io/parquet-read.js'
import { InputMissingError } from '../core/errors.js'
import type { ReportAccuracyDay, ReportBacktest, ReportDrift, ReportForecast, ReportModel } from './report-data.js'

export async function readApprovedBacktest(lake: ObjectStore, registry: ModelRegistry, metricId: string): Promise<{ backtest: ReportBacktest; model?: ReportModel }> {
  const approved = await registry.getApproved(metricId)
  if (!approved) throw new InputMissingError(`backtest: metric ${metricId} has no approved version in the registry (run gras train)`)
  const record = await registry.getVersion(metricId, approved.version)
  const backtest: ReportBacktest = { version: approved.version, ...(await readBacktestReport(lake, { metricId, version: approved.version, artifactKey: record?.artifactKey })) }
  const model = record && { version: record.version, model: record.model, decision: record.decision, reason: record.reason, backtestMase: record.backtestMase }
  return { backtest, model }
}

/** The accuracy table's days of a metric in [fromDate, toDate] (YYYY-MM-DD), oldest first, and its drift flag. */
export async function readAccuracy(client: DynamoDBClient, table: string, metricId: string, fromDate = '0000', toDate = '9999'): Promise<{ days: ReportAccuracyDay[]; drift?: ReportDrift }> {
  const days = await readDayAccuracy(client, table, metricId, fromDate, toDate)
  const drift = await readDrift(client, table, metricId)
  return { days, drift }
}

/**
 * The series' stored forecast with the newest data cutoff: of the runs in the newest date folder
 * that has one of the series, the latest generated. The copies are its metric's (one per group and
 * run, rows by `series_id`); a series with dimensions that none holds is looked for in its own
 * copies, as infer wrote them per series before groups.
 */
export async function readNewestForecast(lake: ObjectStore, seriesId: string): Promise<ReportForecast | undefined> {
  const metricId = metricOfSeries(seriesId)
  return (await newestIn(lake, metricId, seriesId)) ?? (metricId === seriesId ? undefined : newestIn(lake, seriesId, seriesId))
}

async function newestIn(lake: ObjectStore, prefixId: string, seriesId: string): Promise<ReportForecast | undefined> {
  const dates = (await lake.listPrefixes(predictionsPrefixForMetric(prefixId))).filter((p) => /date=\d{8}\/$/.test(p)).sort()
  for (const folder of dates.reverse()) {
    let best: { generatedAtMs: number; forecast: ReportForecast } | undefined
    for (const info of await lake.list(folder)) {
      if (!predictionsCopyOfKey(info.key)) continue
      const rows = (await copyRows(lake, info)).filter((r) => (r.series_id ?? prefixId) === seriesId)
      if (rows.length === 0) continue
      const generatedAtMs = Number(rows[0].generated_at)
      if (best && best.generatedAtMs >= generatedAtMs) continue
      const column = (name: string) => rows.map((r) => Number(r[name]))
      best = {
        generatedAtMs,
        forecast: { runId: String(rows[0].run_id), modelVersion: String(rows[0].model_version), intervalLevel: Number(rows[0].interval_level), timestampsMs: column('timestamp'), value: column('value'), lower: column('lower'), upper: column('upper') },
      }
    }
    if (best) return best.forecast
  }
  return undefined
}

/** Copies read lately: a report asks each copy once per series of its group. */
const recentCopies = new Map<string, Promise<Record<string, unknown>[]>>()

function copyRows(lake: ObjectStore, info: ObjectInfo): Promise<Record<string, unknown>[]> {
  const cacheKey = `${lake.uri}\n${info.key}\n${info.etag ?? info.lastModifiedMs ?? ''}`
  let rows = recentCopies.get(cacheKey)
  if (!rows) {
    // Every column: a copy written before `series_id` existed has the others only.
    rows = lake.openBuffer(info).then((buffer) => readRows(buffer, info.key))
    recentCopies.set(cacheKey, rows)
    rows.catch(() => recentCopies.delete(cacheKey))
    while (recentCopies.size > 8) recentCopies.delete(recentCopies.keys().next().value!)
  }
  return rows
}
