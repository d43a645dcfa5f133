/** The report's pure rendering: escaping of every string from data, chart geometry, ranking, flags. */
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { renderIndexPage, rankMetrics } from '../../../jobs/report/index-page.js'
import { renderMetricPage } from '../../../jobs/report/metric-page.js'
import { renderChart } from '../../../jobs/report/chart.js'
import { escapeHtml } from '../../../jobs/report/html.js'
import { flagsOf, outlierIndices, type MetricReport, type ReportInput } from '../../../jobs/report/report-data.js'
import { printBacktest } from '../../../jobs/commands/backtest.js'
import { printAccuracy } from '../../../jobs/commands/accuracy.js'

const hour = 3_600_000
const hostile = `<script>alert("x")</script><img src=x onerror='alert(1)'>&amp;`

function metric(id: string, overrides: Partial<MetricReport> = {}): MetricReport {
  const start = Date.UTC(2026, 0, 1)
  const values = Array.from({ length: 48 }, (_, i) => 100 + 20 * Math.sin((2 * Math.PI * i) / 24))
  const ts = Array.from({ length: 6 }, (_, i) => start + (48 + i) * hour)
  return {
    metricId: id,
    frequency: 'hourly',
    aggregation: 'sum',
    history: { startMs: start, stepMs: hour, values, observed: values.map((_, i) => (i === 5 ? 0 : 1)) },
    forecast: { runId: 'r1', modelVersion: 'v1', intervalLevel: 0.95, timestampsMs: ts, value: ts.map(() => 100), lower: ts.map(() => 80), upper: ts.map(() => 130) },
    backtest: { version: 'v1', chosen: 'theta', horizon: 6, intervalLevel: 0.95, origins: ['a', 'b'], candidates: [{ model: 'snaive', mase: 1, smape: 5, coverage: 0.9 }, { model: 'theta', mase: 0.5, smape: 3, coverage: 0.95 }], fallbacks: [] },
    accuracy: [],
    outliersMs: [],
    problems: [],
    ...overrides,
  }
}

const input = (metrics: MetricReport[]): ReportInput => ({ runId: 'run-1', asOfMs: Date.UTC(2026, 0, 3), metrics })

test('escapeHtml escapes the five characters that matter in content and attributes', () => {
  assert.equal(escapeHtml(`<a href="x" title='y'>&</a>`), '&lt;a href=&quot;x&quot; title=&#39;y&#39;&gt;&amp;&lt;/a&gt;')
})

test('strings from data (model names, reasons, fallbacks, quarantine keys, versions, run ids) are escaped on every page', () => {
  const m = metric('G', {
    backtest: { version: hostile, chosen: hostile, horizon: 6, intervalLevel: 0.95, origins: [], candidates: [{ model: hostile, mase: 2, smape: 1, coverage: 0.5 }], fallbacks: [{ model: hostile, reason: hostile, detail: hostile }] },
    model: { version: hostile, model: hostile, decision: hostile, reason: hostile, backtestMase: 1 },
    accuracy: [{ date: hostile, mase: 1, smape: 1, bias: 0, coverage: 1, points: 24, backtestMase: 1, modelVersion: hostile }],
    drift: { drifted: true, reason: hostile, realisedMase: 2, expectedMase: 1 },
    quality: { rows: 10, filledSteps: 0, windowStart: hostile, windowEnd: hostile, inputFiles: 1, quarantined: [{ key: hostile, reason: hostile }] },
    forecast: { ...metric('G').forecast!, runId: hostile, modelVersion: hostile },
    problems: [hostile],
  })
  const report = { ...input([m]), runId: hostile, lake: hostile }
  for (const html of [renderMetricPage(report, m), renderIndexPage(report)]) {
    assert.doesNotMatch(html, /<script>alert|<img|onerror='/)
    assert.match(html, /&lt;script&gt;alert\(&quot;x&quot;\)/)
    assert.match(html, /&amp;amp;/, 'an entity in the data is shown, not interpreted')
  }
})

test('pages allow only their own inline script, by hash, and fetch nothing', () => {
  const html = renderIndexPage(input([metric('G')]))
  const csp = /http-equiv="Content-Security-Policy" content="([^"]+)"/.exec(html)?.[1] ?? ''
  assert.match(csp, /default-src 'none'/)
  assert.match(csp, /script-src 'sha256-[A-Za-z0-9+/=]+'$/)
  assert.equal(html.match(/<script>/g)?.length, 1)
  assert.doesNotMatch(html, /(src|href)="(https?:)?\/\//)
  assert.match(renderMetricPage(input([]), metric('G')), /script-src 'none'/)
})

