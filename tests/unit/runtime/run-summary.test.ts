import { test } from 'node:test'
import assert from 'node:assert/strict'
import { formatSummaryTable, neuralSummary, summariseRun } from '../../../jobs/runtime/run-summary.js'
import type { JobReport } from '../../../jobs/runtime/metric-outcome.js'

const trainDetail = (over: Record<string, unknown> = {}) => ({ model: 'ets', backtestMase: 0.7, coverage: 0.94, intervalWidth: 50, seriesRange: 100, ...over })

const reports: JobReport[] = [
  {
    job: 'features',
    outcomes: [
      { metricId: 'OK', ok: true, detail: { rows: 1000, quarantined: 0, filledSteps: 3, historyCut: false }, durationMs: 100 },
      { metricId: 'BAD', ok: true, detail: { rows: 1000, quarantined: 2, filledSteps: 150, historyCut: true }, durationMs: 100 },
      { metricId: 'WIDE', ok: true, detail: { rows: 500, quarantined: 0, filledSteps: 0, historyCut: false }, durationMs: 100 },
      { metricId: 'GONE', ok: false, error: new Error('features: metric GONE: empty window\nsecond line'), durationMs: 5 },
    ],
  },
  {
    job: 'train',
    outcomes: [
      { metricId: 'OK', ok: true, detail: trainDetail(), durationMs: 900 },
      { metricId: 'BAD', ok: true, detail: trainDetail({ backtestMase: 1.28, model: 'snaive' }), durationMs: 900 },
      { metricId: 'WIDE', ok: true, detail: trainDetail({ intervalWidth: 480, seriesRange: 100 }), durationMs: 900 },
    ],
  },
  { job: 'infer', outcomes: [{ metricId: 'OK', ok: true, detail: { model: 'ets', steps: 48 }, durationMs: 50 }] },
]

test('the summary joins the jobs per metric: status, summed time, rows, model, MASE and coverage', () => {
  const summary = summariseRun(reports)
  assert.deepEqual(summary.jobs, ['features', 'train', 'infer'])
  const ok = summary.metrics.find((m) => m.metric === 'OK')!
  assert.deepEqual(ok, { metric: 'OK', status: 'ok', durationMs: 1050, rows: 1000, model: 'ets', backtestMase: 0.7, coverage: 0.94, warnings: [] })
  const gone = summary.metrics.find((m) => m.metric === 'GONE')!
  assert.equal(gone.status, 'failed')
  assert.equal(gone.failedIn, 'features')
  assert.equal(gone.error, 'features: metric GONE: empty window')
  assert.deepEqual([summary.ok, summary.failed, summary.warned], [3, 1, 2])
})

test('warnings: worse than seasonal naive, an interval wider than twice the range, many filled gaps, quarantined files, history cut', () => {
  const summary = summariseRun(reports)
  const bad = summary.metrics.find((m) => m.metric === 'BAD')!
  assert.deepEqual(bad.warnings, [
    '2 bronze file(s) quarantined',
    '150 of 1000 steps were gaps, filled (15%)',
    'history cut by historyDays: the data reaches back past the window',
    'backtest MASE 1.28 > 1: worse than a seasonal naive forecast',
  ])
  assert.deepEqual(summary.metrics.find((m) => m.metric === 'WIDE')!.warnings, ["interval 480 wide, 4.8x the history's range 100"])
  // At the thresholds: no warning (MASE exactly 1, width exactly 2x, 10% filled).
  const edge = summariseRun([
    { job: 'features', outcomes: [{ metricId: 'E', ok: true, detail: { rows: 100, quarantined: 0, filledSteps: 10 } }] },
    { job: 'train', outcomes: [{ metricId: 'E', ok: true, detail: trainDetail({ backtestMase: 1, intervalWidth: 200, seriesRange: 100 }) }] },
  ])
  assert.deepEqual(edge.metrics[0].warnings, [])
  // NaN figures (no backtest origins) are absent, not warnings.
  const nan = summariseRun([{ job: 'train', outcomes: [{ metricId: 'N', ok: true, detail: trainDetail({ backtestMase: Number.NaN, coverage: Number.NaN }) }] }])
  assert.equal(nan.metrics[0].backtestMase, undefined)
  assert.deepEqual(nan.metrics[0].warnings, [])
})

