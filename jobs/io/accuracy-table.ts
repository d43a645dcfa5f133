/**
 * The accuracy table: realised accuracy of served forecasts per metric and day, which the Java app
 * can query ("accuracy of G over the last 7 days": metric_id = G AND date BETWEEN ...), plus one
 * drift item per metric (date = "~drift") that `gras train --only drifted` reads and clears.
 */
import { GetItemCommand, PutItemCommand, type AttributeValue, type DynamoDBClient } from '@aws-sdk/client-dynamodb'
import { queryAll } from './dynamo-query.js'
import type { DayAccuracy, DriftDecision } from '../core/realised-accuracy.js'

export const driftKey = '~drift'

const n = (value: number): AttributeValue => (Number.isFinite(value) ? { N: String(Number(value.toPrecision(9))) } : { NULL: true })

export interface AccuracyRecord extends DayAccuracy {
  metricId: string
  date: string
  backtestMase: number
}

export async function putDayAccuracy(client: DynamoDBClient, table: string, record: AccuracyRecord, runId: string): Promise<void> {
  await client.send(
    new PutItemCommand({
      TableName: table,
      Item: {
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
      },
    }),
  )
}

export async function queryAccuracy(client: DynamoDBClient, table: string, metricId: string, fromDate: string, toDate: string): Promise<Record<string, number | string | boolean>[]> {
  const items = await queryAll(client, {
    TableName: table,
    KeyConditionExpression: 'metric_id = :m AND #d BETWEEN :from AND :to',
    ExpressionAttributeNames: { '#d': 'date' },
    ExpressionAttributeValues: { ':m': { S: metricId }, ':from': { S: fromDate }, ':to': { S: toDate } },
  })
  return items.map((item) => Object.fromEntries(Object.entries(item).map(([k, v]) => [k, v.N !== undefined ? Number(v.N) : (v.S ?? v.BOOL ?? Number.NaN)])))
}

export async function putDrift(client: DynamoDBClient, table: string, metricId: string, decision: DriftDecision, runId: string, nowIso: string): Promise<void> {
  await client.send(
    new PutItemCommand({
      TableName: table,
      Item: {
        metric_id: { S: metricId },
        date: { S: driftKey },
        drifted: { BOOL: decision.drifted },
        realised_mase: n(decision.realisedMase),
        expected_mase: n(decision.expectedMase),
        reason: { S: decision.reason },
        updated_by: { S: runId },
        updated_at: { S: nowIso },
      },
    }),
  )
}

export async function isDrifted(client: DynamoDBClient, table: string, metricId: string): Promise<boolean> {
  const response = await client.send(new GetItemCommand({ TableName: table, Key: { metric_id: { S: metricId }, date: { S: driftKey } }, ConsistentRead: true }))
  return response.Item?.drifted?.BOOL === true
}

/** Clears the flag after a retrain; the next monitor run raises it again if the new model drifts too. */
export async function clearDrift(client: DynamoDBClient, table: string, metricId: string, runId: string, nowIso: string): Promise<void> {
  const cleared: DriftDecision = { drifted: false, realisedMase: Number.NaN, expectedMase: Number.NaN, reason: `cleared by retrain ${runId}` }
  await putDrift(client, table, metricId, cleared, runId, nowIso)
}
