/**
 * IAM from behaviour: the built CLI runs every job end to end against s3rver and dynalite, each job
 * through its own recording proxies (as each runs under its own IRSA role), and every AWS request
 * it makes is held against that job's policy as Terraform renders it from terraform/*.tf (parsed
 * by HashiCorp's HCL parser). Every request must be allowed, and every action, resource and
 * s3:prefix value of every policy must be used by some request, unless listed below with why.
 */
import { test, before, after, type TestContext } from 'node:test'
import assert from 'node:assert/strict'
import { cpSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { DynamoDBClient, PutItemCommand } from '@aws-sdk/client-dynamodb'
import { ListObjectsV2Command, PutObjectCommand } from '@aws-sdk/client-s3'
import { runCli, type CliResult } from '../helpers/run-cli.js'
import { configDir, repoRoot, tempDir } from '../helpers/paths.js'
import { startDynamoServer, startS3Server, testCredentials, type DynamoServer, type S3Server } from '../helpers/servers.js'
import { startAwsCallRecorder, type AwsCallRecorder } from '../helpers/aws-call-recorder.js'
import { iamRequestsOf, type IamRequest } from '../helpers/iam-requests.js'
import { evaluate, unusedGrants, type PolicyDocument, type StatementMatch } from '../helpers/iam-policy.js'
import { loadTerraform, type Role, type Terraform } from '../helpers/iam-terraform.js'
import { accuracyTableDefinition, ensureTable, forecastsTableDefinition, modelsTableDefinition, predictionsTableDefinition } from '../../jobs/io/dynamo-tables.js'
import { queryPredictions } from '../../jobs/io/predictions-table.js'
import { queryAccuracy } from '../../jobs/io/accuracy-table.js'
import { ModelRegistry } from '../../jobs/io/model-registry.js'
import { bronzeDayPrefix } from '../../jobs/core/lake-layout.js'

const accountId = '111122223333'
const lakeKeyArn = `arn:aws:kms:eu-west-1:${accountId}:key/0a1b2c3d-lake`
const oidcIssuer = 'oidc.eks.eu-west-1.amazonaws.com/id/EXAMPLED539D4633E53DE1B71EXAMPLE'
const oidcProviderArn = `arn:aws:iam::${accountId}:oidc-provider/${oidcIssuer}`
const bucket = 'acme-gras-lake'
const lakePrefix = 'gras'
const jobs = ['features', 'infer', 'monitor', 'train', 'train-neural']
const day = 86_400_000
const endMs = Math.floor(Date.now() / day) * day
const iso = (ms: number) => new Date(ms).toISOString().replace('.000Z', 'Z')

/**
 * The policies each recorded principal is held against. `gras models` is an operator's command
 * run with the registry writer's grants (the train role); `demo-data` stands in for the Java
 * application writing bronze (the lake bucket's policy names its role); `java-reader` makes the
 * Java application's reads (`gras predictions`, which reads the forecasts table as
 * docs/contracts.md's query does, the version 1 predictions query, and the accuracy query).
 */
const rolePrincipals: Record<string, string[]> = {
  features: ['features'],
  train: ['train', 'models'],
  'train-neural': ['train-neural'],
  infer: ['infer'],
  monitor: ['monitor'],
}

/** Grants no gras command exercises, and why they are there. */
const unexercised: Record<string, string> = {
  'JavaReadsForecastsAndAccuracy: action dynamodb:GetItem': 'the Java application looks items up by key; gras only queries these tables',
}

let s3: S3Server
let dynamo: DynamoServer
let recorder: AwsCallRecorder
let terraform: Terraform
let roles: Map<string, Role>
let baseEnv: Record<string, string>
const cwd = tempDir('iam')

before(async () => {
  s3 = await startS3Server()
  dynamo = await startDynamoServer()
  await s3.createBucket(bucket)
  // Terraform owns the tables in AWS, so the jobs run as they do there: createTables off.
  for (const [name, definition] of [['gras-forecasts', forecastsTableDefinition], ['gras-predictions', predictionsTableDefinition], ['gras-models', modelsTableDefinition], ['gras-accuracy', accuracyTableDefinition]] as const) {
    await ensureTable(dynamo.client, name, definition)
  }
  const config = tempDir('iam-config')
  cpSync(configDir, config, { recursive: true })
  writeFileSync(join(config, 'zz-cloud.yaml'), 'dynamodb:\n  createTables: false\n')
  recorder = startAwsCallRecorder({ s3: s3.endpoint, dynamodb: dynamo.endpoint })
  baseEnv = {
    GRAS_CONFIG: config,
    GRAS_LAKE: `s3://${bucket}/${lakePrefix}`,
    AWS_REGION: 'eu-west-1',
    AWS_ACCESS_KEY_ID: testCredentials.accessKeyId,
    AWS_SECRET_ACCESS_KEY: testCredentials.secretAccessKey,
  }
  terraform = await loadTerraform(join(repoRoot, 'terraform'), {
    variables: { lake_bucket_name: bucket, lake_prefix: lakePrefix },
    accountId,
    knownAfterApply: { 'aws_kms_key.lake.arn': lakeKeyArn, 'module.eks.oidc_provider_arn': oidcProviderArn, 'module.eks.cluster_oidc_issuer_url': `https://${oidcIssuer}` },
  })
  roles = await terraform.roles()
})
after(async () => {
  await recorder.close()
  await s3.close()
  await dynamo.close()
})

async function run(principal: string, args: string[], expectedCodes = [0], allowText = false): Promise<CliResult> {
  const result = await runCli(args, { cwd, env: { ...baseEnv, ...(await recorder.endpointEnv(principal)) }, timeoutMs: 180_000, allowText })
  assert.ok(expectedCodes.includes(result.code), `${principal}: gras ${args.join(' ')} exited ${result.code}\n${result.stderr}\n${result.stdout.slice(-3000)}`)
  return result
}

const requestsOf = (principal: string): IamRequest[] =>
  recorder.exchanges.filter((e) => e.principal === principal).flatMap((e) => iamRequestsOf(e, { accountId, lakeKeyArn }))

test('a run of every job, lease contention and a rollback, recorded per job', { timeout: 600_000 }, async () => {
  const metrics = ['--metrics', 'G,S']
  const asOf = (ms: number) => ['--as-of', iso(ms)]
  await run('bronze-writer', ['demo-data', '--days', '21', '--end', iso(endMs)])
  // A file that is not Parquet: features quarantines it (a copy and a reason file).
  await s3.client.send(new PutObjectCommand({ Bucket: bucket, Key: `${lakePrefix}/${bronzeDayPrefix('G', endMs - 3 * day)}/broken.parquet`, Body: 'not parquet' }))
  // Forecast as of yesterday, then build today's features: the monitor then has a served day with actuals.
  const features = await run('features', ['features', ...metrics, ...asOf(endMs - day), '--run-id', 'feat-1'], [0, 65])
  assert.ok(features.logs.some((l) => l.msg === 'file quarantined'), 'the broken file was quarantined')
  await run('train-neural', ['train-neural', ...metrics, ...asOf(endMs - day), '--run-id', 'neural-1', '--epochs', '2', '--members', '1', '--checkpoint-every', '1'])
  await run('train', ['train', ...metrics, ...asOf(endMs - day), '--run-id', 'train-1'])
  await run('infer', ['infer', ...metrics, ...asOf(endMs - day), '--run-id', 'infer-1'])
  await run('features', ['features', ...metrics, ...asOf(endMs), '--run-id', 'feat-2'], [0, 65])
  const monitor = await run('monitor', ['monitor', ...metrics, ...asOf(endMs), '--run-id', 'monitor-1'])
  assert.ok(monitor.logs.some((l) => l.msg === 'accuracy computed' && (l.days as number) >= 1), 'the monitor scored a served day')

  // Sharded, as the workflow runs it: features before any plan exists (metrics placed by id), the
  // plan step under the features role, then each job on one shard of that plan.
  await run('features', ['features', '--shard', '0/2', ...asOf(endMs), '--run-id', 'feat-shard-0'], [0, 65])
  const plan = await run('features', ['plan', '--shards', '2', ...metrics, ...asOf(endMs), '--run-id', 'plan-1'])
  assert.equal((JSON.parse(plan.stdout) as unknown[]).length, 2)
  for (const job of ['features', 'train', 'infer', 'monitor']) {
    await run(job, [job, '--shard', '1/2', '--plan', 'plan-1', ...asOf(endMs), '--run-id', `${job}-shard-1`], [0, 65])
  }

  // Lease contention: another run holds G's infer lease, so this one is told it is busy (75)...
  const lease = (expiresAtMs: number) =>
    new PutItemCommand({
      TableName: 'gras-models',
      Item: { metric_id: { S: 'G' }, version: { S: '~lock:infer' }, owner: { S: 'infer-elsewhere' }, acquired_at: { N: String(Date.now()) }, expires_at: { N: String(expiresAtMs) } },
    })
  await dynamo.client.send(lease(Date.now() + 600_000))
  const busy = await run('infer', ['infer', '--metrics', 'G', '--run-id', 'infer-busy'], [75])
  assert.match(busy.stdout, /lock: infer of metric G is running in infer-elsewhere/)
  await dynamo.client.send(lease(0))
  // ... and two infers at once on one metric, as a retried refresh overlapping the next one would.
  const pair = await Promise.all(['infer-2', 'infer-3'].map((id) => run('infer', ['infer', '--metrics', 'S', '--run-id', id], [0, 75])))
  assert.ok(pair.some((r) => r.code === 0), 'one of two overlapping infers wrote')

  // Retrain on drift: the monitor's flag on S (set here as a drifting day would) makes a second version.
  await dynamo.client.send(new PutItemCommand({ TableName: 'gras-accuracy', Item: { metric_id: { S: 'S' }, date: { S: '~drift' }, drifted: { BOOL: true } } }))
  await run('train', ['train', '--only', 'drifted', ...metrics, ...asOf(endMs), '--run-id', 'train-2'])
  // Rollback: the second version of S approved by hand, then rolled back to the first.
  const registry = new ModelRegistry(dynamo.client, 'gras-models')
  const first = (await registry.getApproved('S'))!.version
  const second = (await registry.listVersions('S')).map((v) => v.version).find((v) => v !== first)
  assert.ok(second, 'train --only drifted registered a second version of S')
  await run('models', ['models', 'approve', 'S', second])
  await run('models', ['models', 'rollback', 'S'])
  assert.equal((await registry.getApproved('S'))!.version, first)

  // The Java application's reads: forecasts (version 2, as `gras predictions` does; version 1) and accuracy.
  const served = await run('java-reader', ['predictions', '--metric', 'G', '--from', iso(endMs - day), '--json'], [0], true)
  assert.ok((JSON.parse(served.stdout) as unknown[]).length > 0, 'gras predictions read the forecasts table')
  const reader = new DynamoDBClient({ endpoint: (await recorder.endpointEnv('java-reader')).AWS_ENDPOINT_URL_DYNAMODB, region: 'eu-west-1', credentials: testCredentials })
  assert.ok((await queryPredictions(reader, 'gras-predictions', 'G', iso(endMs - day), iso(endMs + day))).length > 0)
  assert.ok((await queryAccuracy(reader, 'gras-accuracy', 'G', '0000', '9999')).length > 0)
  reader.destroy()
})

test('train and monitor store the report of their run under reports/<run id>/ through their own role', async () => {
  for (const [principal, runId] of [['train', 'train-1'], ['train', 'train-2'], ['monitor', 'monitor-1']]) {
    const puts = requestsOf(principal).filter((r) => r.action === 's3:PutObject' && r.resource.includes(`/${lakePrefix}/reports/${runId}/`))
    assert.deepEqual(puts.map((r) => r.resource.split('/').pop()).sort(), ['index.html', 'metric=G.html', 'metric=S.html'], `${runId}: the report's pages`)
    const stored = await s3.client.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: `${lakePrefix}/reports/${runId}/` }))
    assert.equal(stored.KeyCount, 3, `${runId}: the pages are in the lake`)
  }
})

