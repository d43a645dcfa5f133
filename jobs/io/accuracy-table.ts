/**
 * The accuracy table: realised accuracy of served forecasts per metric and day, which the Java app
 * can query ("accuracy of G over the last 7 days": metric_id = G AND date BETWEEN ...), plus one
 * drift item per metric (date = "~drift") that `gras train --only drifted` reads and clears.
 */
import { GetItemCommand, PutItemCommand, type AttributeValue, type DynamoDBClient } from '@aws-sdk/client-dynamodb'
import { createHash } from 'node:crypto'
import { z } from 'zod'
import { queryAll } from './dynamo-query.js'
import { parseDynamoItem } from './dynamo-item.js'
import { numberOrNaN } from './lake-document.js'
import type { DayAccuracy, DriftDecision } from '../core/realised-accuracy.js'

export const driftKey = '~drift'

/** The contract version the accuracy items' layout was last changed in (docs/contracts.md). */
const accuracyContractVersion: AttributeValue = { N: '1' }

const n = (value: number): AttributeValue => (Number.isFinite(value) ? { N: String(Number(value.toPrecision(9))) } : { NULL: true })

export interface AccuracyRecord extends DayAccuracy {
  metricId: string
  date: string
  backtestMase: number
}

function dayAccuracyItem(record: AccuracyRecord, runId: string): Record<string, AttributeValue> {
  return {
    metric_id: { S: record.metricId },
    date: { S: record.date },
    mase: n(record.mase),
    smape: n(record.smape),
    bias: n(record.bias),
    coverage: n(record.coverage),
    points: n(record.points),
    backtest_mase: n(record.backtestMase),
    model_version: { S: record.modelVersion },
    served_run_id: { S: record.runId },
    computed_by: { S: runId },
    contract_version: accuracyContractVersion,
  }
}

/** Who wrote an item and when: not part of what it says. */
const volatileAttributes = new Set(['computed_by', 'updated_by', 'updated_at'])

/** A short hash of what an item says (every attribute but who wrote it and when), as it would be stored. */
function fingerprint(item: Record<string, AttributeValue>): string {
  const said = Object.keys(item).filter((name) => !volatileAttributes.has(name)).sort().map((name) => [name, item[name]])
  return createHash('sha256').update(JSON.stringify(said)).digest('base64url').slice(0, 16)
}

export const dayAccuracyFingerprint = (record: AccuracyRecord) => fingerprint(dayAccuracyItem(record, ''))

export async function putDayAccuracy(client: DynamoDBClient, table: string, record: AccuracyRecord, runId: string): Promise<void> {
  await client.send(new PutItemCommand({ TableName: table, Item: dayAccuracyItem(record, runId) }))
}

/** A day's item as read back: the figures `gras accuracy` and the report show. */
const dayItemSchema = z
  .object({
    date: z.string(),
    mase: numberOrNaN,
    smape: numberOrNaN,
    bias: numberOrNaN,
    coverage: numberOrNaN,
    points: numberOrNaN,
    backtest_mase: numberOrNaN,
    model_version: z.string(),
  })
  .transform(({ backtest_mase, model_version, ...figures }) => ({ ...figures, backtestMase: backtest_mase, modelVersion: model_version }))

export type StoredDayAccuracy = z.output<typeof dayItemSchema>

/** `drifted` is what `train --only drifted` acts on; a flag set by hand may carry nothing else. */
const driftItemSchema = z
  .object({ drifted: z.boolean(), realised_mase: numberOrNaN.default(Number.NaN), expected_mase: numberOrNaN.default(Number.NaN), reason: z.string().default('') })
  .transform((item): DriftDecision => ({ drifted: item.drifted, realisedMase: item.realised_mase, expectedMase: item.expected_mase, reason: item.reason }))

/** The days of a metric in [fromDate, toDate] (YYYY-MM-DD), oldest first; a malformed item is a DataError naming it. */
export async function readDayAccuracy(client: DynamoDBClient, table: string, metricId: string, fromDate: string, toDate: string): Promise<StoredDayAccuracy[]> {
  const items = await queryItems(client, table, metricId, fromDate, toDate)
  return items.filter((item) => item.date?.S !== driftKey).map((item) => parseDynamoItem(dayItemSchema, item, table, { metric_id: metricId, date: item.date?.S ?? '?' }))
}

/** A metric's drift item; undefined when monitor has not judged it yet. */
export async function readDrift(client: DynamoDBClient, table: string, metricId: string): Promise<DriftDecision | undefined> {
  const response = await client.send(new GetItemCommand({ TableName: table, Key: { metric_id: { S: metricId }, date: { S: driftKey } }, ConsistentRead: true }))
  return response.Item && parseDynamoItem(driftItemSchema, response.Item, table, { metric_id: metricId, date: driftKey })
}

function queryItems(client: DynamoDBClient, table: string, metricId: string, fromDate: string, toDate: string): Promise<Record<string, AttributeValue>[]> {
  return queryAll(client, {
    TableName: table,
    KeyConditionExpression: 'metric_id = :m AND #d BETWEEN :from AND :to',
    ExpressionAttributeNames: { '#d': 'date' },
    ExpressionAttributeValues: { ':m': { S: metricId }, ':from': { S: fromDate }, ':to': { S: toDate } },
  })
}

/** Every attribute of a metric's items in [fromDate, toDate] as stored, unparsed: what tests compare. */
export async function queryAccuracy(client: DynamoDBClient, table: string, metricId: string, fromDate: string, toDate: string): Promise<Record<string, number | string | boolean>[]> {
  const items = await queryItems(client, table, metricId, fromDate, toDate)
  return items.map((item) => Object.fromEntries(Object.entries(item).map(([k, v]) => [k, v.N !== undefined ? Number(v.N) : (v.S ?? v.BOOL ?? Number.NaN)])))
}

function driftItem(metricId: string, decision: DriftDecision, runId: string, nowIso: string): Record<string, AttributeValue> {
  return {
    metric_id: { S: metricId },
    date: { S: driftKey },
    drifted: { BOOL: decision.drifted },
    realised_mase: n(decision.realisedMase),
    expected_mase: n(decision.expectedMase),
    reason: { S: decision.reason },
    updated_by: { S: runId },
    updated_at: { S: nowIso },
    contract_version: accuracyContractVersion,
  }
}

export const driftFingerprint = (metricId: string, decision: DriftDecision) => fingerprint(driftItem(metricId, decision, '', ''))

export async function putDrift(client: DynamoDBClient, table: string, metricId: string, decision: DriftDecision, runId: string, nowIso: string): Promise<void> {
  await client.send(new PutItemCommand({ TableName: table, Item: driftItem(metricId, decision, runId, nowIso) }))
}

export async function isDrifted(client: DynamoDBClient, table: string, metricId: string): Promise<boolean> {
  return (await readDrift(client, table, metricId))?.drifted === true
}

/** Clears the flag after a retrain; the next monitor run raises it again if the new model drifts too. */
export async function clearDrift(client: DynamoDBClient, table: string, metricId: string, runId: string, nowIso: string): Promise<void> {
  const cleared: DriftDecision = { drifted: false, realisedMase: Number.NaN, expectedMase: Number.NaN, reason: `cleared by retrain ${runId}` }
  await putDrift(client, table, metricId, cleared, runId, nowIso)
}
