/**
 * A metric cut into slices over several shards, each step a separate CLI run as the
 * WorkflowTemplate's pods are: `gras plan` cuts the demo's O (four series) into four slices over
 * three shards, `features --shard` builds O once, then `train`, `infer` and `monitor --shard` run
 * only the groups of their slices. Every series is trained, forecast and monitored exactly once,
 * the forecasts are an unsharded run's, and no lake object is written by two shards.
 */
import { test, before } from 'node:test'
import assert from 'node:assert/strict'
import { createHash } from 'node:crypto'
import { existsSync, readFileSync, readdirSync, statSync } from 'node:fs'
import { join, relative } from 'node:path'
import { configDirWith, runCli, type CliResult } from '../helpers/run-cli.js'
import { tempDir } from '../helpers/paths.js'
import type { PredictionItem } from '../../jobs/io/predictions-table.js'

const settings = 'train:\n  candidates: [snaive, ets, theta]\n  backtestOrigins: 3\n  seriesPerGroup: 1\nplan:\n  maxSeriesPerShard: 1\n'
const env = { GRAS_CONFIG: configDirWith(settings) }
const day = 86_400_000
const asOfMs = Math.floor(Date.now() / day) * day - day
const iso = (ms: number) => new Date(ms).toISOString().replace('.000Z', 'Z')
const asOf = iso(asOfMs)
const oSeries = ['O~channel=app~region=eu', 'O~channel=app~region=us', 'O~channel=web~region=eu', 'O~channel=web~region=us']
const series = ['G', ...oSeries]
const sharded = tempDir('shard-slices')
const whole = tempDir('shard-slices-whole')

/** Every lake file with a digest of its bytes and its mtime: what a step wrote is what changed. */
function snapshot(cwd: string): Map<string, string> {
  const lake = join(cwd, '.gras/lake')
  const out = new Map<string, string>()
  const walk = (path: string) => {
    if (!existsSync(path)) return
    for (const name of readdirSync(path)) {
      const child = join(path, name)
      const stat = statSync(child)
      if (stat.isDirectory()) walk(child)
      else out.set(relative(lake, child), `${stat.mtimeMs} ${createHash('sha256').update(readFileSync(child)).digest('hex')}`)
    }
  }
  walk(lake)
  return out
}

/** Runs `args` in `cwd` and returns the result and the lake keys it wrote (new or changed). */
async function step(cwd: string, args: string[]): Promise<{ run: CliResult; wrote: string[] }> {
  const beforeRun = snapshot(cwd)
  const run = await runCli([...args, '--workers', '1'], { cwd, env, timeoutMs: 240_000 })
  const wrote = [...snapshot(cwd)].filter(([key, state]) => beforeRun.get(key) !== state).map(([key]) => key)
  return { run, wrote }
}

async function forecasts(cwd: string, id: string): Promise<Pick<PredictionItem, 'timestamp' | 'value' | 'lower' | 'upper'>[]> {
  const result = await runCli(['predictions', '--metric', id, '--from', asOf, '--to', iso(asOfMs + 3 * day), '--json'], { cwd, env, allowText: true })
  assert.equal(result.code, 0, result.stderr)
  return (JSON.parse(result.stdout) as PredictionItem[]).map(({ timestamp, value, lower, upper }) => ({ timestamp, value, lower, upper }))
}

const logged = (run: CliResult, msg: string) => run.logs.filter((l) => l.msg === msg).map((l) => l.metric as string)

before(async () => {
  for (const cwd of [sharded, whole]) {
    const demo = await runCli(['demo-data', '--days', '21', '--end', asOf], { cwd, env })
    assert.equal(demo.code, 0, demo.stderr)
  }
})

