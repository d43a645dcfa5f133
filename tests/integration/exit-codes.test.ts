/**
 * What a failing command tells its caller: the exit code (README "Exit codes") and one readable
 * `gras: <what failed>: <why> (<hint>)` line on stderr. Nothing to do is not a success (66);
 * configuration and credential problems are not bugs and not worth a retry (78); a bad argument
 * is refused before anything is called (64); an endpoint that accepts and never answers fails
 * within the configured deadline (75) naming the endpoint.
 */
import { test, before, after } from 'node:test'
import assert from 'node:assert/strict'
import { mkdirSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { assertOneErrorLine, configDirWith, runCli, shortDeadlines } from '../helpers/run-cli.js'
import { configDir, tempDir } from '../helpers/paths.js'
import { startSilentServer, type SilentServer } from '../helpers/servers.js'

let silent: SilentServer
const cwd = tempDir('exit-codes')
const lake = join(cwd, 'lake')
const quickConfig = configDirWith(shortDeadlines)
/** No profile, no credentials file, no instance metadata: only what a test sets. */
const bareAws = { HOME: tempDir('home'), AWS_CONFIG_FILE: join(cwd, 'no-aws-config'), AWS_SHARED_CREDENTIALS_FILE: join(cwd, 'no-aws-credentials'), AWS_EC2_METADATA_DISABLED: 'true' }
const keys = { AWS_ACCESS_KEY_ID: 'test-key-id', AWS_SECRET_ACCESS_KEY: 'test-secret' }

before(async () => {
  silent = await startSilentServer()
  const demo = await runCli(['demo-data', '--days', '3', '--lake', lake], { cwd, env: { GRAS_CONFIG: configDir } })
  assert.equal(demo.code, 0, demo.stderr)
})
after(() => silent.close())

test('no work is no success: a missing or empty lake, an unknown --metrics id, an unknown predictions metric exit 66 listing what the lake has', async () => {
  const env = { GRAS_CONFIG: configDir }
  const missing = await runCli(['features', '--lake', join(cwd, 'no-such-lake')], { cwd, env })
  assert.equal(missing.code, 66, missing.stderr)
  assertOneErrorLine(missing, /no-such-lake is empty or does not exist/)

  const emptyLake = join(cwd, 'empty-lake')
  mkdirSync(emptyLake)
  const empty = await runCli(['infer', '--lake', emptyLake], { cwd, env })
  assert.equal(empty.code, 66, empty.stderr)
  assertOneErrorLine(empty, /infer: no metrics under silver\/gras\/features\/ .*empty or does not exist/)

  const noFeatures = await runCli(['train', '--lake', lake], { cwd, env })
  assert.equal(noFeatures.code, 66, noFeatures.stderr)
  assertOneErrorLine(noFeatures, /bronze metrics: A, G, O, R, S; with features: none \(run gras features first\)/)

  const unknown = await runCli(['features', '--lake', lake, '--metrics', 'XYZ'], { cwd, env })
  assert.equal(unknown.code, 66, unknown.stderr)
  assertOneErrorLine(unknown, /^gras: features: 1 of 1 metric\(s\) failed: XYZ: metrics: unknown metric XYZ: .*bronze metrics: A, G, O, R, S/)

  const predictions = await runCli(['predictions', '--metric', 'XYZ', '--lake', lake], { cwd, env })
  assert.equal(predictions.code, 66, predictions.stderr)
  assert.match(predictions.stderr, /predictions: unknown metric XYZ: .*bronze metrics: A, G, O, R, S/)

  // The commands that show results for a person refuse a metric or a lake that is not there too.
  for (const [command, args] of [['backtest', ['--metric', 'XYZ', '--lake', lake]], ['accuracy', ['--metric', 'XYZ', '--lake', lake]], ['report', ['--lake', join(cwd, 'no-such-lake')]]] as const) {
    const shown = await runCli([command, ...args], { cwd, env })
    assert.equal(shown.code, 66, `${command}: ${shown.stderr}`)
    assert.match(shown.stderr, command === 'report' ? /lake: no lake at .*no-such-lake: the folder does not exist/ : new RegExp(`${command}: unknown metric XYZ: .*bronze metrics: A, G, O, R, S`))
  }

  // A known metric with nothing stored in the range is an answer, not an error.
  const known = await runCli(['predictions', '--metric', 'G', '--lake', lake], { cwd, env, allowText: true })
  assert.equal(known.code, 0, known.stderr)
  assert.match(known.stdout, /G: no stored forecasts in this range/)
})

test('per-metric failures end in one stderr line naming each failed metric and why', async () => {
  const result = await runCli(['features', '--lake', lake, '--metrics', 'G,XYZ,QQ'], { cwd, env: { GRAS_CONFIG: configDir } })
  assert.equal(result.code, 66, result.stderr)
  assertOneErrorLine(result, /^gras: features: 2 of 3 metric\(s\) failed: XYZ: metrics: unknown metric XYZ: .*; QQ: metrics: unknown metric QQ: .*\(exit 66; the JSON log lines "metric failed" have the details\)$/)
  assert.ok(result.logs.some((l) => l.msg === 'features written' && l.metric === 'G'), 'G was still processed')
})

test('configuration and credentials problems exit 78: no region, no credentials, an unresolvable endpoint host, a malformed lake URI', async () => {
  const s3Lake = { GRAS_CONFIG: quickConfig, GRAS_LAKE: 's3://gras-lake/gras', GRAS_DYNAMODB_MODE: 'embedded', ...bareAws }
  const noRegion = await runCli(['features'], { cwd, env: { ...s3Lake, ...keys } })
  assert.equal(noRegion.code, 78, noRegion.stderr)
  assertOneErrorLine(noRegion, /^gras: s3: no AWS region configured \(set AWS_REGION/)

  const noCredentials = await runCli(['features'], { cwd, env: { ...s3Lake, AWS_REGION: 'eu-west-1', AWS_ENDPOINT_URL_S3: silent.endpoint } })
  assert.equal(noCredentials.code, 78, noCredentials.stderr)
  assertOneErrorLine(noCredentials, /^gras: s3: ListObjectsV2: fetching credentials from .*: no AWS credentials: .*\(set AWS_PROFILE/)

  const unresolvable = await runCli(['features'], { cwd, env: { ...s3Lake, ...keys, AWS_REGION: 'eu-west-1', AWS_ENDPOINT_URL_S3: 'http://gras-nowhere.invalid:9000' } })
  assert.equal(unresolvable.code, 78, unresolvable.stderr)
  assertOneErrorLine(unresolvable, /^gras: s3: ListObjectsV2 http:\/\/gras-nowhere\.invalid:9000: host gras-nowhere\.invalid does not resolve \(getaddrinfo ENOTFOUND\)/)

  const badUri = await runCli(['features', '--lake', 's3://A_bad'], { cwd, env: { GRAS_CONFIG: configDir } })
  assert.equal(badUri.code, 78, badUri.stderr)
  assertOneErrorLine(badUri, /^gras: lake: "s3:\/\/A_bad" has no valid bucket name/)
  // One slash short: a mistyped S3 URI, never a local folder named 's3:' created in the working directory.
  const oneSlash = await runCli(['infer', '--lake', 's3:/bad'], { cwd, env: { GRAS_CONFIG: configDir } })
  assert.equal(oneSlash.code, 78, oneSlash.stderr)
  assertOneErrorLine(oneSlash, /^gras: lake: "s3:\/bad" is not an S3 URI/)
  // Each form of a bad URI is refused before anything is read, by flag and by GRAS_LAKE alike.
  const refused: [string[], Record<string, string>, RegExp][] = [
    [['--lake', 's3://'], {}, /^gras: lake: "s3:\/\/" has no valid bucket name/],
    [['--lake', 's3://gras-lake/../other'], {}, /^gras: lake: "s3:\/\/gras-lake\/\.\.\/other" has a "\.\." segment in its prefix/],
    [['--lake', 's3://gras-lake//gras'], {}, /^gras: lake: "s3:\/\/gras-lake\/\/gras" has an empty segment in its prefix/],
    [['--lake', 'gs://gras-lake/gras'], {}, /^gras: lake: unsupported scheme in "gs:\/\/gras-lake\/gras"/],
    [['--lake', ''], {}, /^gras: config: .*lake: Too small/],
    [[], { GRAS_LAKE: '' }, /^gras: config: .*lake: Too small/],
  ]
  for (const [args, extra, message] of refused) {
    const result = await runCli(['train', ...args], { cwd, env: { GRAS_CONFIG: configDir, AWS_REGION: 'eu-west-1', ...keys, ...bareAws, ...extra } })
    assert.equal(result.code, 78, `${JSON.stringify(args)} ${JSON.stringify(extra)}: ${result.stderr}`)
    assertOneErrorLine(result, message)
  }
})

test('a local lake or embedded DynamoDB folder gras cannot create exits 78 naming it, and ends (no endless mkdir under /proc)', async () => {
  const env = { GRAS_CONFIG: configDir }
  const aFile = join(cwd, 'a-file')
  writeFileSync(aFile, 'not a folder')
  const underFile = await runCli(['demo-data', '--days', '1', '--lake', join(aFile, 'lake')], { cwd, env, timeoutMs: 30_000 })
  assert.equal(underFile.code, 78, underFile.stderr)
  assertOneErrorLine(underFile, /embedded DynamoDB's folder: cannot write: ENOTDIR.*a-file.*dynamodb\.embeddedDir/)

  // Node 20's recursive mkdir never returns for a path under /proc; the level-by-level one does.
  const elsewhere = configDirWith(`dynamodb:\n  embeddedDir: ${join(cwd, 'proc-lake-db')}\n`)
  const underProc = await runCli(['demo-data', '--days', '1', '--lake', '/proc/gras-test-lake'], { cwd, env: { GRAS_CONFIG: elsewhere }, timeoutMs: 30_000 })
  assert.equal(underProc.code, 78, underProc.stderr)
  assertOneErrorLine(underProc, /^gras: lake: cannot write: ENOENT.*\/proc\/gras-test-lake.*--lake/)
})

test('a neural flag out of the config schema\'s bounds exits 78 naming the flag and the setting, before anything is opened', async () => {
  const result = await runCli(['train-neural', '--lake', lake, '--epochs', '0', '--seed', 'seven'], { cwd, env: { GRAS_CONFIG: configDir, GRAS_DYNAMODB_MODE: 'aws', AWS_REGION: 'eu-west-1', AWS_ENDPOINT_URL_DYNAMODB: silent.endpoint, ...keys } })
  assert.equal(result.code, 78, result.stderr)
  assertOneErrorLine(result, /^gras: config: 2 invalid setting\(s\) after applying flags .*neural\.epochs \(--epochs\): .*>=\s?1.*neural\.seed \(--seed\): /)
})

test('--to before --from exits 64 before DynamoDB is called', async () => {
  const before = silent.connections
  const result = await runCli(['predictions', '--metric', 'G', '--from', '2024-01-29T14:00:00Z', '--to', '2024-01-28T14:00:00Z'], {
    cwd,
    env: { GRAS_CONFIG: quickConfig, AWS_REGION: 'eu-west-1', AWS_ENDPOINT_URL_DYNAMODB: silent.endpoint, ...keys },
  })
  assert.equal(result.code, 64, result.stderr)
  assertOneErrorLine(result, /^gras: predictions: --to 2024-01-28T14:00:00Z is before --from 2024-01-29T14:00:00Z/)
  assert.equal(silent.connections, before, 'DynamoDB was not contacted')
})

test('an S3 endpoint that accepts and never answers fails within the deadline with exit 75, naming the endpoint', async () => {
  const started = Date.now()
  const result = await runCli(['features', '--lake', 's3://gras-lake/gras'], {
    cwd,
    env: { GRAS_CONFIG: quickConfig, GRAS_DYNAMODB_MODE: 'embedded', AWS_REGION: 'eu-west-1', AWS_ENDPOINT_URL_S3: silent.endpoint, AWS_MAX_ATTEMPTS: '2', ...keys, ...bareAws },
    timeoutMs: 60_000,
  })
  const elapsedMs = Date.now() - started
  assert.equal(result.code, 75, result.stderr)
  assertOneErrorLine(result, new RegExp(`^gras: s3: ListObjectsV2 http://127\\.0\\.0\\.1:${silent.port}: no answer in time`))
  assert.ok(elapsedMs < 20_000, `failed after ${elapsedMs} ms (2 attempts of a 500 ms deadline)`)
})

test('an STS endpoint (web identity) that accepts and never answers fails within the deadline with exit 75, naming it', async () => {
  const tokenFile = join(cwd, 'web-identity-token')
  writeFileSync(tokenFile, 'eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJncmFzIn0.c2lnbmF0dXJl')
  const started = Date.now()
  const result = await runCli(['features', '--lake', 's3://gras-lake/gras'], {
    cwd,
    env: { GRAS_CONFIG: quickConfig, GRAS_DYNAMODB_MODE: 'embedded', AWS_REGION: 'eu-west-1', AWS_ENDPOINT_URL_S3: 'http://127.0.0.1:9', AWS_ROLE_ARN: 'arn:aws:iam::123456789012:role/gras', AWS_WEB_IDENTITY_TOKEN_FILE: tokenFile, AWS_ENDPOINT_URL_STS: silent.endpoint, AWS_MAX_ATTEMPTS: '2', ...bareAws },
    timeoutMs: 60_000,
  })
  const elapsedMs = Date.now() - started
  assert.equal(result.code, 75, result.stderr)
  assertOneErrorLine(result, new RegExp(`^gras: s3: ListObjectsV2: fetching credentials from STS http://127\\.0\\.0\\.1:${silent.port} \\(web identity\\): no answer in time`))
  assert.ok(elapsedMs < 20_000, `failed after ${elapsedMs} ms`)
})

test('an instance metadata endpoint (IMDS) that accepts and never answers ends within the deadline: no credentials, exit 78', async () => {
  const connections = silent.connections
  const started = Date.now()
  const result = await runCli(['features', '--lake', 's3://gras-lake/gras'], {
    cwd,
    env: { GRAS_CONFIG: quickConfig, GRAS_DYNAMODB_MODE: 'embedded', AWS_REGION: 'eu-west-1', AWS_ENDPOINT_URL_S3: 'http://127.0.0.1:9', ...bareAws, AWS_EC2_METADATA_DISABLED: '', AWS_EC2_METADATA_SERVICE_ENDPOINT: silent.endpoint },
    timeoutMs: 60_000,
  })
  const elapsedMs = Date.now() - started
  assert.equal(result.code, 78, result.stderr)
  assert.ok(silent.connections > connections, 'the credential chain called the metadata endpoint')
  assertOneErrorLine(result, new RegExp(`^gras: s3: ListObjectsV2: fetching credentials from the instance metadata service http://127\\.0\\.0\\.1:${silent.port}: no AWS credentials`))
  assert.ok(elapsedMs < 20_000, `failed after ${elapsedMs} ms`)
})

test('a DynamoDB endpoint that accepts and never answers fails within the deadline with exit 75, naming the endpoint', async () => {
  const started = Date.now()
  const result = await runCli(['models', 'list', '--metrics', 'G', '--lake', lake], {
    cwd,
    env: { GRAS_CONFIG: quickConfig, AWS_REGION: 'eu-west-1', AWS_ENDPOINT_URL_DYNAMODB: silent.endpoint, AWS_MAX_ATTEMPTS: '2', ...keys, ...bareAws },
    timeoutMs: 60_000,
  })
  const elapsedMs = Date.now() - started
  assert.equal(result.code, 75, result.stderr)
  assert.match(result.stderr, new RegExp(`^gras: dynamodb: DescribeTable http://127\\.0\\.0\\.1:${silent.port}: no answer in time`, 'm'))
  assert.ok(elapsedMs < 20_000, `failed after ${elapsedMs} ms (2 attempts of a 500 ms deadline)`)
})
