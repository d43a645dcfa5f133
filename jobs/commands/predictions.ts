/**
 * `gras predictions`: stored forecasts of one series in a time range, as a table, JSON or CSV, read
 * from the forecasts table (contract version 2), one row per step.
 */
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb'
import { queryForecastsCovering, type ForecastItem } from '../io/forecasts-table.js'
import type { PredictionItem } from '../io/predictions-table.js'
import { toPredictionItems } from '../infer/prediction-items.js'
import { printRows, type Column, type RowFormat } from './format-table.js'

/** The steps in [fromIso, toIso] of a series, each from the newest unexpired run that forecast it, in time order. */
export async function fetchPredictions(client: DynamoDBClient, table: string, seriesId: string, fromIso: string, toIso: string, nowMs: number): Promise<PredictionItem[]> {
  return stepsInRange(await queryForecastsCovering(client, table, seriesId, fromIso, toIso, Math.floor(nowMs / 1000)), Date.parse(fromIso), Date.parse(toIso))
}

/** `forecasts` newest first -> one row per step in [fromMs, toMs] (the newest run's where runs overlap), oldest step first. */
export function stepsInRange(forecasts: readonly ForecastItem[], fromMs: number, toMs: number): PredictionItem[] {
  const byStep = new Map<number, PredictionItem>()
  for (const forecast of forecasts) {
    for (const step of toPredictionItems(forecast)) {
      const atMs = Date.parse(step.timestamp)
      if (atMs >= fromMs && atMs <= toMs && !byStep.has(atMs)) byStep.set(atMs, step)
    }
  }
  return [...byStep].sort(([a], [b]) => a - b).map(([, row]) => row)
}

/**
 * Start of the step that holds `ms` (steps of `stepMs` from the epoch, as the features grid): the
 * default `--from`, so the step in progress (today, for a daily metric) is listed.
 */
export const stepStartMs = (ms: number, stepMs: number) => Math.floor(ms / stepMs) * stepMs

const columns: Column<PredictionItem>[] = [
  { key: 'timestamp', align: 'left' },
  { key: 'lower', align: 'right' },
  { key: 'value', header: 'forecast', align: 'right' },
  { key: 'upper', align: 'right' },
]
const fields: (keyof PredictionItem)[] = ['metricId', 'timestamp', 'value', 'lower', 'upper', 'intervalLevel', 'modelVersion', 'runId', 'generatedAt', 'ttl']

export function printPredictions(metricId: string, items: PredictionItem[], format: RowFormat = 'table'): string {
  if (format === 'table' && items.length === 0) return `${metricId}: no stored forecasts in this range\n`
  const title = items.length === 0 ? undefined : `${metricId}: ${items.length} steps from ${items[0].timestamp}, model ${items[0].modelVersion}, ${Math.round(items[0].intervalLevel * 100)}% interval`
  return printRows(format, columns, items, { title, fields })
}

/** `pipeline --print`: a table per metric, blank lines between; or one JSON array or CSV of every metric's steps. */
export function printRunForecasts(forecasts: { metricId: string; items: PredictionItem[] }[], format: RowFormat): string {
  if (format !== 'table') return printPredictions('', forecasts.flatMap((f) => f.items), format)
  return forecasts.map((f) => printPredictions(f.metricId, f.items) + '\n').join('')
}
