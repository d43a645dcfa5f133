/**
 * The commands a person reaches for, spawned as the built CLI: `predictions` lists the step that
 * holds now (a daily metric's today), `--json` and `--csv` on the table commands, `models list
 * --metrics` of a metric the lake lacks, usage errors as one line, and read-only commands that
 * create nothing beside a mistyped local lake. DynamoDB is dynalite (the server gras embeds).
 */
import { test, before, after } from 'node:test'
import assert from 'node:assert/strict'
import { mkdirSync, readdirSync } from 'node:fs'
import { join } from 'node:path'
import { ensureTable, forecastsTableDefinition } from '../../jobs/io/dynamo-tables.js'
import type { PredictionItem } from '../../jobs/io/predictions-table.js'
import { writeForecast } from '../../jobs/io/forecasts-table.js'
import { ExitCode } from '../../jobs/core/errors.js'
import { configDirWith, runCli } from '../helpers/run-cli.js'
import { tempDir } from '../helpers/paths.js'
import { startDynamoServer, testCredentials, type DynamoServer } from '../helpers/servers.js'

const day = 86_400_000
const iso = (ms: number) => new Date(ms).toISOString().replace('.000Z', 'Z')
const todayMs = Math.floor(Date.now() / day) * day
const cwd = tempDir('views')
const lake = join(cwd, 'lake')
let dynamo: DynamoServer
let env: Record<string, string>

/** A daily metric D forecast from yesterday for four days, one row per step as `gras predictions` lists them. */
function dailyForecast(): PredictionItem[] {
  return [-1, 0, 1, 2].map((k) => ({
    metricId: 'D',
    timestamp: iso(todayMs + k * day),
    value: 100 + k,
    lower: 90 + k,
    upper: 110 + k,
    intervalLevel: 0.95,
    modelVersion: 'v20260101T000000Z-r1',
    runId: 'r1',
    generatedAt: iso(todayMs - day),
    ttl: Math.floor(todayMs / 1000) + 90 * 86_400,
  }))
}

before(async () => {
  dynamo = await startDynamoServer()
  await ensureTable(dynamo.client, 'gras-forecasts', forecastsTableDefinition)
  const steps = dailyForecast()
  await writeForecast(dynamo.client, 'gras-forecasts', {
    ...steps[0],
    seriesId: 'D',
    dimensions: {},
    firstStep: steps[0].timestamp,
    stepSeconds: 86_400,
    horizon: steps.length,
    value: steps.map((s) => s.value),
    lower: steps.map((s) => s.lower),
    upper: steps.map((s) => s.upper),
  })
  mkdirSync(lake)
  env = {
    GRAS_CONFIG: configDirWith('metrics:\n  D:\n    frequency: daily\n'),
    GRAS_LAKE: lake,
    AWS_REGION: 'us-east-1',
    AWS_ENDPOINT_URL_DYNAMODB: dynamo.endpoint,
    AWS_ACCESS_KEY_ID: testCredentials.accessKeyId,
    AWS_SECRET_ACCESS_KEY: testCredentials.secretAccessKey,
  }
})
after(async () => {
  await dynamo.close()
})

const show = (args: string[], extra: Record<string, string> = {}) => runCli(args, { cwd, env: { ...env, ...extra }, allowText: true })

test("predictions lists the step that holds now: today's step of a daily metric", async () => {
  const table = await show(['predictions', '--metric', 'D'])
  assert.equal(table.code, 0, table.stderr)
  assert.match(table.stdout, new RegExp(`^D: 3 steps from ${iso(todayMs)},`, 'm'))
  assert.match(table.stdout, new RegExp(`^${iso(todayMs)}\\s+90\\.0\\s+100\\.0\\s+110\\.0$`, 'm'))
  assert.doesNotMatch(table.stdout, new RegExp(iso(todayMs - day)), 'the past step is not listed')
})

