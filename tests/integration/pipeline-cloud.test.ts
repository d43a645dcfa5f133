/**
 * The cloud code path end to end: the lake in S3 (s3rver) and the tables in DynamoDB (dynalite as a
 * separate endpoint), configured only through the AWS SDK's own environment variables.
 */
import { test, before, after } from 'node:test'
import assert from 'node:assert/strict'
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { PutObjectCommand } from '@aws-sdk/client-s3'
import { runCli } from '../helpers/run-cli.js'
import { configDir, fixturesDir, tempDir } from '../helpers/paths.js'
import { startDynamoServer, startS3Server, testCredentials, type DynamoServer, type S3Server } from '../helpers/servers.js'
import { queryPredictions } from '../../jobs/io/predictions-table.js'
import { ModelRegistry } from '../../jobs/io/model-registry.js'
import { S3ObjectStore } from '../../jobs/io/s3-store.js'

let s3: S3Server
let dynamo: DynamoServer
let env: Record<string, string>
// Distinctive credentials (s3rver and dynalite accept any): no log line may contain them.
const secretKey = 'gRaS-SeCrEt-wJalrXUtnFEMI-K7MDENG'
const sessionToken = 'gRaS-SeSsIoN-ToKeN-IQoJb3JpZ2luX2Vj'
const cwd = tempDir('e2e-cloud')
const asOfMs = Math.floor(Date.now() / 86_400_000) * 86_400_000
const iso = (ms: number) => new Date(ms).toISOString().replace('.000Z', 'Z')

before(async () => {
  s3 = await startS3Server()
  dynamo = await startDynamoServer()
  await s3.createBucket('gras-lake')
  env = {
    GRAS_CONFIG: configDir,
    GRAS_LAKE: 's3://gras-lake/prod',
    AWS_ENDPOINT_URL_S3: s3.endpoint,
    AWS_ENDPOINT_URL_DYNAMODB: dynamo.endpoint,
    AWS_REGION: 'eu-west-1',
    AWS_ACCESS_KEY_ID: testCredentials.accessKeyId,
    AWS_SECRET_ACCESS_KEY: secretKey,
    AWS_SESSION_TOKEN: sessionToken,
    GRAS_LOG_LEVEL: 'debug',
  }
})
after(async () => {
  await s3.close()
  await dynamo.close()
})

test('demo data and a pipeline run against S3 and DynamoDB endpoints', async () => {
  const demo = await runCli(['demo-data', '--days', '21', '--end', iso(asOfMs)], { cwd, env })
  assert.equal(demo.code, 0, demo.stderr)
  // A foreign-writer file in a day outside the window must not be read at all.
  await s3.client.send(
    new PutObjectCommand({
      Bucket: 'gras-lake',
      Key: 'prod/bronze/gras/metric=G/year=2024/month=01/day=29/duckdb.parquet',
      Body: readFileSync(join(fixturesDir, 'foreign/duckdb-snappy-micros-double.parquet')),
    }),
  )
  const run = await runCli(['pipeline', '--metrics', 'G,S', '--as-of', iso(asOfMs), '--run-id', 'cloud-1'], { cwd, env })
  assert.equal(run.code, 0, run.stderr)
  const features = run.logs.filter((l) => l.msg === 'features written')
  assert.deepEqual(features.map((l) => [l.metric, l.files]), [['G', 42], ['S', 42]])

  const items = await queryPredictions(dynamo.client, 'gras-predictions', 'G', iso(asOfMs), iso(asOfMs + 3 * 86_400_000))
  assert.equal(items.length, 48)
  assert.ok(items.every((i) => i.lower <= i.value && i.value <= i.upper && i.runId === 'cloud-1'))
  const approved = await new ModelRegistry(dynamo.client, 'gras-models').getApproved('S')
  assert.ok(approved?.version.includes('cloud-1'))

  const lake = new S3ObjectStore(s3.client, 'gras-lake', 'prod')
  const keys = (await lake.list('')).map((o) => o.key)
  assert.ok(keys.includes('silver/gras/features/metric=G/_manifest.json'))
  assert.ok(keys.includes('models/metric=S/run=cloud-1/group=1of1.json'), 'one models pack per group and run')
  assert.ok(keys.some((k) => k.startsWith('predictions/metric=G/date=') && k.endsWith('/cloud-1.parquet')))
  assert.ok(!existsLocally(join(cwd, '.gras')), 'nothing embedded was used')
  for (const output of [demo.stdout, demo.stderr, run.stdout, run.stderr]) {
    assert.ok(!output.includes(secretKey) && !output.includes(sessionToken), 'credentials never reach the logs')
  }
  assert.ok(run.logs.some((l) => l.level === 'debug'), 'debug logging was on')
})

function existsLocally(path: string): boolean {
  try {
    readFileSync(join(path, 'x'))
    return true
  } catch (error) {
    return (error as NodeJS.ErrnoException).code !== 'ENOENT'
  }
}
