/**
 * train-neural's metrics end to end with real servers (Debian's Pushgateway and Prometheus,
 * tests/helpers/prometheus.ts): a run stopped by SIGTERM, its resumption and a failed run push to
 * the Pushgateway as the CLI does in a pod; Prometheus scrapes them, and the neural dashboard panels
 * and the alert rules that concern train-neural are evaluated on what it scraped. Skipped, with the
 * reason, where the Debian packages are not installed; .ci/run installs them.
 */
import { test, before, after } from 'node:test'
import assert from 'node:assert/strict'
import { spawn } from 'node:child_process'
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { parse as parseYaml } from 'yaml'
import { runCli } from '../helpers/run-cli.js'
import { cliPath, configDir, repoRoot, tempDir } from '../helpers/paths.js'
import { missingPrometheus, startPromStack, type PromStack } from '../helpers/prometheus.js'

const missing = missingPrometheus()
const chartFiles = join(repoRoot, 'charts/gras-forecast/files')
const alertsFile = join(chartFiles, 'alerts.yaml')
const cwd = tempDir('neural-metrics')
const env = { GRAS_CONFIG: configDir }
const day = 86_400_000
const asOf = new Date(Math.floor(Date.now() / day) * day).toISOString().replace('.000Z', 'Z')
const epochs = 30
let stack: PromStack

before(async () => {
  if (missing) return
  stack = await startPromStack(alertsFile)
})
after(() => stack?.close())

const train = (runId: string) => ['--pushgateway', stack.pushgatewayUrl, 'train-neural', '--backend', 'wasm', '--epochs', String(epochs), '--members', '1', '--checkpoint-every', '2', '--seed', '5', '--run-id', runId, '--workers', '1']

/** Runs train-neural and sends SIGTERM once it has logged its first epoch; resolves with its exit code and log lines. */
function trainUntilTerminated(runId: string): Promise<{ code: number | null; logs: Record<string, unknown>[] }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [cliPath, ...train(runId)], { cwd, env: { ...process.env, ...env } })
    let stdout = ''
    child.stdout.on('data', (chunk) => {
      stdout += chunk
      if (!child.killed && stdout.includes('"msg":"epoch done"')) child.kill('SIGTERM')
    })
    child.on('close', (code) => resolve({ code, logs: stdout.split('\n').filter(Boolean).map((l) => JSON.parse(l) as Record<string, unknown>) }))
  })
}

type Sample = { metric: Record<string, string>; value: [number, string] }

/** Polls Prometheus (it scrapes every second) until `expr` gives a result `ok` accepts; returns it. */
async function scraped(expr: string, ok: (result: Sample[]) => boolean): Promise<Sample[]> {
  let last: Sample[] = []
  for (let i = 0; i < 75; i++) {
    const response = await stack.query(expr)
    assert.equal(response.status, 'success', `${expr}: ${response.error}`)
    last = response.result
    if (ok(last)) return last
    await new Promise((r) => setTimeout(r, 200))
  }
  assert.fail(`${expr}: no scrape gave the expected result within 15 s; last: ${JSON.stringify(last)}`)
}

/** The value of each series of `expr`, keyed by `label` (one series each). */
async function byLabel(expr: string, label: string): Promise<Record<string, number>> {
  return Object.fromEntries((await stack.query(expr)).result.map((s) => [s.metric[label], Number(s.value[1])]))
}

const epochsLogged = (logs: Record<string, unknown>[], phase: string) => logs.filter((l) => l.msg === 'epoch done' && l.phase === phase)
const rules = () => (parseYaml(readFileSync(alertsFile, 'utf8')) as { groups: { rules: { alert: string; expr: string }[] }[] }).groups.flatMap((g) => g.rules)
const rule = (alert: string) => rules().find((r) => r.alert === alert)!
/** An alert's expression as it would evaluate `hours` from now on the same data. */
const later = (expr: string, hours: number) => expr.replaceAll('time()', `(time() + ${hours} * 3600)`)
const jobsIn = (result: Sample[]) => result.map((s) => s.metric.job)

