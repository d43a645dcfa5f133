/**
 * Contract version 2 against dynalite: the item as stored (attribute names and types, its size by
 * DynamoDB's rule and as dynalite bills it), the one-request read of the newest forecast, backfills
 * and reruns, which contract a series id gets, and the AWS CLI (a reader we did not write) running
 * the exact query docs/contracts.md gives.
 */
import { test, before, after } from 'node:test'
import assert from 'node:assert/strict'
import { execFile, spawnSync } from 'node:child_process'
import { promisify } from 'node:util'
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { GetItemCommand, PutItemCommand, type AttributeValue } from '@aws-sdk/client-dynamodb'
import { ensureTable, forecastsTableDefinition, predictionsTableDefinition } from '../../jobs/io/dynamo-tables.js'
import { readNewestForecast, toForecastAttributes, writeForecast, type ForecastItem } from '../../jobs/io/forecasts-table.js'
import { writeForecastContracts } from '../../jobs/io/forecast-writes.js'
import { queryPredictions } from '../../jobs/io/predictions-table.js'
import { toForecastItem, toPredictionItems } from '../../jobs/infer/prediction-items.js'
import { seriesIdOf } from '../../jobs/core/series-id.js'
import { DataError } from '../../jobs/core/errors.js'
import { startDynamoServer, testCredentials, type DynamoServer } from '../helpers/servers.js'
import { repoRoot } from '../helpers/paths.js'
import { startFaultProxy, type Exchange } from '../helpers/fault-proxy.js'
import { dynamoItemBytes } from '../helpers/dynamo-item-size.js'

const hourMs = 3_600_000
const t0 = Date.UTC(2024, 0, 29, 14)
const table = 'gras-forecasts'
let dynamo: DynamoServer

before(async () => {
  dynamo = await startDynamoServer()
  await ensureTable(dynamo.client, table, forecastsTableDefinition)
  await ensureTable(dynamo.client, 'gras-predictions', predictionsTableDefinition)
})
after(async () => dynamo.close())

/** A 48-step hourly forecast of `seriesId` made at `cutoffMs` by `runId`, as infer builds it. */
function forecastOf(seriesId: string, dimensions: Record<string, string>, cutoffMs: number, runId: string, base = 1000): ForecastItem {
  const mean = Float64Array.from({ length: 48 }, (_, h) => base + 250 * Math.sin(h / 3.8) + h / 7)
  const points = { startMs: cutoffMs, stepMs: hourMs, mean, lower: mean.map((v) => v * 0.8123), upper: mean.map((v) => v * 1.2191), level: 0.95 }
  const metricId = seriesId.split('~')[0]
  return toForecastItem(points, { seriesId, metricId, dimensions, modelVersion: 'v20240129T120000Z-gras-daily-x7k2p', runId, generatedAtMs: cutoffMs, ttlDays: 90 })
}

const getStored = async (seriesId: string, generatedAt: string) =>
  (await dynamo.client.send(new GetItemCommand({ TableName: table, Key: { series_id: { S: seriesId }, generated_at: { S: generatedAt } }, ConsistentRead: true }))).Item

test('the item as stored: one per series and run, named attributes and types, 2 write units', async () => {
  const seriesId = seriesIdOf('R', { region: 'eu' })
  assert.equal(seriesId, 'R~region=eu')
  const forecast = forecastOf(seriesId, { region: 'eu' }, t0, 'run-1')
  const response = await dynamo.client.send(new PutItemCommand({ TableName: table, Item: toForecastAttributes(forecast), ReturnConsumedCapacity: 'TOTAL' }))
  const stored = (await getStored(seriesId, '2024-01-29T14:00:00Z'))!
  const typeOf = (value: AttributeValue) => Object.keys(value).filter((k) => (value as unknown as Record<string, unknown>)[k] !== undefined)[0]
  assert.deepEqual(Object.fromEntries(Object.entries(stored).map(([name, value]) => [name, typeOf(value)]).sort()), {
    contract_version: 'N',
    dimensions: 'M',
    first_step: 'S',
    generated_at: 'S',
    horizon: 'N',
    interval_level: 'N',
    lower: 'L',
    metric_id: 'S',
    model_version: 'S',
    run_id: 'S',
    series_id: 'S',
    step_seconds: 'N',
    ttl: 'N',
    upper: 'L',
    value: 'L',
  })
  assert.equal(stored.contract_version.N, '2')
  assert.deepEqual(stored.dimensions.M, { region: { S: 'eu' } })
  assert.equal(stored.metric_id.S, 'R')
  assert.equal(stored.first_step.S, '2024-01-29T14:00:00Z')
  assert.deepEqual([stored.step_seconds.N, stored.horizon.N], ['3600', '48'])
  for (const list of ['value', 'lower', 'upper']) {
    assert.equal(stored[list].L!.length, 48, list)
    assert.ok(stored[list].L!.every((v) => v.N !== undefined && v.N.replace(/^-|\.|e.*$/g, '').replace(/^0+/, '').length <= 9), `${list}: numbers of at most nine significant digits`)
  }
  assert.equal(stored.ttl.N, String(t0 / 1000 + 90 * 86_400))
  // Size by DynamoDB's documented rule, and what dynalite bills for it: the same write units.
  const bytes = dynamoItemBytes(stored)
  assert.ok(bytes > 1024 && bytes < 2048, `${bytes} B`)
  assert.equal(response.ConsumedCapacity?.CapacityUnits, Math.ceil(bytes / 1024))
})

