/**
 * The run-health rules and panels read a job's job-wide series only from its current Pushgateway
 * groups (charts/gras-forecast/files/alerts.yaml explains which): the filter is written out in each
 * expression, since the dashboards must work without the PrometheusRule (and so without recording
 * rules). This keeps every copy the same text as the GrasJobFailed rule's, so a fix to one cannot
 * miss another. What the filter does is tested against real Prometheus (promtool test rules, and
 * tests/integration/shard-metrics.test.ts).
 */
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { readFileSync, readdirSync } from 'node:fs'
import { join } from 'node:path'
import { parse as parseYaml } from 'yaml'
import { repoRoot } from '../../helpers/paths.js'

const files = join(repoRoot, 'charts/gras-forecast/files')
const flat = (expr: string) => expr.replace(/\s+/g, ' ').replace(/\( /g, '(').replace(/ \)/g, ')')
const rules = (parseYaml(readFileSync(join(files, 'alerts.yaml'), 'utf8')) as { groups: { rules: { alert: string; expr: string }[] }[] }).groups.flatMap((g) => g.rules)
const panels = readdirSync(join(files, 'dashboards')).flatMap((file) =>
  (JSON.parse(readFileSync(join(files, 'dashboards', file), 'utf8')) as { panels: { title: string; targets: { expr: string }[] }[] }).panels.flatMap((p) => p.targets.map((t) => ({ where: `${file} "${p.title}"`, expr: t.expr }))),
)

/** Job-wide series the sharded jobs push (jobs/runtime/run-metrics.ts `add`, `set`, `finish`); train-neural's own are never sharded. */
const jobWide = /\bgras_(job_(failed|duration_seconds|metrics|last_success_timestamp_seconds)|rows_read|files_read|files_quarantined|aws_retries|model_fallbacks|backtest_mase_distribution_bucket)\b/

test('every rule and panel over job-wide series filters them by the same current-groups expression', () => {
  const failed = flat(rules.find((r) => r.alert === 'GrasJobFailed')!.expr)
  const match = /^max by \(job\) \(gras_job_failed and on \(job, shard\) \((.+)\)\) == 1$/.exec(failed)
  assert.ok(match, `GrasJobFailed keeps the shape the filter is read from: ${failed}`)
  const current = `and on (job, shard) (${match[1]})`
  assert.match(current, /gras_job_shards/)
  const readers = [...rules.map((r) => ({ where: r.alert, expr: r.expr })), ...panels].filter((q) => jobWide.test(q.expr))
  assert.ok(readers.length >= 10, readers.map((r) => r.where).join(', '))
  for (const { where, expr } of readers) assert.ok(flat(expr).includes(current), `${where} reads job-wide series through the current-groups filter: ${expr}`)
})
