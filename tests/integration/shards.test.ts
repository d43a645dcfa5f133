/**
 * Shards as Argo runs them, here one after another on the embedded default: `gras plan` splits the
 * lake, each `pipeline --shard i/K` touches only its metrics, and together the shards forecast
 * exactly what one unsharded run forecasts. A metric that appears after the plan is still done,
 * by exactly one shard; a plan that is not one stops the run with the key named.
 */
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { cpSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { runCli } from '../helpers/run-cli.js'
import { configDir, tempDir } from '../helpers/paths.js'
import type { PredictionItem } from '../../jobs/io/predictions-table.js'

const env = { GRAS_CONFIG: configDir }
const asOfMs = Math.floor(Date.now() / 86_400_000) * 86_400_000 - 86_400_000
const iso = (ms: number) => new Date(ms).toISOString().replace('.000Z', 'Z')
const asOf = iso(asOfMs)
const metrics = ['A', 'G', 'O', 'R', 'S']
/** What train and infer run on: the demo's O is four series, all in the shard of O. */
const series = ['A', 'G', 'O~channel=app~region=eu', 'O~channel=app~region=us', 'O~channel=web~region=eu', 'O~channel=web~region=us', 'R', 'S']

async function lakeWithDemo(name: string): Promise<string> {
  const cwd = tempDir(name)
  const demo = await runCli(['demo-data', '--days', '14', '--end', asOf], { cwd, env })
  assert.equal(demo.code, 0, demo.stderr)
  return cwd
}

async function forecasts(cwd: string, metric: string): Promise<Pick<PredictionItem, 'timestamp' | 'value' | 'lower' | 'upper'>[]> {
  const result = await runCli(['predictions', '--metric', metric, '--from', asOf, '--to', iso(asOfMs + 3 * 86_400_000), '--json'], { cwd, env, allowText: true })
  assert.equal(result.code, 0, result.stderr)
  return (JSON.parse(result.stdout) as PredictionItem[]).map(({ timestamp, value, lower, upper }) => ({ timestamp, value, lower, upper }))
}

test('three shards of a plan forecast exactly what one unsharded run does, each metric once', async () => {
  const whole = await lakeWithDemo('shards-whole')
  const one = await runCli(['pipeline', '--as-of', asOf, '--run-id', 'whole'], { cwd: whole, env })
  assert.equal(one.code, 0, one.stderr)

  const sharded = await lakeWithDemo('shards-split')
  const plan = await runCli(['plan', '--shards', '3', '--as-of', asOf, '--run-id', 'plan-1'], { cwd: sharded, env })
  assert.equal(plan.code, 0, plan.stderr)
  const items = JSON.parse(plan.stdout) as { shard: string; plan: string; metrics: number; bytes: number }[]
  assert.deepEqual(items.map((i) => i.shard), ['0/3', '1/3', '2/3'])
  assert.ok(items.every((i) => i.plan === 'plan-1' && i.metrics >= 1 && i.bytes > 0))
  assert.equal(items.reduce((n, i) => n + i.metrics, 0), metrics.length)

  const seen: string[] = []
  for (const item of items) {
    const run = await runCli(['pipeline', '--shard', item.shard, '--plan', item.plan, '--as-of', asOf, '--run-id', 'sharded'], { cwd: sharded, env })
    assert.equal(run.code, 0, run.stderr)
    const trained = run.logs.filter((l) => l.msg === 'model trained').map((l) => l.metric as string)
    assert.equal(new Set(trained.map((id) => id.split('~')[0])).size, item.metrics, `shard ${item.shard} trains the series of its ${item.metrics} metric(s)`)
    seen.push(...trained)
  }
  assert.deepEqual(seen.sort(), series, 'every series trained by exactly one shard')
  for (const metric of series) assert.deepEqual(await forecasts(sharded, metric), await forecasts(whole, metric), metric)
})

test('a metric the plan does not name is done by exactly one shard, with a warning; a broken plan is exit 65 naming it', async () => {
  const cwd = await lakeWithDemo('shards-unplanned')
  // No plan yet (a fresh install's first hourly run): the shards still cover every metric once.
  const first: string[] = []
  for (const shard of ['0/2', '1/2']) {
    const run = await runCli(['features', '--shard', shard, '--as-of', asOf], { cwd, env })
    assert.equal(run.code, 0, run.stderr)
    assert.ok(run.logs.some((l) => l.level === 'warn' && /no shard plan in the lake yet/.test(String(l.msg))))
    first.push(...run.logs.filter((l) => l.msg === 'features written').map((l) => l.metric as string))
  }
  assert.deepEqual(first.sort(), metrics)

  const plan = await runCli(['plan', '--shards', '2', '--as-of', asOf, '--run-id', 'plan-2'], { cwd, env })
  assert.equal(plan.code, 0, plan.stderr)
  cpSync(join(cwd, '.gras/lake/bronze/gras/metric=G'), join(cwd, '.gras/lake/bronze/gras/metric=NEW'), { recursive: true })

  const doneBy: string[] = []
  for (const shard of ['0/2', '1/2']) {
    const run = await runCli(['features', '--shard', shard, '--as-of', asOf], { cwd, env })
    assert.equal(run.code, 0, run.stderr)
    const written = run.logs.filter((l) => l.msg === 'features written').map((l) => l.metric as string)
    if (written.includes('NEW')) {
      doneBy.push(shard)
      assert.ok(run.logs.some((l) => l.level === 'warn' && /not in the shard plan/.test(String(l.msg)) && JSON.stringify(l.metrics) === '["NEW"]'), run.stderr)
    }
  }
  assert.equal(doneBy.length, 1, `NEW done by one shard, got ${doneBy.join(', ')}`)

  const mismatch = await runCli(['features', '--shard', '0/5', '--as-of', asOf], { cwd, env })
  assert.equal(mismatch.code, 64, mismatch.stderr)
  assert.match(mismatch.stderr, /gras: --shard 0\/5: plan plan-2 has 2 shards/)

  const latest = join(cwd, '.gras/lake/plans/latest.json')
  const broken = JSON.parse(readFileSync(latest, 'utf8')) as { shards: unknown }
  broken.shards = 'none'
  writeFileSync(latest, JSON.stringify(broken))
  const bad = await runCli(['features', '--shard', '0/2', '--as-of', asOf], { cwd, env })
  assert.equal(bad.code, 65, bad.stderr)
  assert.match(bad.stderr, /gras: plan: plans\/latest\.json: shards: /)

  const none = await runCli(['infer', '--shard', '0/2', '--plan', 'no-such-plan'], { cwd, env })
  assert.equal(none.code, 66, none.stderr)
  assert.match(none.stderr, /no shard plan no-such-plan .*run gras plan first/)
})
