/** `gras predictions`: stored forecasts of one metric in a time range, as a table, JSON or CSV. */
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb'
import { queryPredictions, type PredictionItem } from '../io/predictions-table.js'
import { printRows, type Column, type RowFormat } from './format-table.js'

export async function fetchPredictions(client: DynamoDBClient, table: string, metricId: string, fromIso: string, toIso: string, nowMs: number): Promise<PredictionItem[]> {
  return queryPredictions(client, table, metricId, fromIso, toIso, Math.floor(nowMs / 1000))
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
