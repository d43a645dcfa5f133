/**
 * The forecasts table, contract version 2 (docs/contracts.md "Forecasts table"): one item per
 * series and run, key `series_id` + `generated_at`, the whole horizon as three number lists, so
 * "the newest forecast of series X" is one Query (`ScanIndexForward: false, Limit: 1`) and a run
 * costs one write per series.
 *
 * A run writes only its own key, so a backfill (an older `generated_at`) never touches a newer
 * forecast. The write is conditional on the key being new or holding the same run's item (a rerun
 * writes the identical item); an item of another run at the same cutoff is replaced only by a
 * second, explicit PutItem that returns the replaced item, and the caller reports its run.
 */
import { PutItemCommand, QueryCommand, type AttributeValue, type DynamoDBClient } from '@aws-sdk/client-dynamodb'
import { z } from 'zod'
import { isConditionFailure } from './aws-clients.js'
import { parseDynamoItem } from './dynamo-item.js'

export const forecastsContractVersion = 2

export interface ForecastItem {
  /** The canonical series id (core/series-id.ts): the metric id for a metric without dimensions. */
  seriesId: string
  metricId: string
  /** The series' dimension values by name; empty for a metric without dimensions. */
  dimensions: Record<string, string>
  /** ISO-8601 UTC, seconds: the data cutoff the forecast starts from; orders runs. */
  generatedAt: string
  /** ISO-8601 UTC, seconds: the time of `value[0]`. */
  firstStep: string
  stepSeconds: number
  /** Steps in the lists; `value[h]` is for `firstStep + h * stepSeconds`. */
  horizon: number
  value: number[]
  lower: number[]
  upper: number[]
  intervalLevel: number
  modelVersion: string
  runId: string
  /** Epoch seconds after which DynamoDB may delete the item. */
  ttl: number
}

export type ForecastWrite =
  /** A new key, or the same run's identical item rewritten. */
  | { outcome: 'written' }
  /** Another run's forecast of the same cutoff was replaced; `replacedRunId` is its run. */
  | { outcome: 'replaced'; replacedRunId: string }

const n = (value: number): AttributeValue => ({ N: String(value) })
const numbers = (values: readonly number[]): AttributeValue => ({ L: values.map(n) })

/** The item as stored: the one place the v2 item meets DynamoDB's attribute format. */
export function toForecastAttributes(item: ForecastItem): Record<string, AttributeValue> {
  return {
    series_id: { S: item.seriesId },
    generated_at: { S: item.generatedAt },
    metric_id: { S: item.metricId },
    dimensions: { M: Object.fromEntries(Object.entries(item.dimensions).map(([name, value]) => [name, { S: value }])) },
    contract_version: n(forecastsContractVersion),
    first_step: { S: item.firstStep },
    step_seconds: n(item.stepSeconds),
    horizon: n(item.horizon),
    value: numbers(item.value),
    lower: numbers(item.lower),
    upper: numbers(item.upper),
    interval_level: n(item.intervalLevel),
    model_version: { S: item.modelVersion },
    run_id: { S: item.runId },
    ttl: n(item.ttl),
  }
}

const isoSeconds = z.string().regex(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$/, 'expected ISO-8601 UTC to the second')
const forecastSchema = z
  .object({
    series_id: z.string().min(1),
    generated_at: isoSeconds,
    metric_id: z.string().min(1),
    dimensions: z.record(z.string(), z.string()),
    contract_version: z.literal(forecastsContractVersion),
    first_step: isoSeconds,
    step_seconds: z.number().int().positive(),
    horizon: z.number().int().min(1),
    value: z.array(z.number()),
    lower: z.array(z.number()),
    upper: z.array(z.number()),
    interval_level: z.number(),
    model_version: z.string(),
    run_id: z.string(),
    ttl: z.number(),
  })
  .refine((item) => [item.value, item.lower, item.upper].every((list) => list.length === item.horizon), {
    message: 'value, lower and upper must each hold horizon numbers',
    path: ['horizon'],
  })