/** Each request held against `policies`; the denied ones, the matches, and a count per (operation, action, statement, resource). */
function hold(policies: PolicyDocument[], requests: IamRequest[]) {
  const denied: string[] = []
  const matches: StatementMatch[] = []
  const table = new Map<string, number>()
  for (const request of requests) {
    const decision = evaluate(policies, request)
    if (!decision.allowed) denied.push(`${request.operation}: ${request.action} on ${request.resource} ${JSON.stringify(request.context)}`)
    matches.push(...decision.matches)
    const used = decision.matches.map((m) => `${m.statement.Sid ?? "(no Sid)"} (${m.resource}${m.conditionValues.length ? ` s3:prefix ${m.conditionValues.join(',')}` : ''})`)
    const row = `${request.operation} | ${request.action} | ${used.join('; ') || 'DENIED'}`
    table.set(row, (table.get(row) ?? 0) + 1)
  }
  return { denied, matches, table }
}

function report(t: TestContext, who: string, table: Map<string, number>): void {
  for (const [row, count] of [...table].sort()) t.diagnostic(`${who} | ${count} | ${row}`)
}

const policiesOf = (job: string) => roles.get(job)?.policies ?? []

test('every request a job made is allowed by its own role', (t) => {
  const denied: Record<string, string[]> = {}
  for (const [job, principals] of Object.entries(rolePrincipals)) {
    for (const principal of principals) {
      const requests = requestsOf(principal)
      assert.ok(requests.length > 0, `${principal} made requests`)
      const held = hold(policiesOf(job), requests)
      report(t, principal === job ? job : `${principal} (${job} role)`, held.table)
      if (held.denied.length) (denied[job] ??= []).push(...held.denied)
    }
  }
  assert.deepEqual(denied, {}, 'requests denied by the role of the job that made them')
})

