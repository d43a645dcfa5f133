/**
 * A backfill never overwrites newer state, end to end with the built CLI on a local lake and the
 * embedded DynamoDB: the pipeline as of T, then features and train as of T - 7 days, then infer as
 * of T and without --as-of. The silver, the approved model and the forecasts stay those of T, and
 * the backfill's own silver and model version are kept beside them under their cutoff.
 */
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { cpSync, existsSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { runCli, type CliResult } from '../helpers/run-cli.js'
import { configDir, tempDir } from '../helpers/paths.js'
import type { PredictionItem } from '../../jobs/io/predictions-table.js'
import type { ModelRow } from '../../jobs/commands/models.js'

const cwd = tempDir('backfill')
// The shipped settings with fast candidates only (no global network): promotion is what is tested.
const config = join(cwd, 'config')
cpSync(configDir, config, { recursive: true })
writeFileSync(join(config, 'zz-backfill-test.yaml'), 'train:\n  candidates: [snaive, ets, theta]\n')
const env = { GRAS_CONFIG: config }
// The backfill's train with another horizon: the approved model then "could not be scored" on its
// origins, the path by which a week-old model used to be promoted whatever the scores.
const rehorizoned = join(cwd, 'config-horizon')
cpSync(config, rehorizoned, { recursive: true })
writeFileSync(join(rehorizoned, 'zz-horizon.yaml'), 'metrics:\n  G:\n    horizon: 36\n  S:\n    horizon: 36\n')
const day = 86_400_000
// Near today: stored forecasts expire 90 days after their cutoff and readers skip expired ones.
const asOfMs = Math.floor(Date.now() / day) * day - day
const backfillMs = asOfMs - 7 * day
const iso = (ms: number) => new Date(ms).toISOString().replace('.000Z', 'Z')
const compact = (ms: number) => iso(ms).replace(/[-:]/g, '')
const lake = join(cwd, '.gras/lake')
const silver = (metric: string) => join(lake, `silver/gras/features/metric=${metric}`)
const metrics = ['G', 'S']

const logsOf = (result: CliResult, msg: string) => result.logs.filter((l) => l.msg === msg)

async function cli(args: string[], config = env): Promise<CliResult> {
  const result = await runCli(args, { cwd, env: config, timeoutMs: 300_000 })
  assert.equal(result.code, 0, `gras ${args.join(' ')}: ${result.stderr} ${result.stdout.slice(-2000)}`)
  return result
}

async function models(metric: string): Promise<{ approved?: ModelRow; versions: ModelRow[] }> {
  const result = await runCli(['models', 'list', '--metrics', metric, '--json'], { cwd, env, allowText: true })
  assert.equal(result.code, 0, result.stderr)
  const rows = JSON.parse(result.stdout) as ModelRow[]
  return { approved: rows.find((r) => r.status === 'approved'), versions: rows }
}

async function predictions(metric: string): Promise<PredictionItem[]> {
  const result = await runCli(['predictions', '--metric', metric, '--from', iso(backfillMs), '--to', iso(asOfMs + 8 * day), '--json'], { cwd, env, allowText: true })
  assert.equal(result.code, 0, result.stderr)
  return JSON.parse(result.stdout) as PredictionItem[]
}

const manifest = (path: string) => JSON.parse(readFileSync(path, 'utf8')) as { window: { end: string }; dataKey: string; runId: string }

test('features and train as of a week earlier keep the present silver, model and forecasts; infer uses those of T', { timeout: 900_000 }, async () => {
  await cli(['demo-data', '--days', '56', '--end', iso(asOfMs)])
  const present = await cli(['pipeline', '--metrics', metrics.join(','), '--as-of', iso(asOfMs), '--run-id', 'present'])
  assert.deepEqual(logsOf(present, 'model trained').map((l) => l.promoted), [true, true])
  // One CLI at a time: they share the embedded DynamoDB's files.
  const approvedBefore: Record<string, string> = {}
  for (const metric of metrics) approvedBefore[metric] = (await models(metric)).approved!.version
  const forecastsBefore = await predictions('G')
  assert.equal(forecastsBefore[0].timestamp, iso(asOfMs))

  const features = await cli(['features', '--metrics', metrics.join(','), '--as-of', iso(backfillMs), '--run-id', 'backfill'])
  for (const metric of metrics) {
    const newest = manifest(join(silver(metric), '_manifest.json'))
    assert.equal(newest.window.end, iso(asOfMs), `${metric}: the newest silver is still that of T`)
    assert.equal(newest.runId, 'present')
    const own = manifest(join(silver(metric), `cutoff=${compact(backfillMs)}`, '_manifest.json'))
    assert.equal(own.window.end, iso(backfillMs), `${metric}: the backfill's silver is under its own cutoff`)
    assert.ok(existsSync(join(lake, own.dataKey)), own.dataKey)
    assert.ok(existsSync(join(silver(metric), `cutoff=${compact(asOfMs)}`, 'features.parquet')))
  }
  for (const log of logsOf(features, 'features written')) {
    assert.equal(log.latest, false, `${log.metric}: the backfill does not become the newest silver`)
    assert.equal(log.newestCutoff, iso(asOfMs))
  }

  const train = await cli(['train', '--metrics', metrics.join(','), '--as-of', iso(backfillMs), '--run-id', 'backfill'], { GRAS_CONFIG: rehorizoned })
  for (const metric of metrics) {
    const listing = await models(metric)
    assert.equal(listing.approved!.version, approvedBefore[metric], `${metric}: the approved model is still that of T`)
    const backfillVersion = listing.versions.find((v) => v.runId === 'backfill')
    assert.ok(backfillVersion, `${metric}: the backfill's model is registered`)
    assert.equal(backfillVersion.decision, 'kept')
    assert.equal(backfillVersion.dataCutoff, iso(backfillMs))
  }
  for (const log of logsOf(train, 'model trained')) {
    assert.equal(log.promoted, false, `${log.metric}: ${log.reason}`)
    assert.equal(log.dataCutoff, iso(backfillMs), `${log.metric}: trained on the backfill's silver`)
    assert.match(String(log.reason), /older than the approved model's/)
  }

  let servedRun = 'present'
  for (const asOf of [['--as-of', iso(asOfMs)], []]) {
    const infer = await cli(['infer', '--metrics', 'G', '--run-id', `after-${asOf.length}`, ...asOf])
    // The same cutoff as the run before it: its forecasts item is replaced, and the log names that run.
    const [replaced] = logsOf(infer, "forecast replaced: another run's forecast of the same cutoff")
    assert.equal(replaced?.replacedRunId, servedRun, `infer ${asOf.join(' ')}: the replaced run is named`)
    servedRun = `after-${asOf.length}`
    const after = await predictions('G')
    assert.deepEqual(
      after.map(({ runId: _runId, ...rest }) => rest),
      forecastsBefore.map(({ runId: _runId, ...rest }) => rest),
      `infer ${asOf.join(' ')}: the forecasts of T, from the silver and the model of T`,
    )
    const [written] = logsOf(infer, 'forecast written')
    assert.equal(written.cutoff, iso(asOfMs), `infer ${asOf.join(' ')}: the silver of T`)
    assert.equal(written.version, approvedBefore.G)
  }

  // Asking infer for the past: the silver of that cutoff, the newest model approved before that was
  // trained on no later data, its own Parquet copy, and nothing newer replaced.
  const backfillVersion = (await models('G')).versions.find((v) => v.runId === 'backfill')!.version
  await cli(['models', 'approve', 'G', backfillVersion])
  await cli(['models', 'approve', 'G', approvedBefore.G])
  const past = await cli(['infer', '--metrics', 'G', '--as-of', iso(backfillMs), '--run-id', 'backfill'])
  const [written] = logsOf(past, 'forecast written')
  assert.equal(written.cutoff, iso(backfillMs))
  assert.equal(written.version, backfillVersion, 'not the model trained on data after the cutoff')
  assert.equal(written.parquet, `predictions/metric=G/date=${compact(backfillMs).slice(0, 8)}/backfill.parquet`)
  assert.ok(existsSync(join(lake, String(written.parquet))))
  assert.ok(existsSync(join(lake, `predictions/metric=G/date=${compact(asOfMs).slice(0, 8)}/present.parquet`)))
  const stored = await predictions('G')
  assert.deepEqual(
    stored.filter((p) => p.timestamp >= iso(asOfMs)).map(({ runId: _runId, ...rest }) => rest),
    forecastsBefore.map(({ runId: _runId, ...rest }) => rest),
  )
  assert.ok(stored.some((p) => p.generatedAt === iso(backfillMs)), 'the backfill wrote the hours no newer forecast covers')

  // A cutoff that has no silver of its own, older than the newest: refused, never served from newer data.
  const missing = await runCli(['infer', '--metrics', 'G', '--as-of', iso(asOfMs - 3 * day), '--run-id', 'gap'], { cwd, env })
  assert.equal(missing.code, 66, missing.stderr)
  assert.match(missing.stdout + missing.stderr, /run gras features --as-of/)
})
