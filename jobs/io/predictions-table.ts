/**
 * The predictions table: the contract the Java app reads (README "Predictions table").
 * Writes never let an older run overwrite a newer forecast, and a rerun of the same run writes
 * identical items. New keys go in BatchWriteItem calls (25 items, UnprocessedItems retried with
 * backoff); keys that already hold a forecast get a conditional PutItem, since BatchWriteItem
 * cannot carry a condition. Callers hold the metric's infer lease (lease-lock.ts), so no other run
 * writes the same keys between the query and the batch.
 */
import {
  BatchWriteItemCommand,
  PutItemCommand,
  type AttributeValue,
  type DynamoDBClient,
} from '@aws-sdk/client-dynamodb'
import { TransientError } from '../core/errors.js'
import { isConditionFailure } from './aws-clients.js'
import { backoffDelayMs, sleep } from './backoff.js'
import { queryAll } from './dynamo-query.js'

export interface PredictionItem {
  metricId: string
  /** ISO-8601 UTC, seconds precision: `2024-01-29T14:00:00Z`. */
  timestamp: string
  value: number
  lower: number
  upper: number
  intervalLevel: number
  modelVersion: string
  runId: string
  /** ISO time of the data cutoff the forecast was made at; orders runs. */
  generatedAt: string
  /** Epoch seconds after which DynamoDB may delete the item. */
  ttl: number
}

export interface WriteReport {
  written: number
  /** Items not written because a newer run's forecast is stored. */
  skippedNewer: number
  /** BatchWriteItem calls repeated for UnprocessedItems. */
  batchRetries: number
}

const number = (n: number): AttributeValue => ({ N: String(n) })

/** The item as stored: the one place our type meets DynamoDB's attribute format. */
export function toAttributes(item: PredictionItem): Record<string, AttributeValue> {
  return {
    metric_id: { S: item.metricId },
    timestamp: { S: item.timestamp },
    forecast: { M: { value: number(item.value), lower: number(item.lower), upper: number(item.upper) } },
    interval_level: number(item.intervalLevel),
    model_version: { S: item.modelVersion },
    run_id: { S: item.runId },
    generated_at: { S: item.generatedAt },
    ttl: number(item.ttl),
  }
}

export function fromAttributes(attributes: Record<string, AttributeValue>): PredictionItem {
  const forecast = attributes.forecast?.M ?? {}
  return {
    metricId: attributes.metric_id?.S ?? '',
    timestamp: attributes.timestamp?.S ?? '',
    value: Number(forecast.value?.N),
    lower: Number(forecast.lower?.N),
    upper: Number(forecast.upper?.N),
    intervalLevel: Number(attributes.interval_level?.N),
    modelVersion: attributes.model_version?.S ?? '',
    runId: attributes.run_id?.S ?? '',
    generatedAt: attributes.generated_at?.S ?? '',
    ttl: Number(attributes.ttl?.N),
  }
}

/** Stored items of one metric in [fromIso, toIso], oldest first, expired ones (ttl passed) left out when `nowSeconds` is given. */
export async function queryPredictions(
  client: DynamoDBClient,
  table: string,
  metricId: string,
  fromIso: string,
  toIso: string,
  nowSeconds?: number,
): Promise<PredictionItem[]> {
  const items = await queryAll(client, {
    TableName: table,
    KeyConditionExpression: 'metric_id = :m AND #ts BETWEEN :from AND :to',
    ExpressionAttributeNames: { '#ts': 'timestamp' },
    ExpressionAttributeValues: { ':m': { S: metricId }, ':from': { S: fromIso }, ':to': { S: toIso } },
  })
  const out = items.map(fromAttributes)
  return nowSeconds === undefined ? out : out.filter((item) => !(item.ttl <= nowSeconds))
}

/** Writes the items of one metric (sorted by timestamp); see the file comment for the guarantees. */
export async function writePredictions(client: DynamoDBClient, table: string, items: PredictionItem[]): Promise<WriteReport> {
  const report: WriteReport = { written: 0, skippedNewer: 0, batchRetries: 0 }
  if (items.length === 0) return report
  const metricId = items[0].metricId
  const existing = new Map<string, string>()
  for (const stored of await queryPredictions(client, table, metricId, items[0].timestamp, items[items.length - 1].timestamp)) {
    existing.set(stored.timestamp, stored.generatedAt)
  }
  const fresh: PredictionItem[] = []
  const overwrites: PredictionItem[] = []
  for (const item of items) {
    const storedAt = existing.get(item.timestamp)
    if (storedAt === undefined) fresh.push(item)
    else if (storedAt > item.generatedAt) report.skippedNewer++
    else overwrites.push(item)
  }
  for (let i = 0; i < fresh.length; i += 25) {
    const chunk = fresh.slice(i, i + 25)
    report.batchRetries += await batchWriteWithRetry(client, table, chunk.map(toAttributes))
    report.written += chunk.length
  }
  for (const item of overwrites) {
    try {
      await client.send(
        new PutItemCommand({
          TableName: table,
          Item: toAttributes(item),
          ConditionExpression: 'attribute_not_exists(#ts) OR generated_at <= :g',
          ExpressionAttributeNames: { '#ts': 'timestamp' },
          ExpressionAttributeValues: { ':g': { S: item.generatedAt } },
        }),
      )
      report.written++
    } catch (error) {
      if (isConditionFailure(error)) report.skippedNewer++
      else throw error
    }
  }
  return report
}

const maxBatchAttempts = 10

/** One BatchWriteItem of up to 25 puts, repeating UnprocessedItems with backoff; returns the retries. */
async function batchWriteWithRetry(client: DynamoDBClient, table: string, puts: Record<string, AttributeValue>[]): Promise<number> {
  let pending = puts.map((Item) => ({ PutRequest: { Item } }))
  for (let attempt = 0; attempt < maxBatchAttempts; attempt++) {
    const response = await client.send(new BatchWriteItemCommand({ RequestItems: { [table]: pending } }))
    const unprocessed = response.UnprocessedItems?.[table] ?? []
    if (unprocessed.length === 0) return attempt
    pending = unprocessed as typeof pending
    await sleep(backoffDelayMs(attempt))
  }
  throw new TransientError(`dynamodb: ${pending.length} item(s) still unprocessed after ${maxBatchAttempts} BatchWriteItem attempts on ${table}`)
}