test('a metric without dimensions: the series id is the metric id and dimensions an empty map', async () => {
  await writeForecast(dynamo.client, table, forecastOf('G', {}, t0, 'run-1'))
  const stored = (await getStored('G', '2024-01-29T14:00:00Z'))!
  assert.deepEqual([stored.series_id.S, stored.metric_id.S, stored.dimensions.M], ['G', 'G', {}])
})

test('the newest forecast is one Query; a backfill never replaces it; a rerun writes the identical item', async () => {
  const seriesId = seriesIdOf('A', { channel: 'web', region: 'us east' })
  const dims = { channel: 'web', region: 'us east' }
  const older = forecastOf(seriesId, dims, t0, 'hourly-14', 1)
  const newer = forecastOf(seriesId, dims, t0 + hourMs, 'hourly-15', 2)
  assert.deepEqual(await writeForecast(dynamo.client, table, older), { outcome: 'written' })
  assert.deepEqual(await writeForecast(dynamo.client, table, newer), { outcome: 'written' })
  // A backfill as of the day before: its own key, older than both.
  const backfill = forecastOf(seriesId, dims, t0 - 24 * hourMs, 'backfill-1', 3)
  assert.deepEqual(await writeForecast(dynamo.client, table, backfill), { outcome: 'written' })

  let requests = 0
  dynamo.client.middlewareStack.add((next) => async (args) => (requests++, next(args)), { step: 'initialize', name: 'countForecastReads' })
  try {
    assert.deepEqual(await readNewestForecast(dynamo.client, table, seriesId), newer)
    assert.equal(requests, 1, 'one request')
  } finally {
    dynamo.client.middlewareStack.remove('countForecastReads')
  }
  // Each run's item is still there, untouched by the others.
  assert.deepEqual(await getStored(seriesId, older.generatedAt), toForecastAttributes(older))
  assert.deepEqual(await getStored(seriesId, backfill.generatedAt), toForecastAttributes(backfill))

  // The same run again (an Argo retry): the identical item, not a replacement.
  assert.deepEqual(await writeForecast(dynamo.client, table, newer), { outcome: 'written' })
  assert.deepEqual(await getStored(seriesId, newer.generatedAt), toForecastAttributes(newer))
  // Expired (ttl passed, not yet deleted): the reader that passes the time sees none.
  assert.equal(await readNewestForecast(dynamo.client, table, seriesId, newer.ttl), undefined)
  assert.equal(await readNewestForecast(dynamo.client, table, 'A~channel=none'), undefined)
})

test('another run at the same cutoff replaces the item only through the explicit second write, which names the replaced run', async () => {
  const scheduled = forecastOf('S', {}, t0, 'refresh-14', 10)
  const manual = forecastOf('S', {}, t0, 'manual-rerun', 20)
  await writeForecast(dynamo.client, table, scheduled)
  // The first, conditional write refuses: the key holds another run's item.
  await assert.rejects(
    dynamo.client.send(new PutItemCommand({ TableName: table, Item: toForecastAttributes(manual), ConditionExpression: 'attribute_not_exists(series_id) OR run_id = :run', ExpressionAttributeValues: { ':run': { S: manual.runId } } })),
    (error: Error) => error.name === 'ConditionalCheckFailedException',
  )
  assert.deepEqual(await writeForecast(dynamo.client, table, manual), { outcome: 'replaced', replacedRunId: 'refresh-14' })
  assert.deepEqual(await readNewestForecast(dynamo.client, table, 'S'), manual)
})

test('version 1 is written for a series without dimensions while switched on, never for one with dimensions', async () => {
  const tables = { forecastsTable: table, predictionsTable: 'gras-predictions', writePredictionsV1: true }
  const plain = forecastOf('N', {}, t0, 'run-v1')
  const plainWrites = await writeForecastContracts(dynamo.client, tables, plain, toPredictionItems(plain))
  assert.deepEqual(plainWrites.v1, { written: 48, skippedNewer: 0, batchRetries: 0 })
  const steps = await queryPredictions(dynamo.client, 'gras-predictions', 'N', '0', '9')
  assert.deepEqual(steps, toPredictionItems(plain))
  assert.deepEqual(steps.map((s) => s.value), plain.value, 'the same numbers in both contracts')

  const split = forecastOf(seriesIdOf('N', { region: 'eu' }), { region: 'eu' }, t0 + hourMs, 'run-v1')
  const splitWrites = await writeForecastContracts(dynamo.client, tables, split, toPredictionItems(split))
  assert.equal(splitWrites.v1, undefined)
  assert.deepEqual(await readNewestForecast(dynamo.client, table, 'N~region=eu'), split)
  assert.equal((await queryPredictions(dynamo.client, 'gras-predictions', 'N', '0', '9')).length, 48, 'nothing of the series with dimensions under the metric key')

  const off = forecastOf('M', {}, t0, 'run-v2-only')
  assert.equal((await writeForecastContracts(dynamo.client, { ...tables, writePredictionsV1: false }, off, toPredictionItems(off))).v1, undefined)
  assert.equal((await queryPredictions(dynamo.client, 'gras-predictions', 'M', '0', '9')).length, 0)
  assert.deepEqual(await readNewestForecast(dynamo.client, table, 'M'), off)
})

