/**
 * `--workers`: the pipeline on the demo lake with one worker and with two gives the same results.
 * Two copies of one demo lake, the same run id and as-of time; every file the run writes under
 * models/, predictions/ and silver/ must be byte-identical, and so must the DynamoDB items that
 * `gras predictions` reads and the registry that `gras models list` reads (their times aside).
 * The logs of metrics that ran on worker threads keep their run id, job and metric.
 */
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { cpSync, statSync, utimesSync } from 'node:fs'
import { join } from 'node:path'
import { filesUnder } from '../helpers/files-under.js'
import { configDirWith, runCli } from '../helpers/run-cli.js'
import { tempDir } from '../helpers/paths.js'

const cwd = tempDir('workers')
// No neural candidate: its TensorFlow training is not what this test is about and takes minutes.
const env = { GRAS_CONFIG: configDirWith('train:\n  candidates: [snaive, ets, theta, arima]\n') }
const asOfMs = Math.floor(Date.now() / 86_400_000) * 86_400_000 - 86_400_000
const iso = (ms: number) => new Date(ms).toISOString().replace('.000Z', 'Z')
const asOf = iso(asOfMs)
// The demo's O has dimensions: its four series are the units of every job's log lines.
const metrics = ['A', 'G', 'O~channel=app~region=eu', 'O~channel=app~region=us', 'O~channel=web~region=eu', 'O~channel=web~region=us', 'R', 'S']

async function stored(lake: string): Promise<{ predictions: Record<string, unknown[]>; models: unknown }> {
  const predictions: Record<string, unknown[]> = {}
  for (const metric of metrics) {
    const result = await runCli(['predictions', '--lake', lake, '--metric', metric, '--from', asOf, '--to', iso(asOfMs + 8 * 86_400_000), '--json'], { cwd, env, allowText: true })
    assert.equal(result.code, 0, result.stderr)
    predictions[metric] = JSON.parse(result.stdout)
  }
  const list = await runCli(['models', 'list', '--lake', lake, '--json'], { cwd, env, allowText: true })
  assert.equal(list.code, 0, list.stderr)
  // Registration and approval times are wall-clock times: they differ by design.
  const models = JSON.parse(list.stdout, (key, value) => (key === 'createdAt' || key === 'approvedAt' || key === 'updatedAt' ? undefined : value))
  return { predictions, models }
}

test('the pipeline with --workers 2 writes what it writes with --workers 1', { timeout: 600_000 }, async () => {
  const demo = await runCli(['demo-data', '--lake', 'one', '--days', '28', '--end', asOf], { cwd, env })
  assert.equal(demo.code, 0, demo.stderr)
  cpSync(join(cwd, 'one'), join(cwd, 'two'), { recursive: true })
  // A bronze file's delivery order and etag come from its modification time: the same in both copies, to the millisecond.
  for (const key of filesUnder(join(cwd, 'one'), 'bronze').keys()) {
    const mtime = new Date(Math.floor(statSync(join(cwd, 'one', key)).mtimeMs))
    for (const lake of ['one', 'two']) utimesSync(join(cwd, lake, key), mtime, mtime)
  }

  const runs: Record<string, Awaited<ReturnType<typeof runCli>>> = {}
  for (const [lake, workers] of [['one', '1'], ['two', '2']]) {
    runs[lake] = await runCli(['pipeline', '--lake', lake, '--as-of', asOf, '--run-id', 'same-run', '--workers', workers], { cwd, env, timeoutMs: 300_000 })
    assert.equal(runs[lake].code, 0, runs[lake].stderr)
  }
  const pooled = runs.two.logs.filter((l) => l.msg === 'metrics on worker threads')
  assert.deepEqual(pooled.map((l) => [l.job, l.workers]), [['features', 2], ['train', 2], ['infer', 2]], 'each job of the two-worker run used two workers')
  assert.equal(runs.one.logs.filter((l) => l.msg === 'metrics on worker threads').length, 0, 'one worker: the main thread')

  for (const lake of ['one', 'two']) {
    for (const [job, msg] of [['features', 'features written'], ['train', 'model trained'], ['infer', 'forecast written']]) {
      const lines = runs[lake].logs.filter((l) => l.msg === msg)
      // features reads a metric's bronze once for all its series: one line per metric.
      const units = job === 'features' ? [...new Set(metrics.map((id) => id.split('~')[0]))] : metrics
      assert.deepEqual(lines.map((l) => l.metric).sort(), units, `${lake}: ${msg} once per metric`)
      assert.ok(lines.every((l) => l.job === job && l.run_id === 'same-run'), `${lake}: ${msg} lines carry job and run id`)
    }
  }
  const summaries = ['one', 'two'].map((lake) => runs[lake].logs.find((l) => l.msg === 'run summary') as { metrics: { metric: string; status: string; model: string }[] })
  assert.deepEqual(
    summaries[1].metrics.map((m) => [m.metric, m.status, m.model]),
    summaries[0].metrics.map((m) => [m.metric, m.status, m.model]),
    'the run summary lists the same metrics, outcomes and models',
  )

  for (const dir of ['models', 'predictions', 'silver']) {
    const one = filesUnder(join(cwd, 'one'), dir)
    const two = filesUnder(join(cwd, 'two'), dir)
    assert.deepEqual([...two.keys()].sort(), [...one.keys()].sort(), `${dir}: the same files`)
    // silver is per series; models packs and predictions copies are per group (here a metric) and run.
    const units = dir === 'silver' ? metrics.length : new Set(metrics.map((id) => id.split('~')[0])).size
    assert.ok(one.size >= units, `${dir}: written`)
    for (const [key, bytes] of one) assert.ok(bytes.equals(two.get(key)!), `${key}: identical bytes`)
  }
  const [one, two] = [await stored('one'), await stored('two')]
  for (const metric of metrics) assert.ok(one.predictions[metric].length >= 24, `${metric}: items stored`)
  assert.deepEqual(two.predictions, one.predictions, 'identical DynamoDB prediction items')
  assert.deepEqual(two.models, one.models, 'identical registry entries')
})

test('--workers rejects what is not a positive integer, naming the flag', async () => {
  const result = await runCli(['features', '--lake', 'one', '--workers', '0'], { cwd, env })
  assert.equal(result.code, 64)
  assert.match(result.stderr, /--workers: "0" is not an integer in \[1, 1024\]/)
})
