/**
 * Metrics end to end with real servers: pipeline and monitor runs push to a Pushgateway, Prometheus
 * scrapes it (honor_labels), and every PromQL expression of every dashboard panel and alert rule is
 * evaluated through Prometheus's HTTP API. promtool checks and unit-tests the rules. Skipped, with
 * the reason, where the Debian packages are not installed; .ci/run installs them.
 */
import { test, before, after } from 'node:test'
import assert from 'node:assert/strict'
import { copyFileSync, readFileSync, readdirSync } from 'node:fs'
import { spawnSync } from 'node:child_process'
import { join } from 'node:path'
import { parse as parseYaml } from 'yaml'
import { runCli } from '../helpers/run-cli.js'
import { configDir, fixturesDir, repoRoot, tempDir } from '../helpers/paths.js'
import { missingPrometheus, startPromStack, type PromStack } from '../helpers/prometheus.js'

const missing = missingPrometheus()
const chartFiles = join(repoRoot, 'charts/gras-forecast/files')
const alertsFile = join(chartFiles, 'alerts.yaml')
let stack: PromStack
const cwd = tempDir('observability')
const env = { GRAS_CONFIG: configDir }
const day = 86_400_000
const today = Math.floor(Date.now() / day) * day
const iso = (ms: number) => new Date(ms).toISOString().replace('.000Z', 'Z')
const neuralPanelTitles = [
  'Neural model: last-epoch training loss and backtest MASE',
  'Neural networks trained and resumed from a checkpoint, by phase',
  'Neural epochs trained by the last run, by phase',
  'Neural backend of the last run (tensorflow-gpu expected)',
]

before(async () => {
  if (missing) return
  stack = await startPromStack(alertsFile)
})
after(() => stack?.close())

test('promtool checks and unit-tests the alert rules', { skip: missing }, () => {
  const check = spawnSync('promtool', ['check', 'rules', alertsFile], { encoding: 'utf8' })
  assert.equal(check.status, 0, check.stdout + check.stderr)
  const dir = tempDir('promtool')
  copyFileSync(alertsFile, join(dir, 'alerts.yaml'))
  copyFileSync(join(fixturesDir, 'promtool/alerts.test.yaml'), join(dir, 'alerts.test.yaml'))
  const unit = spawnSync('promtool', ['test', 'rules', 'alerts.test.yaml'], { cwd: dir, encoding: 'utf8' })
  assert.equal(unit.status, 0, unit.stdout + unit.stderr)
  // Every alert is exercised by the unit tests.
  const alerts = (parseYaml(readFileSync(alertsFile, 'utf8')) as { groups: { rules: { alert: string }[] }[] }).groups.flatMap((g) => g.rules.map((r) => r.alert))
  const tests = readFileSync(join(fixturesDir, 'promtool/alerts.test.yaml'), 'utf8')
  for (const alert of alerts) assert.ok(tests.includes(`alertname: ${alert}`), `${alert} has a promtool test`)
})

test('runs push; Prometheus scrapes; every dashboard and alert expression evaluates', { skip: missing, timeout: 300_000 }, async () => {
  const push = ['--pushgateway', stack.pushgatewayUrl]
  assert.equal((await runCli(['demo-data', '--days', '21', '--end', iso(today)], { cwd, env })).code, 0)
  // Yesterday's run serves today's forecasts... and a run as of yesterday gives the monitor a served day.
  const yesterday = await runCli([...push, 'pipeline', '--metrics', 'G,A', '--as-of', iso(today - day), '--run-id', 'obs-1'], { cwd, env })
  assert.equal(yesterday.code, 0, yesterday.stderr)
  const now = await runCli([...push, 'pipeline', '--metrics', 'G,A', '--as-of', iso(today), '--run-id', 'obs-2'], { cwd, env })
  assert.equal(now.code, 0, now.stderr)
  const monitor = await runCli([...push, 'monitor', '--metrics', 'G,A', '--as-of', iso(today), '--run-id', 'obs-3'], { cwd, env })
  assert.equal(monitor.code, 0, monitor.stderr)
  assert.ok(monitor.logs.some((l) => l.msg === 'accuracy computed' && (l.days as number) >= 1))

  // Grouping keys of unsharded runs: job, and job + metric; never a pod or run id (shards: shard-metrics.test.ts).
  const groups = (await (await fetch(`${stack.pushgatewayUrl}/api/v1/metrics`)).json()) as { data: { labels: Record<string, string> }[] }
  const keys = groups.data.map((g) => Object.keys(g.labels).sort().join(','))
  assert.ok(keys.every((k) => k === 'job' || k === 'job,metric'), keys.join(' | '))
  assert.ok(groups.data.some((g) => g.labels.job === 'train' && g.labels.metric === 'G'))

  let up = await stack.query('gras_job_last_success_timestamp_seconds{job="monitor"}')
  for (let i = 0; i < 50 && up.result.length === 0; i++) {
    await new Promise((r) => setTimeout(r, 200))
    up = await stack.query('gras_job_last_success_timestamp_seconds{job="monitor"}')
  }
  assert.equal(up.result.length, 1, 'Prometheus scraped the pushed metrics')
  assert.equal(up.result[0].metric.job, 'monitor', 'honor_labels keeps the pushed job label')

  // Panels that must show data after these runs; the others must at least be valid PromQL.
  // The neural panels show train-neural's runs, which neural-metrics.test.ts makes and checks.
  const mayBeEmpty = new Set(['AWS retries by operation', 'Model fallbacks by reason', ...neuralPanelTitles])
  for (const file of readdirSync(join(chartFiles, 'dashboards'))) {
    const dashboard = JSON.parse(readFileSync(join(chartFiles, 'dashboards', file), 'utf8')) as { panels: { title: string; targets: { expr: string }[] }[] }
    for (const panel of dashboard.panels) {
      for (const target of panel.targets) {
        const result = await stack.query(target.expr.replaceAll('$metric', '.*'))
        assert.equal(result.status, 'success', `${file} "${panel.title}": ${result.error}`)
        if (!mayBeEmpty.has(panel.title)) assert.ok(result.result.length > 0, `${file} "${panel.title}" returns data: ${target.expr}`)
      }
    }
  }
  const rules = (parseYaml(readFileSync(alertsFile, 'utf8')) as { groups: { rules: { alert: string; expr: string }[] }[] }).groups.flatMap((g) => g.rules)
  for (const rule of rules) {
    const result = await stack.query(rule.expr)
    assert.equal(result.status, 'success', `${rule.alert}: ${result.error}`)
    // Everything just succeeded: none of these conditions holds.
    if (['GrasForecastsStale', 'GrasRetrainStale', 'GrasJobFailed', 'GrasMetricsPushFailing'].includes(rule.alert)) assert.equal(result.result.length, 0, `${rule.alert} is false`)
  }
  // The operands of the stale and failed alerts do have data: the rules are false, not vacuous.
  assert.ok((await stack.query('gras_job_failed')).result.length >= 3)
})

test('a failed push is logged and never fails the job', { skip: missing }, async () => {
  const result = await runCli(['--pushgateway', 'http://127.0.0.1:9', 'infer', '--metrics', 'G', '--run-id', 'obs-4'], { cwd, env })
  assert.equal(result.code, 0, result.stderr)
  assert.ok(result.logs.some((l) => l.msg === 'metrics push failed' && l.level === 'warn'))
})