test('a metric cut into four slices over three shards: features once, every series trained and forecast once, an unsharded run\'s forecasts, no key written by two shards', { timeout: 900_000 }, async () => {
  const one = await runCli(['pipeline', '--metrics', 'G,O', '--as-of', asOf, '--run-id', 'whole', '--workers', '1'], { cwd: whole, env, timeoutMs: 240_000 })
  assert.equal(one.code, 0, one.stderr)

  // Before any features run O has no pack: the plan cannot count its series and keeps it whole.
  const early = await runCli(['plan', '--shards', '3', '--metrics', 'G,O', '--as-of', asOf, '--run-id', 'p0'], { cwd: sharded, env })
  assert.equal(early.code, 0, early.stderr)
  assert.deepEqual((JSON.parse(early.stdout) as { slices: number }[]).map((i) => i.slices), [0, 0])
  const seed = await runCli(['features', '--metrics', 'O', '--as-of', iso(asOfMs - day)], { cwd: sharded, env })
  assert.equal(seed.code, 0, seed.stderr)

  const plan = await runCli(['plan', '--shards', '3', '--metrics', 'G,O', '--as-of', asOf, '--run-id', 'p1'], { cwd: sharded, env })
  assert.equal(plan.code, 0, plan.stderr)
  const items = JSON.parse(plan.stdout) as { shard: string; plan: string; metrics: number; slices: number }[]
  assert.deepEqual(items.map((i) => i.shard), ['0/3', '1/3', '2/3'])
  assert.equal(items.reduce((n, i) => n + i.slices, 0), 4, 'O: four series at one per shard, four slices')
  assert.equal(items.reduce((n, i) => n + i.metrics, 0), 1, 'G whole')
  assert.ok(items.filter((i) => i.slices > 0).length >= 2, 'the slices run in more than one shard')
  const stored = JSON.parse(readFileSync(join(sharded, '.gras/lake/plans/p1/plan.json'), 'utf8')) as { schemaVersion: number; shards: { slices?: { metricId: string; slice: number }[] }[] }
  assert.equal(stored.schemaVersion, 2)
  const sliceZero = stored.shards.findIndex((s) => s.slices?.some((c) => c.metricId === 'O' && c.slice === 0))

  const writers = new Map<string, string>()
  const record = (shard: string, wrote: string[]) => {
    for (const key of wrote) {
      // The late-run mark is the one key meant for every writer: each write only has to differ from
      // the last, and monitor reads nothing else of it (io/served-runs.ts).
      if (key.endsWith('/_late-run.json')) continue
      const other = writers.get(key)
      assert.ok(other === undefined || other === shard, `${key} written by shards ${other} and ${shard}`)
      writers.set(key, shard)
    }
  }
  const built: string[] = []
  for (const item of items) {
    const { run, wrote } = await step(sharded, ['features', '--shard', item.shard, '--plan', item.plan, '--as-of', asOf, '--run-id', 'r1'])
    assert.equal(run.code, 0, run.stderr)
    const metrics = logged(run, 'features written')
    if (metrics.includes('O')) assert.equal(item.shard, `${sliceZero}/3`, 'O built in the shard of its slice 0')
    built.push(...metrics)
    record(item.shard, wrote)
  }
  assert.deepEqual(built.sort(), ['G', 'O'], 'each metric built exactly once')

  const done = { train: [] as string[], infer: [] as string[], monitor: [] as string[] }
  const events = { train: 'model trained', infer: 'forecast written', monitor: 'accuracy computed' }
  for (const job of ['train', 'infer', 'monitor'] as const) {
    for (const item of items) {
      const { run, wrote } = await step(sharded, [job, '--shard', item.shard, '--plan', item.plan, '--as-of', asOf, '--run-id', 'r1', ...(job === 'train' ? ['--cutoff', 'exact'] : [])])
      assert.equal(run.code, 0, run.stderr)
      done[job].push(...logged(run, events[job]))
      record(item.shard, wrote)
    }
  }
  assert.deepEqual(done.train.sort(), series, 'every series trained by exactly one shard')
  assert.deepEqual(done.infer.sort(), series, 'every series forecast by exactly one shard')
  assert.deepEqual(done.monitor.sort(), series, 'every series monitored by exactly one shard')
  assert.deepEqual([...writers.keys()].filter((k) => k.startsWith('models/metric=O/run=r1/')).sort(), [1, 2, 3, 4].map((k) => `models/metric=O/run=r1/group=${k}of4.json`))
  for (const id of series) assert.deepEqual(await forecasts(sharded, id), await forecasts(whole, id), id)
})

test('groups counted at run time: fewer groups than slices leaves a slice idle, saying so; every series still trained once', { timeout: 600_000 }, async () => {
  // Planned at one series per group, trained at four: O's 4 series are 1 group for 4 slices, which
  // slice 0 owns. The slices run in more than one shard, so some shard holds O's slices but not
  // slice 0, whichever way the plan balanced them (it balances by bytes, which vary with the data).
  const wider = { GRAS_CONFIG: configDirWith(`${settings.replace('seriesPerGroup: 1', 'seriesPerGroup: 4')}`) }
  const trained: string[] = []
  let idle = 0
  for (const shard of ['0/3', '1/3', '2/3']) {
    const run = await runCli(['train', '--shard', shard, '--plan', 'p1', '--metrics', 'O', '--as-of', asOf, '--run-id', 'r2', '--workers', '1'], { cwd: sharded, env: wider, timeoutMs: 240_000 })
    assert.equal(run.code, 0, run.stderr)
    trained.push(...logged(run, 'model trained'))
    idle += run.logs.filter((l) => /no group of the metric in this shard's slices/.test(String(l.msg)) && l.metric === 'O' && l.groups === 1).length
    // An idle shard succeeded: gras_job_failed 0, no GrasJobFailed alert.
    assert.equal(run.logs.find((l) => l.msg === 'job finished')?.ok, true, `${shard}: the job finished ok`)
  }
  assert.deepEqual(trained.sort(), oSeries)
  assert.ok(idle >= 1, 'a shard whose slices own no group says so')
})

test('train --cutoff exact fails a series without features of the run\'s cutoff, naming it (66); pipeline --shard refuses a shard holding slices (64)', { timeout: 300_000 }, async () => {
  const later = iso(asOfMs + 3_600_000)
  const exact = await runCli(['train', '--metrics', 'G', '--cutoff', 'exact', '--as-of', later, '--run-id', 'r3', '--workers', '1'], { cwd: sharded, env, timeoutMs: 240_000 })
  assert.equal(exact.code, 66, exact.stderr)
  assert.match(exact.stderr, new RegExp(`train: no features of G as of ${later.replace(/[+]/g, '\\+')} \\(the newest, to ${asOf}, is older\\)`))
  const plan = JSON.parse(readFileSync(join(sharded, '.gras/lake/plans/p1/plan.json'), 'utf8')) as { shards: { slices?: unknown[] }[] }
  const holder = plan.shards.findIndex((s) => (s.slices ?? []).length > 0)
  const pipeline = await runCli(['pipeline', '--shard', `${holder}/3`, '--plan', 'p1', '--as-of', asOf, '--run-id', 'r4'], { cwd: sharded, env })
  assert.equal(pipeline.code, 64, pipeline.stderr)
  assert.match(pipeline.stderr, /pipeline --shard \d\/3: plan p1 cuts O into slices/)
})
