/**
 * End to end on the embedded default, as a newcomer runs it: the built CLI in a fresh folder, the
 * lake in .gras/lake and dynalite in-process. Asserts exit codes, JSON logs and stored forecasts.
 */
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { existsSync, readdirSync } from 'node:fs'
import { join } from 'node:path'
import { runCli } from '../helpers/run-cli.js'
import { configDir, tempDir } from '../helpers/paths.js'
import type { PredictionItem } from '../../jobs/io/predictions-table.js'

const cwd = tempDir('e2e-local')
const env = { GRAS_CONFIG: configDir }
// Near today: stored forecasts expire (ttl) 90 days after their data cutoff, and readers skip expired ones.
const asOfMs = Math.floor(Date.now() / 86_400_000) * 86_400_000 - 86_400_000
const iso = (ms: number) => new Date(ms).toISOString().replace('.000Z', 'Z')
const asOf = iso(asOfMs)
const horizons: Record<string, number> = { G: 48, R: 48, A: 48, S: 24 }

async function predictions(metric: string): Promise<PredictionItem[]> {
  const result = await runCli(['predictions', '--metric', metric, '--from', asOf, '--to', iso(asOfMs + 8 * 86_400_000), '--json'], { cwd, env, allowText: true })
  assert.equal(result.code, 0, result.stderr)
  return JSON.parse(result.stdout) as PredictionItem[]
}

test('demo data, then a pipeline run: forecasts for every metric and step with lower <= value <= upper', async () => {
  const demo = await runCli(['demo-data', '--days', '28', '--end', asOf], { cwd, env })
  assert.equal(demo.code, 0, demo.stderr)
  assert.ok(existsSync(join(cwd, '.gras/lake/bronze/gras/metric=G', new Date(asOfMs - 86_400_000).toISOString().replace(/^(\d+)-(\d+)-(\d+).*/, 'year=$1/month=$2/day=$3'))))

  const run = await runCli(['pipeline', '--as-of', asOf, '--run-id', 'e2e-1'], { cwd, env })
  assert.equal(run.code, 0, run.stderr)
  for (const log of run.logs) {
    assert.equal(log.service, 'gras-forecast')
    if (log.job) assert.equal(log.run_id, 'e2e-1')
  }
  const trained = run.logs.filter((l) => l.msg === 'model trained')
  assert.deepEqual(trained.map((l) => l.metric).sort(), ['A', 'G', 'O~channel=app~region=eu', 'O~channel=app~region=us', 'O~channel=web~region=eu', 'O~channel=web~region=us', 'R', 'S'])
  assert.ok(trained.every((l) => l.promoted === true))
  assert.ok(run.logs.some((l) => l.metric === 'R' && l.msg === 'features written' && (l.filledSteps as number) > 0), 'the gap in R is filled')

  for (const [metric, horizon] of Object.entries(horizons)) {
    const items = await predictions(metric)
    assert.equal(items.length, horizon, metric)
    assert.equal(items[0].timestamp, asOf)
    for (const item of items) {
      assert.ok(Number.isFinite(item.value) && item.lower <= item.value && item.value <= item.upper, `${metric} ${item.timestamp}: ${item.lower} ${item.value} ${item.upper}`)
      assert.ok(item.upper > item.lower, 'a real interval')
      assert.equal(item.runId, 'e2e-1')
      assert.equal(item.intervalLevel, 0.95)
    }
  }
  assert.equal(readdirSync(join(cwd, '.gras/lake/predictions/metric=G', `date=${asOf.slice(0, 10).replaceAll('-', '')}`)).length, 1)
})

test('a rerun of the same run writes identical items; an older run does not overwrite them', async () => {
  const before = await predictions('G')
  const rerun = await runCli(['pipeline', '--as-of', asOf, '--run-id', 'e2e-1'], { cwd, env })
  assert.equal(rerun.code, 0, rerun.stderr)
  assert.ok(rerun.logs.filter((l) => l.msg === 'model trained').every((l) => l.promoted === false), 'same data: nothing promoted')
  assert.deepEqual(await predictions('G'), before)

  // Features and infer as of 6 hours earlier under a new run id: its forecasts are older.
  const older = await runCli(['features', '--metrics', 'G', '--as-of', iso(asOfMs - 6 * 3_600_000), '--run-id', 'e2e-old'], { cwd, env })
  assert.equal(older.code, 0, older.stderr)
  const infer = await runCli(['infer', '--metrics', 'G', '--as-of', iso(asOfMs - 6 * 3_600_000), '--run-id', 'e2e-old'], { cwd, env })
  assert.equal(infer.code, 0, infer.stderr)
  const written = infer.logs.find((l) => l.msg === 'forecast written')!
  assert.equal(written.skippedNewer, 42, 'the 42 overlapping steps keep the newer forecast')
  assert.equal(written.written, 6)
  assert.deepEqual(await predictions('G'), before)
})

test('models list, approve and rollback', async () => {
  const list = await runCli(['models', 'list', '--metrics', 'G', '--json'], { cwd, env, allowText: true })
  assert.equal(list.code, 0, list.stderr)
  const rows = JSON.parse(list.stdout) as { version: string; status: string }[]
  assert.equal(rows.length, 1)
  const version = rows.find((r) => r.status === 'approved')!.version
  const rollback = await runCli(['models', 'rollback', 'G'], { cwd, env })
  assert.equal(rollback.code, 66, 'nothing earlier to roll back to')
  assert.match(rollback.stderr, /no earlier approved version/)
  const missing = await runCli(['models', 'approve', 'G', 'v-does-not-exist'], { cwd, env })
  assert.equal(missing.code, 66)
  const approve = await runCli(['models', 'approve', 'G', version], { cwd, env })
  assert.equal(approve.code, 0, approve.stderr)
})