/** Parses a stored item; a malformed one is a DataError naming the table, its key and the field. */
export function fromForecastAttributes(attributes: Record<string, AttributeValue>, table: string): ForecastItem {
  const key = { series_id: attributes.series_id?.S ?? '?', generated_at: attributes.generated_at?.S ?? '?' }
  const item = parseDynamoItem(forecastSchema, attributes, table, key)
  return {
    seriesId: item.series_id,
    metricId: item.metric_id,
    dimensions: item.dimensions,
    generatedAt: item.generated_at,
    firstStep: item.first_step,
    stepSeconds: item.step_seconds,
    horizon: item.horizon,
    value: item.value,
    lower: item.lower,
    upper: item.upper,
    intervalLevel: item.interval_level,
    modelVersion: item.model_version,
    runId: item.run_id,
    ttl: item.ttl,
  }
}

/** Writes one series' forecast of one run; see the file comment for when it replaces an item. */
export async function writeForecast(client: DynamoDBClient, table: string, item: ForecastItem): Promise<ForecastWrite> {
  const Item = toForecastAttributes(item)
  try {
    await client.send(
      new PutItemCommand({
        TableName: table,
        Item,
        ConditionExpression: 'attribute_not_exists(series_id) OR run_id = :run',
        ExpressionAttributeValues: { ':run': { S: item.runId } },
      }),
    )
    return { outcome: 'written' }
  } catch (error) {
    if (!isConditionFailure(error)) throw error
  }
  // Another run forecast the same cutoff (a manual run beside the scheduled one, a rerun after a
  // rollback): the later run's forecast is served, as in version 1, and the caller says so.
  const replaced = await client.send(new PutItemCommand({ TableName: table, Item, ReturnValues: 'ALL_OLD' }))
  const replacedRunId = replaced.Attributes?.run_id?.S
  return replacedRunId === undefined ? { outcome: 'written' } : { outcome: 'replaced', replacedRunId }
}

/**
 * The newest stored forecast of a series, by one Query (the read the contract gives the Java app);
 * undefined when there is none or, with `nowSeconds`, when the newest has expired.
 */
export async function readNewestForecast(client: DynamoDBClient, table: string, seriesId: string, nowSeconds?: number): Promise<ForecastItem | undefined> {
  const page = await client.send(
    new QueryCommand({
      TableName: table,
      KeyConditionExpression: 'series_id = :s',
      ExpressionAttributeValues: { ':s': { S: seriesId } },
      ScanIndexForward: false,
      Limit: 1,
    }),
  )
  const first = page.Items?.[0]
  if (!first) return undefined
  const item = fromForecastAttributes(first, table)
  return nowSeconds !== undefined && item.ttl <= nowSeconds ? undefined : item
}

/**
 * The stored forecasts that can hold a step in [fromIso, toIso], newest first: every run with
 * `generated_at` at or before `toIso`, back to and including the newest one at or before
 * `fromIso` (older runs hold no step in the range that it does not hold too, for equal horizons).
 * Read in pages of a few items, newest first, so a range near now costs one or two small Queries.
 */
export async function queryForecastsCovering(client: DynamoDBClient, table: string, seriesId: string, fromIso: string, toIso: string, nowSeconds?: number): Promise<ForecastItem[]> {
  const out: ForecastItem[] = []
  let startKey: Record<string, AttributeValue> | undefined
  do {
    const page = await client.send(
      new QueryCommand({
        TableName: table,
        KeyConditionExpression: 'series_id = :s AND generated_at <= :to',
        ExpressionAttributeValues: { ':s': { S: seriesId }, ':to': { S: toIso } },
        ScanIndexForward: false,
        Limit: coveringPageItems,
        ExclusiveStartKey: startKey,
      }),
    )
    for (const attributes of page.Items ?? []) {
      const item = fromForecastAttributes(attributes, table)
      if (nowSeconds !== undefined && item.ttl <= nowSeconds) continue
      out.push(item)
      if (item.generatedAt <= fromIso) return out
    }
    startKey = page.LastEvaluatedKey
  } while (startKey)
  return out
}

const coveringPageItems = 8
