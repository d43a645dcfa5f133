/** The DynamoDB code against dynalite, a real DynamoDB-protocol server started here. */
import { test, before, after } from 'node:test'
import assert from 'node:assert/strict'
import { DynamoDBClient } from '@aws-sdk/client-dynamodb'
import { startDynamoServer, testCredentials, type DynamoServer } from '../helpers/servers.js'
import { startFaultProxy } from '../helpers/fault-proxy.js'
import { ensureTable, modelsTableDefinition, predictionsTableDefinition } from '../../jobs/io/dynamo-tables.js'
import { queryPredictions, writePredictions, type PredictionItem } from '../../jobs/io/predictions-table.js'
import { ModelRegistry, RegistryConflictError } from '../../jobs/io/model-registry.js'

let dynamo: DynamoServer
before(async () => {
  dynamo = await startDynamoServer()
  await ensureTable(dynamo.client, 'predictions', predictionsTableDefinition)
  await ensureTable(dynamo.client, 'models', modelsTableDefinition)
  // Idempotent: a second call on an existing table is a no-op.
  await ensureTable(dynamo.client, 'predictions', predictionsTableDefinition)
})
after(async () => dynamo.close())

function items(metricId: string, steps: number, generatedAt: string, runId: string, base: number): PredictionItem[] {
  return Array.from({ length: steps }, (_, h) => ({
    metricId,
    timestamp: new Date(Date.UTC(2024, 0, 29, 14 + h)).toISOString().replace('.000Z', 'Z'),
    value: base + h,
    lower: base + h - 1,
    upper: base + h + 1,
    intervalLevel: 0.95,
    modelVersion: 'v1',
    runId,
    generatedAt,
    ttl: 1_900_000_000,
  }))
}

test('written predictions read back exactly, over several batches', async () => {
  const written = items('G', 60, '2024-01-29T14:00:00Z', 'run-a', 100)
  const report = await writePredictions(dynamo.client, 'predictions', written)
  assert.deepEqual(report, { written: 60, skippedNewer: 0, batchRetries: 0 })
  const read = await queryPredictions(dynamo.client, 'predictions', 'G', written[0].timestamp, written[59].timestamp)
  assert.deepEqual(read, written)
})

test('a rerun of an older run never overwrites a newer forecast; the same run rewrites identical items', async () => {
  const newer = items('R', 10, '2024-01-29T16:00:00Z', 'run-new', 500)
  await writePredictions(dynamo.client, 'predictions', newer)
  const older = items('R', 12, '2024-01-29T14:00:00Z', 'run-old', 1)
  const report = await writePredictions(dynamo.client, 'predictions', older)
  assert.deepEqual(report, { written: 2, skippedNewer: 10, batchRetries: 0 })
  const read = await queryPredictions(dynamo.client, 'predictions', 'R', older[0].timestamp, older[11].timestamp)
  assert.deepEqual(read.slice(0, 10), newer)
  assert.deepEqual(read.slice(10), older.slice(10))
  const again = await writePredictions(dynamo.client, 'predictions', newer)
  assert.equal(again.written, 10)
  assert.deepEqual(await queryPredictions(dynamo.client, 'predictions', 'R', newer[0].timestamp, newer[9].timestamp), newer)
})

test('UnprocessedItems are retried with backoff until every item is stored', async () => {
  // Every BatchWriteItem of two or more items comes back half unprocessed.
  const proxy = await startFaultProxy(dynamo.endpoint, 'dynamodb', 1, { unprocessed: 1 })
  const client = new DynamoDBClient({ endpoint: proxy.endpoint, region: 'us-east-1', credentials: testCredentials })
  try {
    const written = items('A', 50, '2024-01-29T14:00:00Z', 'run-u', 10)
    const report = await writePredictions(client, 'predictions', written)
    assert.equal(report.written, 50)
    assert.ok(report.batchRetries >= 2, `retries ${report.batchRetries}`)
    assert.ok(proxy.counts.unprocessed > 0)
    assert.deepEqual(await queryPredictions(dynamo.client, 'predictions', 'A', written[0].timestamp, written[49].timestamp), written)
  } finally {
    client.destroy()
    await proxy.close()
  }
})

test('expired items are left out when the reader passes the time', async () => {
  const expired = items('S', 2, '2024-01-29T14:00:00Z', 'run-t', 1).map((i) => ({ ...i, ttl: 1000 }))
  await writePredictions(dynamo.client, 'predictions', expired)
  assert.equal((await queryPredictions(dynamo.client, 'predictions', 'S', expired[0].timestamp, expired[1].timestamp, 2000)).length, 0)
  assert.equal((await queryPredictions(dynamo.client, 'predictions', 'S', expired[0].timestamp, expired[1].timestamp)).length, 2)
})

test('registry: approve, conflicting approve, rollback', async () => {
  const registry = new ModelRegistry(dynamo.client, 'models')
  const record = { metricId: 'G', runId: 'r', model: 'ets', backtestMase: 0.5, artifactKey: 'k', createdAt: 't', decision: 'promoted' as const, reason: '' }
  await registry.register({ ...record, version: 'v1' })
  await registry.register({ ...record, version: 'v2' })
  assert.equal(await registry.getApproved('G'), undefined)
  await registry.approve('G', 'v1', undefined, 'test', '2024-01-01T00:00:00Z')
  const first = await registry.getApproved('G')
  assert.equal(first?.version, 'v1')
  // A second writer that still thinks nothing is approved loses cleanly.
  await assert.rejects(registry.approve('G', 'v2', undefined, 'other', '2024-01-01T00:00:01Z'), RegistryConflictError)
  await registry.approve('G', 'v2', first, 'test', '2024-01-02T00:00:00Z')
  const second = await registry.getApproved('G')
  assert.deepEqual([second?.version, second?.previous], ['v2', ['v1']])
  // A stale pointer (first) cannot be used to change it again.
  await assert.rejects(registry.approve('G', 'v1', first, 'stale', '2024-01-03T00:00:00Z'), RegistryConflictError)
  assert.equal(await registry.rollback('G', second!, 'test', '2024-01-03T00:00:00Z'), 'v1')
  assert.deepEqual((await registry.getApproved('G'))?.previous, [])
  assert.deepEqual((await registry.listVersions('G')).map((v) => v.version), ['v1', 'v2'])
})
