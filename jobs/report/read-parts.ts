/**
 * Reads the parts of a metric's report that `gras backtest` and `gras accuracy` print too: the
 * approved version's backtest report, the accuracy table's days and drift flag, the newest stored
 * forecast. Through the io/ adapters handed in.
 */
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb'
import { predictionsPrefixForMetric } from '../core/lake-layout.js'
import { readDayAccuracy, readDrift } from '../io/accuracy-table.js'
import { readBacktestReport } from '../io/model-artifacts.js'
import type { ModelRegistry } from '../io/model-registry.js'
import type { ObjectStore } from '../io/object-store.js'
import { readRows } from '../io/parquet-read.js'
import { InputMissingError } from '../core/errors.js'
import type { ReportAccuracyDay, ReportBacktest, ReportDrift, ReportForecast, ReportModel } from './report-data.js'

export async function readApprovedBacktest(lake: ObjectStore, registry: ModelRegistry, metricId: string): Promise<{ backtest: ReportBacktest; model?: ReportModel }> {
  const approved = await registry.getApproved(metricId)
  if (!approved) throw new InputMissingError(`backtest: metric ${metricId} has no approved version in the registry (run gras train)`)
  const record = await registry.getVersion(metricId, approved.version)
  const backtest: ReportBacktest = { version: approved.version, ...(await readBacktestReport(lake, metricId, approved.version)) }
  const model = record && { version: record.version, model: record.model, decision: record.decision, reason: record.reason, backtestMase: record.backtestMase }
  return { backtest, model }
}

/** The accuracy table's days of a metric in [fromDate, toDate] (YYYY-MM-DD), oldest first, and its drift flag. */
export async function readAccuracy(client: DynamoDBClient, table: string, metricId: string, fromDate = '0000', toDate = '9999'): Promise<{ days: ReportAccuracyDay[]; drift?: ReportDrift }> {
  const days = await readDayAccuracy(client, table, metricId, fromDate, toDate)
  const drift = await readDrift(client, table, metricId)
  return { days, drift }
}

/** The stored forecast with the newest data cutoff: of the runs in the newest date folder, the latest generated. */
export async function readNewestForecast(lake: ObjectStore, metricId: string): Promise<ReportForecast | undefined> {
  const dates = (await lake.listPrefixes(predictionsPrefixForMetric(metricId))).filter((p) => /date=\d{8}\/$/.test(p)).sort()
  const newest = dates[dates.length - 1]
  if (!newest) return undefined
  let best: { generatedAtMs: number; forecast: ReportForecast } | undefined
  for (const info of await lake.list(newest)) {
    if (!info.key.endsWith('.parquet')) continue
    const rows = await readRows(await lake.openBuffer(info), info.key, ['timestamp', 'value', 'lower', 'upper', 'interval_level', 'model_version', 'run_id', 'generated_at'])
    if (rows.length === 0) continue
    const generatedAtMs = Number(rows[0].generated_at)
    if (best && best.generatedAtMs >= generatedAtMs) continue
    const column = (name: string) => rows.map((r) => Number(r[name]))
    best = {
      generatedAtMs,
      forecast: { runId: String(rows[0].run_id), modelVersion: String(rows[0].model_version), intervalLevel: Number(rows[0].interval_level), timestampsMs: column('timestamp'), value: column('value'), lower: column('lower'), upper: column('upper') },
    }
  }
  return best?.forecast
}
