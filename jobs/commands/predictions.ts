/** `gras predictions`: stored forecasts of one metric in a time range, as a table or JSON. */
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb'
import { queryPredictions, type PredictionItem } from '../io/predictions-table.js'
import { formatNumber, formatTable } from './format-table.js'

export async function fetchPredictions(client: DynamoDBClient, table: string, metricId: string, fromIso: string, toIso: string, nowMs: number): Promise<PredictionItem[]> {
  return queryPredictions(client, table, metricId, fromIso, toIso, Math.floor(nowMs / 1000))
}

export function formatPredictions(metricId: string, items: PredictionItem[]): string {
  if (items.length === 0) return `${metricId}: no stored forecasts in this range`
  const level = items[0].intervalLevel
  const title = `${metricId}: ${items.length} steps from ${items[0].timestamp}, model ${items[0].modelVersion}, ${Math.round(level * 100)}% interval`
  const rows = items.map((i) => [i.timestamp, formatNumber(i.lower), formatNumber(i.value), formatNumber(i.upper)])
  return `${title}\n${formatTable(['timestamp', 'lower', 'forecast', 'upper'], rows)}`
}
