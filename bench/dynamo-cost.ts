/**
 * DynamoDB cost of a run's writes per series (node dist/bench/dynamo-cost.js), against dynalite:
 * the infer job's requests for one series (its lease, the approved-model read, the predictions
 * pre-query and writes) counted by command, and their write units as DynamoDB reports them
 * (ReturnConsumedCapacity: TOTAL, added to every request) beside AWS's rule computed from the item
 * sizes (one WCU per started KB of each item written). Two runs: a first one (new keys: batch
 * writes) and the next hour's (47 of 48 keys already hold a forecast: conditional puts). Also the
 * alternative layout: one item per series holding the whole horizon. CSV in bench/results/dynamo-cost.csv.
 */
import { appendFileSync, existsSync, mkdirSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { PutItemCommand, type AttributeValue, type DynamoDBClient } from '@aws-sdk/client-dynamodb'
import { startDynamoServer } from '../tests/helpers/servers.js'
import { ensureTable, modelsTableDefinition, predictionsTableDefinition } from '../jobs/io/dynamo-tables.js'
import { toAttributes, writePredictions, type PredictionItem } from '../jobs/io/predictions-table.js'
import { acquireLease, withLease } from '../jobs/io/lease-lock.js'
import { ModelRegistry } from '../jobs/io/model-registry.js'

const series = Number(process.argv[2] ?? 50)
const horizon = 48
const hourMs = 3_600_000
const out = 'bench/results'

interface Tally {
  requests: Map<string, number>
  consumedWcu: number
  consumedRcu: number
}

/** Counts every request by command and sums the capacity DynamoDB says it consumed. */
function instrument(client: DynamoDBClient): Tally {
  const tally: Tally = { requests: new Map(), consumedWcu: 0, consumedRcu: 0 }
  client.middlewareStack.add(
    (next, context) => async (args) => {
      const command = String(context.commandName).replace(/Command$/, '')
      tally.requests.set(command, (tally.requests.get(command) ?? 0) + 1)
      ;(args.input as Record<string, unknown>).ReturnConsumedCapacity = 'TOTAL'
      const result = await next(args)
      const consumed = (result.output as { ConsumedCapacity?: unknown }).ConsumedCapacity
      for (const c of Array.isArray(consumed) ? consumed : consumed ? [consumed] : []) {
        const units = Number((c as { CapacityUnits?: number }).CapacityUnits ?? 0)
        if (/Write|Put|Update|Delete/.test(command)) tally.consumedWcu += units
        else tally.consumedRcu += units
      }
      return result
    },
    { step: 'initialize', name: 'countRequests' },
  )
  return tally
}

/** DynamoDB's item size: attribute names and values in UTF-8; numbers about one byte per two digits plus one. */
function attributeBytes(value: AttributeValue): number {
  if (value.S !== undefined) return Buffer.byteLength(value.S)
  if (value.N !== undefined) return Math.ceil(value.N.replace(/^-|\.|e.*$/gi, '').replace(/^0+/, '').length / 2) + 1
  if (value.BOOL !== undefined || value.NULL !== undefined) return 1
  if (value.M) return 3 + Object.entries(value.M).reduce((sum, [k, v]) => sum + 1 + Buffer.byteLength(k) + attributeBytes(v), 0)
  if (value.L) return 3 + value.L.reduce((sum, v) => sum + 1 + attributeBytes(v), 0)
  throw new Error(`no size rule for ${JSON.stringify(value)}`)
}
export function itemBytes(item: Record<string, AttributeValue>): number {
  return Object.entries(item).reduce((sum, [k, v]) => sum + Buffer.byteLength(k) + attributeBytes(v), 0)
}
const wcuOf = (item: Record<string, AttributeValue>) => Math.ceil(itemBytes(item) / 1024)

function items(metricId: string, startMs: number, runId: string): PredictionItem[] {
  return Array.from({ length: horizon }, (_, h) => {
    const value = Number((1000 + 250 * Math.sin((h + startMs / hourMs) / 3.8) + metricId.length).toPrecision(9))
    return {
      metricId,
      timestamp: new Date(startMs + h * hourMs).toISOString().replace('.000Z', 'Z'),
      value,
      lower: Number((value * 0.8123).toPrecision(9)),
      upper: Number((value * 1.2191).toPrecision(9)),
      intervalLevel: 0.95,
      modelVersion: 'v20240131T230000Z-gras-pipeline-x7k2p',
      runId,
      generatedAt: new Date(startMs).toISOString().replace('.000Z', 'Z'),
      ttl: Math.floor(startMs / 1000) + 90 * 86_400,
    }
  })
}

/** The alternative layout: one item per series and run, the horizon as three number lists. */
function horizonItem(list: PredictionItem[]): Record<string, AttributeValue> {
  return {
    series_id: { S: list[0].metricId },
    start: { S: list[0].timestamp },
    step_s: { N: '3600' },
    value: { L: list.map((i) => ({ N: String(i.value) })) },
    lower: { L: list.map((i) => ({ N: String(i.lower) })) },
    upper: { L: list.map((i) => ({ N: String(i.upper) })) },
    interval_level: { N: String(list[0].intervalLevel) },
    model_version: { S: list[0].modelVersion },
    run_id: { S: list[0].runId },
    generated_at: { S: list[0].generatedAt },
    ttl: { N: String(list[0].ttl) },
  }
}

const server = await startDynamoServer()
try {
  const client = server.client
  await ensureTable(client, 'gras-predictions', predictionsTableDefinition)
  await ensureTable(client, 'gras-models', modelsTableDefinition)
  await client.send(new PutItemCommand({ TableName: 'gras-predictions', Item: { metric_id: { S: 'warm' }, timestamp: { S: 'x' } } }))
  const registry = new ModelRegistry(client, 'gras-models')
  const tally = instrument(client)
  const rows: string[] = []
  const t0 = Date.UTC(2024, 1, 1)
  for (const [run, startMs] of [['first run', t0], ['next hour', t0 + hourMs]] as const) {
    tally.requests.clear()
    tally.consumedWcu = 0
    tally.consumedRcu = 0
    let ruleWcu = 0
    let bytes = 0
    for (let s = 0; s < series; s++) {
      const metricId = `m4_H${s + 1}`
      const list = items(metricId, startMs as number, `run-${run.replace(' ', '-')}`)
      await registry.getApproved(metricId)
      const lock = acquireLease(client, { table: 'gras-models', metricId, job: 'infer', owner: `run-${run}`, nowMs: Date.now(), leaseMs: 15 * 60_000 })
      await withLease(lock, () => writePredictions(client, 'gras-predictions', list))
      for (const item of list) {
        ruleWcu += wcuOf(toAttributes(item))
        bytes += itemBytes(toAttributes(item))
      }
    }
    const requests = [...tally.requests.values()].reduce((a, b) => a + b, 0)
    const byCommand = [...tally.requests].map(([c, n]) => `${c}=${(n / series).toFixed(2)}`).join(' ')
    console.log(
      `${run}, item per step: ${(requests / series).toFixed(2)} requests/series (${byCommand}); predictions items ${(bytes / series / horizon).toFixed(0)} B each, ` +
        `rule ${(ruleWcu / series).toFixed(1)} WCU/series; dynalite consumed ${(tally.consumedWcu / series).toFixed(1)} WCU + ${(tally.consumedRcu / series).toFixed(1)} RCU per series (lease and registry included)`,
    )
    rows.push(['item-per-step', run, series, (requests / series).toFixed(2), byCommand.replaceAll(',', ';'), (ruleWcu / series).toFixed(2), (tally.consumedWcu / series).toFixed(2), (tally.consumedRcu / series).toFixed(2)].join(','))
  }
  // One item per series holding the horizon: one PutItem each (or 25 per BatchWriteItem).
  tally.requests.clear()
  tally.consumedWcu = 0
  const list = items('m4_H1', t0, 'run-x')
  const item = horizonItem(list)
  await client.send(new PutItemCommand({ TableName: 'gras-predictions', Item: { ...item, metric_id: item.series_id, timestamp: item.start } }))
  console.log(`item per series: ${itemBytes(item)} B, rule ${wcuOf(item)} WCU/series; dynalite consumed ${tally.consumedWcu} WCU for its PutItem; requests/series 1/25 in BatchWriteItem, or 1 PutItem`)
  rows.push(['item-per-series', 'any run', 1, (1 / 25).toFixed(2), 'BatchWriteItem=0.04', wcuOf(item), tally.consumedWcu, 0].join(','))
  mkdirSync(out, { recursive: true })
  const csv = join(out, 'dynamo-cost.csv')
  if (!existsSync(csv)) writeFileSync(csv, 'layout,run,series,requests_per_series,requests_by_command,rule_wcu_per_series,dynalite_wcu_per_series,dynalite_rcu_per_series\n')
  appendFileSync(csv, rows.join('\n') + '\n')
  console.log(`written ${csv}`)
} finally {
  await server.close()
}
