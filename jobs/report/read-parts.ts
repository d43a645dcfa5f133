/**
 * Reads the parts of a metric's report that `gras backtest` and `gras accuracy` print too: the
 * approved version's backtest report, the accuracy table's days and drift flag, the newest stored
 * forecast. Through the io/ adapters handed in.
 */
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb'
import { backtestReportKey, predictionsPrefixForMetric } from '../core/lake-layout.js'
import { driftKey, queryAccuracy } from '../io/accuracy-table.js'
import type { ModelRegistry } from '../io/model-registry.js'
import type { ObjectStore } from '../io/object-store.js'
import { readRows } from '../io/parquet-read.js'
import { DataError, InputMissingError } from '../core/errors.js'
import type { ReportAccuracyDay, ReportBacktest, ReportDrift, ReportForecast, ReportModel } from './report-data.js'

export async function readApprovedBacktest(lake: ObjectStore, registry: ModelRegistry, metricId: string): Promise<{ backtest: ReportBacktest; model?: ReportModel }> {
  const approved = await registry.getApproved(metricId)
  if (!approved) throw new InputMissingError(`backtest: metric ${metricId} has no approved version in the registry (run gras train)`)
  const record = await registry.getVersion(metricId, approved.version)
  const key = backtestReportKey(metricId, approved.version)
  const bytes = await lake.get(key)
  if (!bytes) throw new InputMissingError(`backtest: ${key} is missing (approved version ${approved.version} of ${metricId})`)
  let parsed: Partial<Omit<ReportBacktest, 'version'>>
  try {
    parsed = JSON.parse(new TextDecoder().decode(bytes))
  } catch (error) {
    throw new DataError(`backtest: ${key} is not valid JSON: ${(error as Error).message}`)
  }
  if (!Array.isArray(parsed.candidates) || typeof parsed.chosen !== 'string') throw new DataError(`backtest: ${key} has no candidates array or chosen field`)
  const backtest: ReportBacktest = {
    version: approved.version,
    chosen: parsed.chosen,
    horizon: Number(parsed.horizon),
    intervalLevel: Number(parsed.intervalLevel),
    origins: parsed.origins ?? [],
    candidates: parsed.candidates,
    fallbacks: parsed.fallbacks ?? [],
  }
  const model = record && { version: record.version, model: record.model, decision: record.decision, reason: record.reason, backtestMase: record.backtestMase }
  return { backtest, model }
}

/** The accuracy table's days of a metric in [fromDate, toDate] (YYYY-MM-DD), oldest first, and its drift flag. */
export async function readAccuracy(client: DynamoDBClient, table: string, metricId: string, fromDate = '0000', toDate = '9999'): Promise<{ days: ReportAccuracyDay[]; drift?: ReportDrift }> {
  const num = (v: unknown) => (typeof v === 'number' ? v : Number.NaN)
  const days = (await queryAccuracy(client, table, metricId, fromDate, toDate)).map((row) => ({
    date: String(row.date),
    mase: num(row.mase),
    smape: num(row.smape),
    bias: num(row.bias),
    coverage: num(row.coverage),
    points: num(row.points),
    backtestMase: num(row.backtest_mase),
    modelVersion: String(row.model_version ?? ''),
  }))
  const [flag] = await queryAccuracy(client, table, metricId, driftKey, driftKey)
  const drift = flag && { drifted: flag.drifted === true, reason: String(flag.reason ?? ''), realisedMase: num(flag.realised_mase), expectedMase: num(flag.expected_mase) }
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