test('every grant of every job role is used by a request of that job', () => {
  const unused: Record<string, string[]> = {}
  for (const [job, principals] of Object.entries(rolePrincipals)) {
    const grants = unusedGrants(policiesOf(job), hold(policiesOf(job), principals.flatMap(requestsOf)).matches).filter((g) => !unexercised[g])
    if (grants.length) unused[job] = grants
  }
  assert.deepEqual(unused, {}, 'grants no request of the job used')
})

test("the Java application's grants: reads through the reader policy, bronze writes through the bucket policy", async (t) => {
  const reader = await terraform.managedPolicy('java_reader')
  const reads = hold([reader.policy], requestsOf('java-reader'))
  report(t, 'java-reader', reads.table)
  assert.deepEqual(reads.denied, [])
  assert.deepEqual(unusedGrants([reader.policy], reads.matches).filter((g) => !unexercised[g]), [])
  assert.equal(await terraform.output('java_reader_policy_arn'), `arn:aws:iam::${accountId}:policy/gras-java-reader`)

  // demo-data writes bronze as the Java application does; its own role grants it the KMS key.
  const bronze = await terraform.policyDocument('bronze_writers')
  const writes = requestsOf('bronze-writer').filter((r) => r.action.startsWith('s3:'))
  assert.ok(writes.length > 0 && writes.every((r) => r.action === 's3:PutObject'), 'the bronze writer only puts objects')
  const held = hold([bronze], writes)
  report(t, 'bronze-writer', held.table)
  assert.deepEqual(held.denied, [])
  assert.deepEqual(unusedGrants([bronze], held.matches), [])
  assert.deepEqual(evaluate([bronze], { ...writes[0], resource: `arn:aws:s3:::${bucket}/${lakePrefix}/silver/gras/x` }).allowed, false, 'the Java application cannot write silver')
})

