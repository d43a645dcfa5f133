/**
 * DynamoDB cost of a run's writes per series (node dist/bench/dynamo-cost.js [series]), against
 * dynalite: the infer job's requests for one series (its lease, the approved-model read, the
 * predictions writes) counted by command, and their write units as dynalite bills them
 * (ReturnConsumedCapacity: TOTAL, added to every request) beside DynamoDB's documented rule
 * computed from the item sizes (tests/helpers/dynamo-item-size.ts: one WCU per started KB of each
 * item written). Three layouts, each over two runs (a first one on new keys, and the next hour's,
 * whose horizon overlaps the first's by 47 steps):
 *   v1      contract version 1 alone, one item per step (what infer wrote before version 2);
 *   v2      contract version 2 alone, one item per series and run (dynamodb.writePredictionsV1 off);
 *   v1+v2   both, as infer writes them by default.
 * Prints the ratio of v1 to v2 and appends CSV to bench/results/dynamo-cost.csv.
 */
import { appendFileSync, existsSync, mkdirSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { PutItemCommand, type DynamoDBClient } from '@aws-sdk/client-dynamodb'
import { startDynamoServer } from '../tests/helpers/servers.js'
import { dynamoItemBytes, writeUnitsOf } from '../tests/helpers/dynamo-item-size.js'
import { ensureTable, forecastsTableDefinition, modelsTableDefinition, predictionsTableDefinition } from '../jobs/io/dynamo-tables.js'
import { toAttributes, writePredictions } from '../jobs/io/predictions-table.js'
import { toForecastAttributes } from '../jobs/io/forecasts-table.js'
import { writeForecastContracts } from '../jobs/io/forecast-writes.js'
import { toForecastItem, toPredictionItems } from '../jobs/infer/prediction-items.js'
import { acquireLease, withLease } from '../jobs/io/lease-lock.js'
import { ModelRegistry } from '../jobs/io/model-registry.js'

const series = Number(process.argv[2] ?? 50)
const horizon = 48
const hourMs = 3_600_000
const out = 'bench/results'
const t0 = Date.UTC(2024, 1, 1)

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

/** A realistic 48-step hourly forecast of `seriesId` as infer builds it (nine significant digits). */
function forecastOf(seriesId: string, startMs: number, runId: string, digits?: number) {
  const mean = Float64Array.from({ length: horizon }, (_, h) => 1000 + 250 * Math.sin((h + startMs / hourMs) / 3.8) + seriesId.length)
  const points = { startMs, stepMs: hourMs, mean, lower: mean.map((v) => v * 0.8123), upper: mean.map((v) => v * 1.2191), level: 0.95 }
  const forecast = toForecastItem(points, { seriesId, metricId: seriesId, dimensions: {}, modelVersion: 'v20240131T230000Z-gras-pipeline-x7k2p', runId, generatedAtMs: startMs, ttlDays: 90 })
  if (digits === undefined) return forecast
  const round = (list: number[]) => list.map((v) => Number(v.toPrecision(digits)))
  return { ...forecast, value: round(forecast.value), lower: round(forecast.lower), upper: round(forecast.upper) }
}

type Layout = 'v1' | 'v2' | 'v1+v2'

interface Measured {
  layout: Layout
  run: string
  requestsPerSeries: number
  byCommand: string
  ruleWcuPerSeries: number
  consumedWcuPerSeries: number
  consumedRcuPerSeries: number
  itemBytes: number
}

const server = await startDynamoServer()
try {
  const client = server.client
  const rows: Measured[] = []
  for (const layout of ['v1', 'v2', 'v1+v2'] as const) {
    const suffix = layout.replace('+', '-')
    const tables = { forecastsTable: `forecasts-${suffix}`, predictionsTable: `predictions-${suffix}`, writePredictionsV1: layout !== 'v2' }
    const modelsTable = `models-${suffix}`
    await ensureTable(client, tables.forecastsTable, forecastsTableDefinition)
    await ensureTable(client, tables.predictionsTable, predictionsTableDefinition)
    await ensureTable(client, modelsTable, modelsTableDefinition)
    const registry = new ModelRegistry(client, modelsTable)
    const tally = instrument(client)
    for (const [run, startMs] of [['first run', t0], ['next hour', t0 + hourMs]] as const) {
      tally.requests.clear()
      tally.consumedWcu = 0
      tally.consumedRcu = 0
      let ruleWcu = 0
      let bytes = 0
      let items = 0
      for (let s = 0; s < series; s++) {
        const seriesId = `m4_H${s + 1}`
        const forecast = forecastOf(seriesId, startMs, `run-${run.replace(' ', '-')}`)
        const steps = toPredictionItems(forecast)
        await registry.getApproved(seriesId)
        const lock = acquireLease(client, { table: modelsTable, metricId: seriesId, job: 'infer', owner: `run-${run}`, nowMs: Date.now(), leaseMs: 15 * 60_000 })
        await withLease<unknown>(lock, () => (layout === 'v1' ? writePredictions(client, tables.predictionsTable, steps) : writeForecastContracts(client, tables, forecast, steps)))
        const written = [...(layout === 'v2' ? [] : steps.map(toAttributes)), ...(layout === 'v1' ? [] : [toForecastAttributes(forecast)])]
        for (const item of written) {
          ruleWcu += writeUnitsOf(item)
          bytes += dynamoItemBytes(item)
        }
        items += written.length
      }
      const requests = [...tally.requests.values()].reduce((a, b) => a + b, 0)
      const measured: Measured = {
        layout,
        run,
        requestsPerSeries: requests / series,
        byCommand: [...tally.requests].map(([c, n]) => `${c}=${(n / series).toFixed(2)}`).join(' '),
        ruleWcuPerSeries: ruleWcu / series,
        consumedWcuPerSeries: tally.consumedWcu / series,
        consumedRcuPerSeries: tally.consumedRcu / series,
        itemBytes: bytes / items,
      }
      rows.push(measured)
      console.log(
        `${layout.padEnd(5)} ${run}: ${measured.requestsPerSeries.toFixed(2)} requests/series (${measured.byCommand}); items of ${measured.itemBytes.toFixed(0)} B; ` +
          `rule ${measured.ruleWcuPerSeries.toFixed(1)} WCU/series for the predictions; dynalite consumed ${measured.consumedWcuPerSeries.toFixed(1)} WCU + ${measured.consumedRcuPerSeries.toFixed(1)} RCU per series (lease and registry included)`,
      )
    }
    client.middlewareStack.remove('countRequests')
  }
  const of = (layout: Layout, run: string) => rows.find((r) => r.layout === layout && r.run === run)!
  for (const run of ['first run', 'next hour']) {
    const v1 = of('v1', run)
    const v2 = of('v2', run)
    console.log(
      `${run}: v1 / v2 = ${(v1.ruleWcuPerSeries / v2.ruleWcuPerSeries).toFixed(1)}x write units by the rule (predictions alone), ` +
        `${(v1.consumedWcuPerSeries / v2.consumedWcuPerSeries).toFixed(1)}x consumed with the lease, ${(v1.requestsPerSeries / v2.requestsPerSeries).toFixed(1)}x requests`,
    )
  }
  // Would fewer digits bring the version 2 item under 1 KB (one write unit)?
  // dynalite sizes numbers by their base-100 encoding (digit pairs aligned to the decimal point), so
  // it can bill more than the documented approximation; values near 1 and near 1,000 differ.
  for (const digits of [9, 7, 6, 5]) {
    for (const scale of [1, 0.001]) {
      const forecast = forecastOf('m4_H1', t0, 'run-first-run', digits)
      const scaled = { ...forecast, value: forecast.value.map((v) => Number((v * scale).toPrecision(digits))), lower: forecast.lower.map((v) => Number((v * scale).toPrecision(digits))), upper: forecast.upper.map((v) => Number((v * scale).toPrecision(digits))) }
      const item = toForecastAttributes(scaled)
      const put = await client.send(new PutItemCommand({ TableName: 'forecasts-v2', Item: item, ReturnConsumedCapacity: 'TOTAL' }))
      console.log(`v2 item at ${digits} significant digits, values near ${1000 * scale}: ${dynamoItemBytes(item)} B, ${writeUnitsOf(item)} WCU by the rule, ${put.ConsumedCapacity?.CapacityUnits} consumed (dynalite)`)
    }
  }
  mkdirSync(out, { recursive: true })
  const csv = join(out, 'dynamo-cost.csv')
  const header = 'layout,run,series,requests_per_series,requests_by_command,item_bytes,rule_wcu_per_series,dynalite_wcu_per_series,dynalite_rcu_per_series'
  if (!existsSync(csv)) writeFileSync(csv, header + '\n')
  appendFileSync(
    csv,
    rows.map((r) => [r.layout, r.run, series, r.requestsPerSeries.toFixed(2), r.byCommand.replaceAll(' ', ';'), r.itemBytes.toFixed(0), r.ruleWcuPerSeries.toFixed(2), r.consumedWcuPerSeries.toFixed(2), r.consumedRcuPerSeries.toFixed(2)].join(',')).join('\n') + '\n',
  )
  console.log(`written ${csv}`)
} finally {
  await server.close()
}