test('a malformed item is a DataError naming the table, the key and the field', async () => {
  const broken = { ...toForecastAttributes(forecastOf('B', {}, t0, 'run-x')), horizon: { N: '47' } }
  await dynamo.client.send(new PutItemCommand({ TableName: table, Item: broken }))
  await assert.rejects(readNewestForecast(dynamo.client, table, 'B'), (error: Error) => {
    assert.ok(error instanceof DataError, String(error))
    assert.match(error.message, /gras-forecasts item series_id=B generated_at=2024-01-29T14:00:00Z/)
    assert.match(error.message, /horizon/)
    return true
  })
})

/** The shell command of docs/contracts.md's AWS CLI example, split into its arguments as a shell would. */
function documentedCliQuery(): string[] {
  const doc = readFileSync(join(repoRoot, 'docs/contracts.md'), 'utf8')
  const block = /```sh\n(aws dynamodb query[\s\S]*?)```/.exec(doc)?.[1]
  assert.ok(block, 'docs/contracts.md has an ```sh block with the aws dynamodb query')
  const line = block.replace(/\\\n\s*/g, ' ').trim()
  const args: string[] = []
  for (const match of line.matchAll(/'([^']*)'|"([^"]*)"|(\S+)/g)) args.push(match[1] ?? match[2] ?? match[3])
  return args
}

const hasAws = spawnSync('aws', ['--version']).status === 0

test('the AWS CLI reads the newest forecast with the query docs/contracts.md gives', { skip: !hasAws && 'the aws CLI is not installed (Debian package awscli)' }, async () => {
  const seriesId = seriesIdOf('R', { region: 'eu' })
  const newer = forecastOf(seriesId, { region: 'eu' }, t0 + 2 * hourMs, 'hourly-16', 5)
  await writeForecast(dynamo.client, table, newer)
  await writeForecast(dynamo.client, table, forecastOf(seriesId, { region: 'eu' }, t0 - 48 * hourMs, 'backfill-2', 6))
  const [command, ...args] = documentedCliQuery()
  // The Java example next to it asks the same.
  const doc = readFileSync(join(repoRoot, 'docs/contracts.md'), 'utf8')
  for (const call of ['.tableName("gras-forecasts")', '.keyConditionExpression("series_id = :s")', '.scanIndexForward(false)', '.limit(1)']) assert.ok(doc.includes(call), call)
  assert.equal(command, 'aws')
  assert.ok(args.includes('--no-scan-index-forward') && args.join(' ').includes('--page-size 1 --max-items 1'), args.join(' '))
  // Through a proxy that records what the CLI sends (no faults), so the one request is seen.
  const sent: Exchange[] = []
  const proxy = await startFaultProxy(dynamo.endpoint, 'dynamodb', 1, {}, (exchange) => sent.push(exchange))
  // Asynchronous: dynalite answers from this process's event loop.
  const result = await promisify(execFile)(command, [...args, '--endpoint-url', proxy.endpoint, '--output', 'json'], {
    encoding: 'utf8',
    timeout: 60_000,
    env: { ...process.env, AWS_ACCESS_KEY_ID: testCredentials.accessKeyId, AWS_SECRET_ACCESS_KEY: testCredentials.secretAccessKey, AWS_DEFAULT_REGION: 'us-east-1', AWS_CONFIG_FILE: '/dev/null', AWS_SHARED_CREDENTIALS_FILE: '/dev/null' },
  }).finally(() => proxy.close())
  assert.deepEqual(sent.map((e) => e.headers['x-amz-target']), ['DynamoDB_20120810.Query'], 'one request, a Query')
  const query = JSON.parse(sent[0].body.toString()) as Record<string, unknown>
  assert.deepEqual([query.TableName, query.KeyConditionExpression, query.ScanIndexForward, query.Limit], ['gras-forecasts', 'series_id = :s', false, 1])
  const output = JSON.parse(result.stdout) as { Items: Record<string, AttributeValue>[]; Count: number }
  assert.equal(output.Count, 1)
  assert.deepEqual(output.Items[0], toForecastAttributes(newer))
})