test('five roles, each trusted only by its own ServiceAccount, their ARNs output by job', async () => {
  assert.deepEqual([...roles.keys()].sort(), jobs)
  for (const [job, role] of roles) {
    assert.equal(role.name, `gras-${job}`)
    assert.deepEqual(role.trust.Statement, [
      {
        Effect: 'Allow',
        Action: ['sts:AssumeRoleWithWebIdentity'],
        Principal: { Federated: [oidcProviderArn] },
        Condition: { StringEquals: { [`${oidcIssuer}:sub`]: [`system:serviceaccount:gras:gras-forecast-${job}`], [`${oidcIssuer}:aud`]: ['sts.amazonaws.com'] } },
      },
    ])
  }
  assert.deepEqual(await terraform.output('irsa_role_arns'), Object.fromEntries(jobs.map((job) => [job, `arn:aws:iam::${accountId}:role/gras-${job}`])))
  assert.equal(await terraform.output('lake_uri'), `s3://${bucket}/${lakePrefix}`)
})

test("the check catches a role without the lease's writes (infer on main: GetItem and Query on the models table)", () => {
  const infer = policiesOf('infer')
  const withoutLease: PolicyDocument[] = infer.map((p) => ({
    ...p,
    Statement: p.Statement.map((s) => (s.Resource?.some((r) => r.endsWith(':table/gras-models')) ? { ...s, Action: ['dynamodb:GetItem', 'dynamodb:Query'] } : s)),
  }))
  const { denied } = hold(withoutLease, requestsOf('infer'))
  assert.ok(denied.some((d) => d.startsWith('DynamoDB.PutItem') && d.includes('table/gras-models')), 'the lease PutItem is denied')
  assert.ok(denied.some((d) => d.startsWith('DynamoDB.DeleteItem') && d.includes('table/gras-models')), 'the lease release is denied')
  // Version 2: every infer writes the forecasts table, which only WriteForecastsTable allows.
  const withoutForecasts = infer.map((p) => ({ ...p, Statement: p.Statement.filter((s) => s.Sid !== 'WriteForecastsTable') }))
  assert.ok(hold(withoutForecasts, requestsOf('infer')).denied.some((d) => d.startsWith('DynamoDB.PutItem') && d.includes('table/gras-forecasts')), 'the forecasts PutItem is denied')
  // And a grant the run does not need is reported: DescribeTable, which main granted.
  const extra = infer.map((p) => ({ ...p, Statement: [...p.Statement, { Sid: 'Extra', Effect: 'Allow' as const, Action: ['dynamodb:DescribeTable'], Resource: ['*'] }] }))
  assert.ok(unusedGrants(extra, hold(extra, requestsOf('infer')).matches).includes('Extra: no request used the statement'))
})