test('the chart plots one forecast point per step, inside the band, and marks filled steps and outliers', () => {
  const m = metric('G')
  const svg = renderChart({ history: m.history, forecast: m.forecast, outliers: [10], yLabel: 'G per hour (sum)' })
  const points = (series: string) => (new RegExp(`data-series="${series}" points="([^"]+)"`).exec(svg)?.[1] ?? '').split(' ').map((p) => p.split(',').map(Number))
  const line = points('forecast')
  const band = points('band')
  assert.equal(line.length, 6)
  assert.equal(band.length, 12)
  line.forEach(([x, y], i) => {
    const [ux, uy] = band[i]
    const [lx, ly] = band[band.length - 1 - i]
    assert.equal(ux, x)
    assert.equal(lx, x)
    assert.ok(uy < y && y < ly, `step ${i}`)
  })
  assert.equal(svg.match(/data-series="filled"/g)?.length, 1)
  assert.equal(svg.match(/data-series="outlier"/g)?.length, 1)
  assert.match(svg, />time \(UTC\)</)
  assert.match(svg, />G per hour \(sum\)</)
  assert.match(svg, /<tspan[^>]*>00:00<\/tspan><tspan[^>]*>01-02<\/tspan>/, 'UTC time labels with the day')
})

test('the index ranks by realised MASE (worst first), then metrics without actuals by backtest MASE', () => {
  const day = (mase: number) => ({ date: '2026-01-02', mase, smape: 1, bias: 0, coverage: 1, points: 24, backtestMase: 0.5, modelVersion: 'v1' })
  const good = metric('good', { accuracy: [day(0.3)] })
  const bad = metric('bad', { accuracy: [day(0.9), day(1.1)] })
  const fresh = metric('fresh')
  const broken = metric('broken', { backtest: undefined, problems: ['no silver'] })
  assert.deepEqual(rankMetrics([fresh, good, broken, bad]).map((m) => m.metricId), ['bad', 'good', 'fresh', 'broken'])
  const html = renderIndexPage(input([fresh, good, broken, bad]))
  for (const id of ['good', 'bad', 'fresh', 'broken']) assert.match(html, new RegExp(`href="metric=${id}.html">${id}</a>`))
})

test('flags: drift, worse than seasonal naive, quarantined files, many gaps', () => {
  const m = metric('G', {
    drift: { drifted: true, reason: 'x', realisedMase: 2, expectedMase: 1 },
    backtest: { ...metric('G').backtest!, chosen: 'snaive', candidates: [{ model: 'snaive', mase: 1.28, smape: 1, coverage: 0.95 }] },
    quality: { rows: 100, filledSteps: 10, windowStart: '', windowEnd: '', inputFiles: 2, quarantined: [{ key: 'k', reason: 'r' }] },
  })
  assert.deepEqual(flagsOf(m).map((f) => f.text), ['drift', 'worse than seasonal naive', '1 quarantined', 'many gaps filled'])
  assert.deepEqual(flagsOf(metric('G')), [])
})

test('outliers: a 6x spike on a daily cycle is found, the cycle itself is not', () => {
  const values = Array.from({ length: 24 * 14 }, (_, i) => 50 + 10 * Math.sin((2 * Math.PI * i) / 24) + (i % 7) * 0.3)
  assert.deepEqual(outlierIndices(values), [])
  values[200] *= 6
  assert.deepEqual(outlierIndices(values), [200])
})

test('gras backtest and gras accuracy tables', () => {
  const m = metric('G')
  const text = printBacktest('G', m.backtest!, { version: 'v1', model: 'theta', decision: 'promoted', reason: 'first version of this metric', backtestMase: 0.5 })
  assert.match(text, /chosen theta/)
  assert.match(text, /^theta \*\s+0\.5000\s+3\.000\s+95\.0%$/m)
  assert.ok(text.indexOf('theta *') < text.indexOf('snaive'), 'best first')
  assert.match(text, /reason: first version/)
  const acc = printAccuracy('G', [{ date: '2026-01-02', mase: 0.25, smape: 3, bias: 0.01, coverage: 1, points: 24, backtestMase: 0.3, modelVersion: 'v1' }], { drifted: false, reason: 'ok', realisedMase: 0.25, expectedMase: 0.3 })
  assert.match(acc, /^2026-01-02\s+0\.2500\s+0\.3000\s+3\.000\s+1\.0%\s+100\.0%\s+24\s+v1$/m)
  assert.match(acc, /drift: no \(ok\)/)
  assert.match(printAccuracy('G', [], undefined), /no realised accuracy.*\ndrift: not checked yet/)
})

test('three thousand metrics: one index row each, rendered in well under a second, one page per metric', () => {
  const metrics = Array.from({ length: 3000 }, (_, i) => metric(`m${i}`))
  const started = performance.now()
  const html = renderIndexPage(input(metrics))
  const pageHtml = renderMetricPage(input(metrics), metrics[0])
  assert.ok(performance.now() - started < 1000)
  assert.equal(html.match(/<tr data-search=/g)?.length, 3000)
  assert.ok(html.length < 3_000_000, `index is ${html.length} bytes`)
  assert.equal(pageHtml.match(/<svg/g)?.length, 1)
})
