/**
 * What a person sees: `gras pipeline` under a real pseudo-terminal (util-linux `script`, which gives
 * the child a pty for stdin, stdout and stderr) shows human-readable logs, progress and the summary
 * table; the same command with pipes prints only JSON lines (and the documented `gras:` line).
 */
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { spawn, spawnSync } from 'node:child_process'
import { mkdirSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { cliPath, tempDir } from '../helpers/paths.js'
import { configDirWith, runCli } from '../helpers/run-cli.js'

const hasScript = spawnSync('script', ['--version']).status === 0
// Two epochs of one network: enough for the progress bar, quick on two shared cores.
const config = configDirWith('neural:\n  epochs: 2\n  members: 1\n')
const asOf = new Date(Math.floor(Date.now() / 3_600_000) * 3_600_000 - 86_400_000).toISOString().replace('.000Z', 'Z')

/** Runs the CLI with a pty as its terminal; returns everything the terminal received. */
function runInTerminal(args: string[], cwd: string): Promise<{ code: number; screen: string }> {
  const quote = (s: string) => `'${s.replace(/'/g, `'\\''`)}'`
  const command = [process.execPath, cliPath, ...args].map(quote).join(' ')
  return new Promise((resolve, reject) => {
    const child = spawn('script', ['-q', '-e', '-c', command, '/dev/null'], { cwd, env: { ...process.env, GRAS_CONFIG: config, TERM: 'xterm', COLUMNS: '160' }, stdio: ['pipe', 'pipe', 'pipe'] })
    let screen = ''
    child.stdout.on('data', (chunk) => (screen += chunk))
    child.stderr.on('data', (chunk) => (screen += chunk))
    const timer = setTimeout(() => child.kill('SIGKILL'), 240_000)
    child.on('error', reject)
    child.on('close', (code) => {
      clearTimeout(timer)
      resolve({ code: code ?? -1, screen })
    })
  })
}

const plain = (text: string) => text.replace(/\x1b\[[0-9;]*[A-Za-z]/g, '')

test('on a terminal: readable log lines, progress per job and for the neural epochs, and the summary table', { skip: !hasScript && 'util-linux script is not installed' }, async () => {
  const cwd = tempDir('tty')
  const { code, screen } = await runInTerminal(['pipeline', '--demo-if-empty', '--as-of', asOf], cwd)
  const text = plain(screen)
  assert.equal(code, 0, text)
  // Colour, and no JSON log records.
  assert.match(screen, /\x1b\[3\dm/)
  assert.doesNotMatch(text, /\{"level":/)
  assert.match(text, /INFO.*features G features written/)
  // The status lines, redrawn in place: per job metrics done / total, and the neural epochs.
  // features counts metrics (the demo's five), train and infer series (O is four).
  for (const [job, units] of [['features', 5], ['train', 8], ['infer', 8]]) assert.match(text, new RegExp(`${job}  ${units}/${units} metrics  █+  elapsed \\d`))
  assert.match(text, /train  [1-7]\/8 metrics  [█░]+  elapsed \S+  ETA \S+/)
  // The two networks train side by side: the bar counts the epochs of both, in whatever order they end.
  assert.match(text, /train-neural  [1-4]\/4 epochs  [█░]+  elapsed \S+  ETA \S+  backtest net 1\/1 epoch 2\/2 loss \d/)
  const epochsShown = [...text.matchAll(/train-neural  (\d)\/4 epochs/g)].map((m) => Number(m[1]))
  assert.deepEqual(epochsShown, [...epochsShown].sort(), `the bar never moves back: ${epochsShown.join(' ')}`)
  assert.doesNotMatch(text, /epoch done/)
  // The table: a header and one row per metric, with the chosen model and its backtest figures.
  const lines = text.split(/\r?\n/).map((l) => l.replace(/^.*\r/, ''))
  const header = lines.findIndex((l) => /^metric +status +time +rows +model +MASE +coverage +notes$/.test(l))
  assert.ok(header > 0, text)
  const rows = lines.slice(header + 1, header + 9)
  assert.deepEqual(rows.map((r) => r.split(/\s+/)[0]).sort(), ['A', 'G', 'O~channel=app~region=eu', 'O~channel=app~region=us', 'O~channel=web~region=eu', 'O~channel=web~region=us', 'R', 'S'])
  for (const row of rows) assert.match(row, /^[AGORS]\S* +(OK|WARN) +\S+ +\d+ +\S+ +\d\.\d{3} +\d+%/)
  assert.match(lines[header + 9], /^8 OK, 0 failed, \d with warnings$/)
  assert.match(text, /pipeline run summary/)
})

test('without a terminal: every line is JSON (or the one gras: line), and one run summary line names each metric with its warnings', async () => {
  const cwd = tempDir('notty')
  const env = { GRAS_CONFIG: config }
  const demo = await runCli(['demo-data', '--days', '10', '--end', asOf], { cwd, env })
  assert.equal(demo.code, 0, demo.stderr)
  // A file that is not Parquet: quarantined, and the summary says so.
  // In the day of the last hour before the as-of, which the run reads (at 00:00 the as-of's own day holds none of it).
  const day = new Date(Date.parse(asOf) - 3_600_000).toISOString().slice(0, 10).split('-')
  const dir = join(cwd, '.gras/lake/bronze/gras/metric=G', `year=${day[0]}/month=${day[1]}/day=${day[2]}`)
  mkdirSync(dir, { recursive: true })
  writeFileSync(join(dir, 'garbage.parquet'), 'not parquet at all')
  const run = await runCli(['pipeline', '--as-of', asOf, '--run-id', 'notty-1'], { cwd, env })
  assert.equal(run.code, 0, run.stderr)
  for (const line of run.stderr.split('\n').filter(Boolean)) {
    if (line.startsWith('gras: ')) continue
    assert.doesNotThrow(() => JSON.parse(line), `stderr line is neither JSON nor a gras: line: ${line}`)
  }
  const summaries = run.logs.filter((l) => l.msg === 'run summary')
  assert.equal(summaries.length, 1)
  const summary = summaries[0] as { job: string; run_id: string; level: string; jobs: string[]; metrics: { metric: string; status: string; rows: number; model: string; backtestMase: number; coverage: number; durationMs: number; warnings: string[] }[] }
  assert.equal(summary.job, 'pipeline')
  assert.equal(summary.run_id, 'notty-1')
  assert.deepEqual(summary.jobs, ['features', 'train', 'infer'])
  assert.deepEqual(summary.metrics.map((m) => m.metric).sort(), ['A', 'G', 'O~channel=app~region=eu', 'O~channel=app~region=us', 'O~channel=web~region=eu', 'O~channel=web~region=us', 'R', 'S'])
  for (const m of summary.metrics) {
    assert.equal(m.status, 'ok')
    assert.ok(m.rows > 0 && m.model && m.backtestMase > 0 && m.coverage > 0 && m.durationMs > 0, JSON.stringify(m))
  }
  const g = summary.metrics.find((m) => m.metric === 'G')!
  assert.ok(g.warnings.includes('1 bronze file(s) quarantined'), JSON.stringify(g))
  assert.equal(summary.level, 'warn')
  // The epochs stay JSON lines, as before.
  assert.ok(run.logs.some((l) => l.msg === 'epoch done' && l.phase === 'final' && l.epoch === 2))
  // Backend probing: once, at debug level, so not at the default level.
  assert.ok(!run.stdout.includes('Cannot find'), 'optional-backend probe errors at info level')
})

test('--log-format overrides the detection: pretty into a pipe, json on a terminal', { skip: !hasScript && 'util-linux script is not installed' }, async () => {
  const cwd = tempDir('format')
  mkdirSync(join(cwd, 'lake'))
  const pretty = await runCli(['--log-format', 'pretty', '--lake', join(cwd, 'lake'), 'demo-data', '--days', '2'], { cwd, env: { GRAS_CONFIG: config }, allowText: true })
  assert.equal(pretty.code, 0, pretty.stderr)
  assert.match(pretty.stdout, /^\[\d\d:\d\d:\d\d\] INFO: demo-data demo data written \{"files":/m)
  const json = await runInTerminal(['--log-format', 'json', '--lake', join(cwd, 'lake2'), 'demo-data', '--days', '2'], cwd)
  assert.equal(json.code, 0, json.screen)
  const lines = json.screen.split(/\r?\n/).filter(Boolean)
  assert.ok(lines.length > 0)
  for (const line of lines) assert.doesNotThrow(() => JSON.parse(line), line)
})