test('predictions --json is an array of objects; --csv has a header row and CRLF lines; not both', async () => {
  const json = await show(['predictions', '--metric', 'D', '--json'])
  assert.equal(json.code, 0, json.stderr)
  const items = JSON.parse(json.stdout) as PredictionItem[]
  assert.ok(Array.isArray(items))
  assert.deepEqual(items, dailyForecast().slice(1))

  const csv = await show(['predictions', '--metric', 'D', '--csv'])
  assert.equal(csv.code, 0, csv.stderr)
  const lines = csv.stdout.split('\r\n')
  assert.equal(lines[0], 'metricId,timestamp,value,lower,upper,intervalLevel,modelVersion,runId,generatedAt,ttl')
  assert.equal(lines.length, 1 + 3 + 1, 'header, three rows, and the final CRLF')
  assert.deepEqual(lines[1].split(',').slice(0, 5), ['D', iso(todayMs), '100', '90', '110'])

  const both = await show(['predictions', '--metric', 'D', '--json', '--csv'])
  assert.equal(both.code, ExitCode.usage)
  assert.equal(both.stderr.trim().split('\n').length, 1, both.stderr)
})

test('usage errors print one gras: line, no JSON log line and no stack', async () => {
  for (const args of [['models', 'list', '--bogus'], ['nosuch'], ['accuracy', '--metric', 'G', '--from', 'yesterday'], ['train', '--run-id', '!!'], ['predictions', '--metric', 'a/b'], ['report', '--run-id', '!!']]) {
    const result = await show(args)
    assert.equal(result.code, ExitCode.usage, `${args.join(' ')}: ${result.stderr}`)
    assert.equal(result.stdout, '', `${args.join(' ')}: nothing on stdout`)
    const lines = result.stderr.trim().split('\n')
    assert.equal(lines.length, 1, `${args.join(' ')}: ${result.stderr}`)
    assert.match(lines[0], /^gras: /)
    assert.doesNotMatch(result.stderr, /"stack"|"level"/)
  }
})

test('read-only commands on a mistyped local lake exit 66 naming it and create nothing', async () => {
  const before = readdirSync(cwd).sort()
  const typo = join(cwd, 'lkae')
  for (const args of [['models', 'list'], ['predictions', '--metric', 'G'], ['accuracy', '--metric', 'G'], ['backtest', '--metric', 'G'], ['report'], ['models', 'approve', 'G', 'v2026'], ['models', 'rollback', 'G']]) {
    const result = await show([...args, '--lake', typo], { AWS_REGION: '', AWS_ENDPOINT_URL_DYNAMODB: '', GRAS_DYNAMODB_MODE: 'embedded' })
    assert.equal(result.code, ExitCode.noInput, `${args.join(' ')}: ${result.stderr}`)
    assert.match(result.stderr, new RegExp(`^gras: lake: no lake at ${typo}: the folder does not exist`, 'm'))
    assert.deepEqual(readdirSync(cwd).sort(), before, `${args.join(' ')} created nothing (no ${typo}.dynamodb)`)
  }
})

test('models list --metrics of a metric the lake lacks exits 66 naming what the lake has', async () => {
  const demo = await show(['demo-data', '--days', '2'])
  assert.equal(demo.code, 0, demo.stderr)
  const result = await show(['models', 'list', '--metrics', 'XYZ'])
  assert.equal(result.code, ExitCode.noInput, result.stderr)
  assert.match(result.stderr, /^gras: models: unknown metric XYZ: .*bronze metrics: A, G, O, R, S/m)
  const known = await show(['models', 'list', '--metrics', 'G', '--json'])
  assert.equal(known.code, 0, known.stderr)
  assert.deepEqual(JSON.parse(known.stdout), [])
})

test('pipeline --json prints only one JSON array of the run\'s forecast steps on stdout', { timeout: 300_000 }, async () => {
  const here = tempDir('views-pipeline')
  const asOf = iso(todayMs - day)
  const local = { GRAS_CONFIG: configDirWith('train:\n  candidates: [snaive, ets]\n  backtestOrigins: 2\n') }
  assert.equal((await runCli(['demo-data', '--days', '14', '--end', asOf], { cwd: here, env: local })).code, 0)
  const run = await runCli(['pipeline', '--metrics', 'G,S', '--as-of', asOf, '--run-id', 'p1', '--json'], { cwd: here, env: local, allowText: true, timeoutMs: 240_000 })
  assert.equal(run.code, 0, run.stderr)
  const items = JSON.parse(run.stdout) as PredictionItem[]
  assert.deepEqual(
    [...new Set(items.map((i) => i.metricId))].sort(),
    ['G', 'S'],
  )
  assert.equal(items.length, 48 + 24, 'the horizons of G and S')
  assert.ok(items.every((i) => i.runId === 'p1' && i.lower <= i.value && i.value <= i.upper))
})