test('the table: failed first, then warned, numbers right-aligned under their headers, totals last', () => {
  const lines = formatSummaryTable(summariseRun(reports)).split('\n')
  assert.equal(lines[0], 'run summary (features, train, infer)')
  assert.deepEqual(lines.slice(2, 6).map((l) => l.split(/\s+/)[0]), ['GONE', 'BAD', 'WIDE', 'OK'])
  assert.match(lines[2], /^GONE +FAILED \(features\) +5ms +features: metric GONE: empty window$/)
  const header = lines[1]
  for (const row of lines.slice(3, 6)) {
    for (const column of ['rows', 'MASE', 'coverage']) {
      const end = header.indexOf(column) + column.length
      assert.match(row.slice(0, end), /\S$/, `${column} ends where its header ends: ${row}`)
    }
  }
  assert.equal(lines.at(-1), '3 OK, 1 failed, 2 with warnings')
})

test('a table of thousands of metrics stays one screen: the rest are counted', () => {
  const many: JobReport = { job: 'infer', outcomes: Array.from({ length: 3000 }, (_, i) => ({ metricId: `M${i}`, ok: true as const, detail: {} })) }
  const lines = formatSummaryTable(summariseRun([many])).split('\n')
  assert.ok(lines.length < 50)
  assert.match(lines.at(-2)!, /^\.\.\. and 2960 more metric\(s\) OK/)
})

test('train-neural: one row for the global model, warned when worse than seasonal naive', () => {
  const summary = neuralSummary({ version: 'v1', backtestMase: 1.7, durationMs: 2000 })
  assert.equal(summary.metrics[0].model, 'neural v1')
  assert.match(summary.metrics[0].warnings[0], /worse than a seasonal naive/)
})

test("a group's outcome is a row per series: the failed ones with their own reason, the group's time shared", async () => {
  const { groupOutcome } = await import('../../../jobs/runtime/metric-outcome.js')
  const { DataError, InputMissingError } = await import('../../../jobs/core/errors.js')
  const group = { id: 'O#1of2', metricId: 'O', index: 1, count: 2, series: ['O~k=a', 'O~k=b', 'O~k=c'] }
  const results = new Map([
    ['O~k=a', { ok: true as const, detail: trainDetail() }],
    ['O~k=b', { ok: false as const, error: new InputMissingError('infer: metric O~k=b has no approved model') }],
    ['O~k=c', { ok: false as const, error: new DataError('models: bad pack') }],
  ])
  const outcome = groupOutcome(group, results, 300)
  assert.equal(outcome.ok, false)
  const error = (outcome as { error: Error & { exitCode: number } }).error
  assert.equal(error.message, '2 of 3 series failed: O~k=b: infer: metric O~k=b has no approved model; O~k=c: models: bad pack')
  assert.equal(error.exitCode, 65, 'the most retry-worthy of the series codes (65 before 66)')
  const summary = summariseRun([{ job: 'train', outcomes: [outcome] }])
  assert.deepEqual(
    summary.metrics.map((m) => [m.metric, m.status, m.durationMs, m.model ?? m.error]),
    [
      ['O~k=a', 'ok', 100, 'ets'],
      ['O~k=b', 'failed', 100, 'infer: metric O~k=b has no approved model'],
      ['O~k=c', 'failed', 100, 'models: bad pack'],
    ],
  )
  // A dimensionless metric's group is its one series: its outcome is that series' own, as before groups.
  const single = groupOutcome({ id: 'G', metricId: 'G', index: 1, count: 1, series: ['G'] }, new Map([['G', { ok: true as const, detail: trainDetail() }]]), 10)
  assert.deepEqual(single, { metricId: 'G', ok: true, detail: trainDetail(), durationMs: 10 })
})

test('succeeded ids for the next job: metrics of features, the series that succeeded of each group', async () => {
  const { succeededMetrics } = await import('../../../jobs/runtime/metric-outcome.js')
  const features: JobReport = { job: 'features', outcomes: [{ metricId: 'O', ok: true, detail: { series: { 'O~k=a': {}, 'O~k=b': {} } } }, { metricId: 'G', ok: true, detail: {} }] }
  assert.deepEqual(succeededMetrics(features), ['O', 'G'])
  const train: JobReport = {
    job: 'train',
    outcomes: [
      { metricId: 'O#1of2', ok: true, detail: { series: { 'O~k=a': {} } } },
      { metricId: 'O#2of2', ok: false, error: new Error('1 of 2 series failed'), detail: { series: { 'O~k=c': {} }, failedSeries: { 'O~k=b': 'no model' } } },
      { metricId: 'G', ok: true, detail: {} },
      { metricId: 'S', ok: false, error: new Error('no features') },
    ],
  }
  assert.deepEqual(succeededMetrics(train), ['O~k=a', 'O~k=c', 'G'])
})
