/**
 * A bad night, reproduced: the same pipeline run twice, once directly against s3rver and dynalite and
 * once through fault-injecting proxies (S3 503/500, connection resets, delays, read-after-list 404s,
 * DynamoDB throttling, 500s and partial UnprocessedItems, on a seeded schedule). The faulty run must
 * end with exactly the clean run's lake objects, predictions and registry.
 */
import { test, before, after } from 'node:test'
import assert from 'node:assert/strict'
import { runCli } from '../helpers/run-cli.js'
import { configDir, tempDir } from '../helpers/paths.js'
import { startDynamoServer, startS3Server, testCredentials, type DynamoServer, type S3Server } from '../helpers/servers.js'
import { startFaultProxy, type FaultProxy } from '../helpers/fault-proxy.js'
import { S3ObjectStore } from '../../jobs/io/s3-store.js'
import { queryPredictions } from '../../jobs/io/predictions-table.js'
import { ModelRegistry } from '../../jobs/io/model-registry.js'

export const faultSeed = Number(process.env.GRAS_FAULT_SEED ?? 20261126)
let s3: S3Server
let cleanDynamo: DynamoServer
let faultyDynamo: DynamoServer
let s3Proxy: FaultProxy
let dynamoProxy: FaultProxy
const day = 86_400_000
const asOf = new Date(Math.floor(Date.now() / day) * day).toISOString().replace('.000Z', 'Z')

before(async () => {
  s3 = await startS3Server()
  await s3.createBucket('clean')
  await s3.createBucket('faulty')
  cleanDynamo = await startDynamoServer()
  faultyDynamo = await startDynamoServer()
  s3Proxy = await startFaultProxy(s3.endpoint, 's3', faultSeed, { slowDown: 0.05, serverError: 0.03, reset: 0.02, delay: 0.05, notYetVisible: 0.3, guaranteed: ['reset', 'slowDown', 'serverError', 'delay'] })
  dynamoProxy = await startFaultProxy(faultyDynamo.endpoint, 'dynamodb', faultSeed + 1, { throttle: 0.06, serverError: 0.03, reset: 0.02, delay: 0.05, unprocessed: 0.4, guaranteed: ['reset', 'throttle', 'serverError', 'delay'] })
})
after(async () => {
  await s3Proxy.close()
  await dynamoProxy.close()
  await s3.close()
  await cleanDynamo.close()
  await faultyDynamo.close()
})

function environment(bucket: string, s3Endpoint: string, dynamoEndpoint: string): Record<string, string> {
  return {
    GRAS_CONFIG: configDir,
    GRAS_LAKE: `s3://${bucket}/gras`,
    AWS_ENDPOINT_URL_S3: s3Endpoint,
    AWS_ENDPOINT_URL_DYNAMODB: dynamoEndpoint,
    AWS_REGION: 'us-east-1',
    AWS_ACCESS_KEY_ID: testCredentials.accessKeyId,
    AWS_SECRET_ACCESS_KEY: testCredentials.secretAccessKey,
    // The SDK's own retry settings; 10 attempts ride out the injected fault rates.
    AWS_MAX_ATTEMPTS: '10',
  }
}

async function runAll(env: Record<string, string>): Promise<void> {
  const cwd = tempDir('faults')
  const demo = await runCli(['demo-data', '--days', '21', '--end', asOf, '--seed', '3'], { cwd, env })
  assert.equal(demo.code, 0, demo.stderr)
  const run = await runCli(['pipeline', '--metrics', 'G,S', '--as-of', asOf, '--run-id', 'night-1'], { cwd, env, timeoutMs: 240_000 })
  assert.equal(run.code, 0, run.stderr + run.stdout.slice(-2000))
}

async function snapshot(bucket: string, dynamo: DynamoServer): Promise<{ objects: Record<string, string>; predictions: unknown[]; registry: unknown[] }> {
  const lake = new S3ObjectStore(s3.client, bucket, 'gras')
  const objects: Record<string, string> = {}
  for (const info of await lake.list('')) {
    // Neural checkpoints are work files stamped with their save time (see crash-safety.test.ts).
    if (info.key.startsWith('checkpoints/')) continue
    const bytes = Buffer.from((await lake.get(info.key))!)
    // A day cache records when S3 saw each bronze object written: another time in the other bucket.
    objects[info.key] = info.key.startsWith('silver/gras/days/') && info.key.endsWith('_manifest.json') ? bytes.toString().replace(/"lastModifiedMs": [0-9.e+]+/g, '"lastModifiedMs": -') : bytes.toString('base64')
  }
  const predictions = []
  const registry = []
  const models = new ModelRegistry(dynamo.client, 'gras-models')
  for (const metric of ['G', 'S', '_neural']) {
    predictions.push(...(await queryPredictions(dynamo.client, 'gras-predictions', metric, '0', '9')))
    registry.push(...(await models.listVersions(metric)).map(({ createdAt: _createdAt, ...rest }) => rest), (await models.getApproved(metric))?.version)
  }
  return { objects, predictions, registry }
}

test('a pipeline run through injected S3 and DynamoDB faults ends exactly like a clean run', { timeout: 600_000 }, async () => {
  await runAll(environment('clean', s3.endpoint, cleanDynamo.endpoint))
  await runAll(environment('faulty', s3Proxy.endpoint, dynamoProxy.endpoint))
  const clean = await snapshot('clean', cleanDynamo)
  const faulty = await snapshot('faulty', faultyDynamo)
  assert.ok(clean.predictions.length === 72, `clean run wrote ${clean.predictions.length} items (expected 48 + 24)`)
  assert.deepEqual(faulty.predictions, clean.predictions, 'no prediction lost, duplicated or changed')
  assert.deepEqual(faulty.registry, clean.registry, 'the same registry')
  assert.deepEqual(Object.keys(faulty.objects).sort(), Object.keys(clean.objects).sort(), 'the same lake objects')
  const differing = Object.keys(clean.objects).filter((key) => faulty.objects[key] !== clean.objects[key])
  assert.deepEqual(differing, [], 'every lake object is identical')
  for (const kind of ['slowDown', 'serverError', 'reset', 'delay', 'notYetVisible'] as const) assert.ok(s3Proxy.counts[kind] > 0, `S3 ${kind} injected`)
  for (const kind of ['throttle', 'serverError', 'reset', 'unprocessed'] as const) assert.ok(dynamoProxy.counts[kind] > 0, `DynamoDB ${kind} injected`)
  console.log(JSON.stringify({ seed: faultSeed, s3: s3Proxy.counts, dynamodb: dynamoProxy.counts, s3Requests: s3Proxy.requests, dynamoRequests: dynamoProxy.requests }))
})