test('train-neural pushes its run: stopped, resumed and failed runs, as the dashboards and alerts read them', { skip: missing, timeout: 300_000 }, async () => {
  assert.equal((await runCli(['demo-data', '--days', '21', '--end', asOf], { cwd, env })).code, 0)
  assert.equal((await runCli(['features', '--as-of', asOf], { cwd, env })).code, 0)

  // Spot loss: SIGTERM, checkpoint, exit 75; the failure and the epochs done before it are pushed.
  const stopped = await trainUntilTerminated('neural-obs-1')
  assert.equal(stopped.code, 75)
  assert.ok(stopped.logs.some((l) => l.msg === 'stopped by SIGTERM after checkpointing'))
  await scraped('gras_job_failed{job="train-neural"} == 1', (r) => r.length === 1)
  assert.deepEqual(await byLabel('gras_neural_epochs_trained{job="train-neural"}', 'phase'), { backtest: epochsLogged(stopped.logs, 'backtest').length, final: epochsLogged(stopped.logs, 'final').length })
  assert.deepEqual((await stack.query('gras_job_last_success_timestamp_seconds{job="train-neural"}')).result, [], 'no success yet')

  // The rerun with the same run id resumes from the checkpoint and succeeds.
  const resumed = await runCli(train('neural-obs-1'), { cwd, env, timeoutMs: 240_000 })
  assert.equal(resumed.code, 0, resumed.stderr)
  const from = resumed.logs.find((l) => l.msg === 'resumed from checkpoint')!
  assert.ok(from, 'resumed')
  const saved = resumed.logs.find((l) => l.msg === 'neural model saved')!
  await scraped('gras_job_failed{job="train-neural"} == 0', (r) => r.length === 1)
  assert.deepEqual(await byLabel('gras_neural_members_resumed{job="train-neural"}', 'phase'), { [from.phase as string]: 1, [from.phase === 'backtest' ? 'final' : 'backtest']: 0 })
  assert.deepEqual(await byLabel('gras_neural_members_trained{job="train-neural"}', 'phase'), { backtest: 1, final: 1 })
  const trainedEpochs = await byLabel('gras_neural_epochs_trained{job="train-neural"}', 'phase')
  assert.deepEqual(trainedEpochs, { backtest: epochsLogged(resumed.logs, 'backtest').length, final: epochsLogged(resumed.logs, 'final').length })
  assert.ok(trainedEpochs.backtest + trainedEpochs.final < 2 * epochs, 'epochs restored from the checkpoint are not trained again')
  const loss = await byLabel('gras_neural_training_loss{job="train-neural"}', 'phase')
  for (const phase of ['backtest', 'final']) assert.equal(loss[phase], epochsLogged(resumed.logs, phase).at(-1)!.loss, `${phase}: the last epoch's loss`)
  assert.equal(Number((await stack.query('gras_neural_backtest_mase{job="train-neural"}')).result[0].value[1]), saved.backtestMase)
  assert.deepEqual(await byLabel('gras_neural_backend{job="train-neural"}', 'backend'), { wasm: 1 })
  const metricsInModel = (JSON.parse(readFileSync(join(cwd, '.gras/lake/models/neural', `${saved.version as string}/gras.json`), 'utf8')) as { metrics: string[] }).metrics.length
  assert.deepEqual(await byLabel('gras_job_metrics{job="train-neural"}', 'outcome'), { ok: metricsInModel, failed: 0 })
  const success = Number((await scraped('gras_job_last_success_timestamp_seconds{job="train-neural"}', (r) => r.length === 1))[0].value[1])
  const groups = (await (await fetch(`${stack.pushgatewayUrl}/api/v1/metrics`)).json()) as { data: { labels: Record<string, string> }[] }
  assert.deepEqual(groups.data.filter((g) => g.labels.job === 'train-neural').map((g) => g.labels), [{ job: 'train-neural' }], 'one group, keyed by job only')

  // Just succeeded: not stale, not failed, pushes fine; stale 31 hours on; the wasm backend is not the GPU.
  const stale = rule('GrasNeuralModelStale').expr
  assert.deepEqual(jobsIn((await stack.query(stale)).result), [])
  assert.deepEqual(jobsIn((await stack.query(later(stale, 29))).result), [])
  assert.deepEqual(jobsIn((await stack.query(later(stale, 31))).result), ['train-neural'])
  assert.deepEqual(jobsIn((await stack.query(rule('GrasJobFailed').expr)).result), [])
  assert.deepEqual(jobsIn((await stack.query(rule('GrasMetricsPushFailing').expr)).result), [])
  assert.deepEqual((await stack.query(rule('GrasNeuralWithoutGpu').expr)).result.map((s) => s.metric), [{ job: 'train-neural', backend: 'wasm' }])
  // The push-failure alert sees train-neural's pushes at all (its operand has data).
  assert.ok((await stack.query('push_time_seconds{job=~"features|train|train-neural|infer|monitor"}')).result.some((s) => s.metric.job === 'train-neural'))

  const dashboard = JSON.parse(readFileSync(join(chartFiles, 'dashboards/pipeline-health.json'), 'utf8')) as { panels: { title: string; targets: { expr: string }[] }[] }
  const neuralPanels = dashboard.panels.filter((p) => p.targets.some((t) => t.expr.includes('train-neural')))
  assert.ok(neuralPanels.length >= 4)
  for (const panel of neuralPanels) {
    for (const target of panel.targets) {
      const result = (await stack.query(target.expr)).result
      assert.ok(result.some((s) => s.metric.job === 'train-neural' || !('job' in s.metric)), `"${panel.title}" shows train-neural: ${target.expr}`)
    }
  }

  // A failed run (no features in its lake): failed, alerting, and the last success is kept.
  const failed = await runCli(train('neural-obs-2'), { cwd: tempDir('neural-metrics-empty'), env })
  assert.equal(failed.code, 66, failed.stderr)
  await scraped('gras_job_failed{job="train-neural"} == 1', (r) => r.length === 1)
  assert.deepEqual(jobsIn((await stack.query(rule('GrasJobFailed').expr)).result), ['train-neural'])
  assert.equal(Number((await stack.query('gras_job_last_success_timestamp_seconds{job="train-neural"}')).result[0].value[1]), success, 'POST semantics: a failed run keeps the last success')
})
