/**
 * The HTML report of an end-to-end run, opened from disk in Debian's headless Chromium (driven by
 * playwright-core): no console errors, nothing fetched but the report's own files, one chart per
 * metric with `horizon` forecast points inside the interval band, every metric on the index.
 * Screenshots of the index and one metric page go to dist/tests/report-screenshots/.
 */
import { before, test } from 'node:test'
import assert from 'node:assert/strict'
import { existsSync, mkdirSync, readFileSync, readdirSync, rmSync } from 'node:fs'
import { join } from 'node:path'
import { pathToFileURL } from 'node:url'
import { chromium, type Page } from 'playwright-core'
import { runCli } from '../helpers/run-cli.js'
import { configDir, repoRoot, tempDir } from '../helpers/paths.js'
import { ExitCode } from '../../jobs/core/errors.js'
import { modelsPackKey } from '../../jobs/core/lake-layout.js'

const chromiumPath = '/usr/bin/chromium'
const screenshotDir = join(repoRoot, 'dist/tests/report-screenshots')
const day = 86_400_000
const asOfMs = Math.floor(Date.now() / day) * day - day
const iso = (ms: number) => new Date(ms).toISOString().replace('.000Z', 'Z')
// The demo's O has dimensions: a page per series.
const horizons: Record<string, number> = { A: 48, G: 48, 'O~channel=app~region=eu': 48, 'O~channel=app~region=us': 48, 'O~channel=web~region=eu': 48, 'O~channel=web~region=us': 48, R: 48, S: 24 }
const skip = existsSync(chromiumPath) ? false : `${chromiumPath} is missing: apt-get install -y --no-install-recommends chromium`

interface Watched {
  problems: string[]
  requests: string[]
}

function watch(page: Page): Watched {
  const watched: Watched = { problems: [], requests: [] }
  page.on('console', (message) => {
    if (message.type() === 'error' || message.type() === 'warning') watched.problems.push(`${message.type()}: ${message.text()}`)
  })
  page.on('pageerror', (error) => watched.problems.push(`pageerror: ${error.message}`))
  page.on('requestfailed', (request) => watched.problems.push(`request failed: ${request.url()}`))
  page.on('request', (request) => watched.requests.push(request.url()))
  return watched
}

const parsePoints = (text: string | null) => (text ?? '').trim().split(/\s+/).map((pair) => pair.split(',').map(Number) as [number, number])

const cwd = tempDir('report')
const env = { GRAS_CONFIG: configDir, GRAS_LOG_LEVEL: 'warn' }
const out = join(cwd, 'report-out')
let metrics: string[] = []

async function ok(args: string[]) {
  const result = await runCli(args, { cwd, env, timeoutMs: 300_000, allowText: true })
  assert.equal(result.code, 0, `${args.join(' ')}: ${result.stderr}`)
  return result
}

before(async () => {
  await ok(['demo-data', '--days', '28', '--end', iso(asOfMs)])
  // A forecast served a day before, then its actuals, so the accuracy table has a day to show.
  await ok(['pipeline', '--as-of', iso(asOfMs - day), '--run-id', 'rep-r0'])
  await ok(['pipeline', '--as-of', iso(asOfMs), '--run-id', 'rep-r1'])
  await ok(['monitor', '--as-of', iso(asOfMs), '--run-id', 'rep-m1'])
  const silverRoot = join(cwd, '.gras/lake/silver/gras/features')
  const seriesOf = (d: string) => (JSON.parse(readFileSync(join(silverRoot, d, 'newest/_manifest.json'), 'utf8')) as { series: { seriesId: string }[] }).series.map((s) => s.seriesId)
  metrics = readdirSync(silverRoot).flatMap((d) => (d.startsWith('pack=') ? seriesOf(d) : [d.replace('metric=', '')])).sort()
}, { timeout: 600_000 })

test('gras --version prints the package version', async () => {
  const { version } = JSON.parse(readFileSync(join(repoRoot, 'package.json'), 'utf8')) as { version: string }
  assert.equal((await ok(['--version'])).stdout.trim(), version)
})

/** The models pack of a dimensionless metric's version: its group is the metric, its run the version's (`v<cutoff>-<run id>`). */
const packOf = (metric: string, version: string) => modelsPackKey(metric, version.slice(version.indexOf('-') + 1), { index: 1, count: 1 })

test('gras backtest and gras accuracy print the approved candidate table and the realised days', async () => {
  const table = (await ok(['backtest', '--metric', 'G'])).stdout
  assert.match(table, /^G: approved version v\S+-rep-r\d, chosen \S+ \(\*\), 8 origins x 48 steps, 95% interval$/m)
  assert.match(table, /^snaive\s+\d/m)
  const rows = JSON.parse((await ok(['backtest', '--metric', 'G', '--json'])).stdout) as { metricId: string; version: string; candidate: string; chosen: boolean; mase: number; smape: number; coverage: number }[]
  const version = rows[0].version
  const pack = JSON.parse(readFileSync(join(cwd, '.gras/lake', packOf('G', version)), 'utf8')) as { series: Record<string, { backtest: { chosen: string; candidates: { model: string; mase: number; smape: number; coverage: number }[] } }> }
  const stored = pack.series.G.backtest
  assert.deepEqual(rows.filter((r) => r.chosen).map((r) => r.candidate), [stored.chosen])
  assert.deepEqual(
    rows.map(({ candidate, mase, smape, coverage }) => ({ model: candidate, mase, smape, coverage })).sort((a, b) => a.model.localeCompare(b.model)),
    [...stored.candidates].sort((a, b) => a.model.localeCompare(b.model)),
  )
  assert.ok(rows.every((r) => r.metricId === 'G' && r.version === version))
  const csv = (await ok(['backtest', '--metric', 'G', '--csv'])).stdout.split('\r\n')
  assert.equal(csv[0], 'metricId,version,candidate,chosen,mase,smape,coverage')
  assert.equal(csv.length, rows.length + 2)

  const served = new Date(asOfMs - day).toISOString().slice(0, 10)
  const accuracy = JSON.parse((await ok(['accuracy', '--metric', 'G', '--json'])).stdout) as { date: string; points: number; drifted: boolean }[]
  assert.deepEqual(accuracy.map((d) => [d.date, d.points]), [[served, 24]])
  assert.equal(accuracy[0].drifted, false)
  const accuracyCsv = (await ok(['accuracy', '--metric', 'G', '--csv'])).stdout.split('\r\n')
  assert.equal(accuracyCsv[0], 'metricId,date,mase,backtestMase,smape,bias,coverage,points,modelVersion,drifted')
  assert.match(accuracyCsv[1], new RegExp(`^G,${served},[0-9.]+,[0-9.]+,[0-9.]+,-?[0-9.e-]+,[0-9.]+,24,v[^,]+,false$`))
  assert.match((await ok(['accuracy', '--metric', 'G', '--from', served, '--to', served])).stdout, new RegExp(`^${served}\\s+\\d`, 'm'))
  assert.deepEqual(JSON.parse((await ok(['accuracy', '--metric', 'G', '--from', iso(asOfMs), '--json'])).stdout), [])
  const bad = await runCli(['accuracy', '--metric', 'G', '--from', 'yesterday'], { cwd, env, allowText: true })
  assert.equal(bad.code, ExitCode.usage, bad.stderr)
  assert.match(bad.stderr, /--from: "yesterday" is not a date/)
  const badId = await runCli(['backtest', '--metric', 'G/../x'], { cwd, env, allowText: true })
  assert.equal(badId.code, ExitCode.usage)
  assert.match(badId.stderr, /--metric: "G\/\.\.\/x" is not a valid metric id/)
})

test('gras report of a pipeline + monitor run renders in headless Chromium', { skip, timeout: 600_000 }, async () => {
  const report = await runCli(['report', '--run-id', 'rep-1', '--out', out, '--log-level', 'info'], { cwd, env })
  assert.equal(report.code, 0, report.stderr)
  const written = report.logs.find((l) => l.msg === 'report written')
  assert.ok(written, report.stdout)
  assert.equal(written.path, join(out, 'index.html'))
  assert.deepEqual(written.incomplete, [])
  const lakeCopy = join(cwd, '.gras/lake/reports/rep-1')
  for (const file of readdirSync(out)) assert.equal(readFileSync(join(lakeCopy, file), 'utf8'), readFileSync(join(out, file), 'utf8'), file)
  assert.deepEqual(metrics, Object.keys(horizons))

  const browser = await chromium.launch({
    executablePath: chromiumPath,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  })
  try {
    mkdirSync(screenshotDir, { recursive: true })
    const page = await browser.newPage({ viewport: { width: 1366, height: 768 } })
    const watched = watch(page)
    await page.goto(pathToFileURL(join(out, 'index.html')).href)
    const listed = await page.$$eval('#metrics tbody tr td:nth-child(2) a', (links) => links.map((a) => a.textContent ?? ''))
    assert.deepEqual([...listed].sort(), metrics, 'the index lists every metric')
    await page.screenshot({ path: join(screenshotDir, 'index.png'), fullPage: true })
    // The inline filter script runs under the page's Content-Security-Policy.
    await page.fill('#q', 'no-such-metric')
    assert.equal(await page.locator('#metrics tbody tr:not([hidden])').count(), 0)
    assert.equal(await page.textContent('#shown'), '0')
    await page.fill('#q', '')
    assert.equal(await page.locator('#metrics tbody tr:not([hidden])').count(), metrics.length)

    for (const metric of metrics) {
      await page.goto(pathToFileURL(join(out, `metric=${metric}.html`)).href)
      assert.equal(await page.locator('svg[data-chart]').count(), 1, `${metric}: one chart`)
      const forecast = parsePoints(await page.getAttribute('svg [data-series="forecast"]', 'points'))
      const band = parsePoints(await page.getAttribute('svg [data-series="band"]', 'points'))
      assert.equal(forecast.length, horizons[metric], `${metric}: plotted forecast points equal the horizon`)
      assert.equal(band.length, 2 * forecast.length, `${metric}: band has an upper and a lower edge`)
      const upper = band.slice(0, forecast.length)
      const lower = band.slice(forecast.length).reverse()
      forecast.forEach(([x, y], i) => {
        assert.ok(Math.abs(upper[i][0] - x) < 0.01 && Math.abs(lower[i][0] - x) < 0.01, `${metric} step ${i}: band and line at the same x`)
        // SVG y grows downwards: the upper edge is above (smaller y) the line, the lower edge below.
        assert.ok(upper[i][1] <= y + 0.05 && y <= lower[i][1] + 0.05, `${metric} step ${i}: ${upper[i][1]} <= ${y} <= ${lower[i][1]}`)
      })
      assert.ok(upper.some(([, y], i) => y < lower[i][1] - 1), `${metric}: the band has visible width`)
      const axisText = await page.textContent('svg[data-chart]')
      assert.match(axisText ?? '', /time \(UTC\)/)
      assert.match(axisText ?? '', new RegExp(`${metric} per hour`))
      assert.ok((await page.locator('tr.chosen').count()) === 1, `${metric}: the chosen candidate is marked`)
      assert.match((await page.textContent('body')) ?? '', /Mean realised MASE \d/, `${metric}: realised accuracy shown`)
      if (metric === 'G') await page.screenshot({ path: join(screenshotDir, 'metric-G.png'), fullPage: true })
    }
    assert.deepEqual(watched.problems, [])
    assert.deepEqual(watched.requests.filter((url) => !url.startsWith('file://')), [], 'no network requests')
    assert.equal(watched.requests.length, 1 + metrics.length, 'one request per page: nothing else fetched')
  } finally {
    await browser.close()
  }
})

test('a metric whose backtest report is missing still gets a page that names what is missing', async () => {
  const version = (JSON.parse((await ok(['backtest', '--metric', 'S', '--json'])).stdout) as { version: string }[])[0].version
  const key = packOf('S', version)
  rmSync(join(cwd, '.gras/lake', key))
  const partial = join(cwd, 'report-partial')
  const result = await runCli(['report', '--metrics', 'S,G', '--run-id', 'rep-2', '--out', partial, '--log-level', 'info'], { cwd, env })
  assert.equal(result.code, 0, result.stderr)
  assert.deepEqual(result.logs.find((l) => l.msg === 'report written')?.incomplete, ['S'])
  const html = readFileSync(join(partial, 'metric=S.html'), 'utf8')
  assert.match(html, new RegExp(`model: models: models pack ${key} is missing \\(registered version ${version} of S\\)`))
  assert.match(html, /data-series="forecast"/, 'the parts that exist are still shown')
  assert.match(readFileSync(join(partial, 'index.html'), 'utf8'), /incomplete data/)
  const missing = await runCli(['backtest', '--metric', 'S'], { cwd, env, allowText: true })
  assert.equal(missing.code, ExitCode.noInput)
  assert.match(missing.stderr, /models pack \S+ is missing/)
})

interface ModelRow {
  metricId: string
  version: string
  shortVersion: string
  runId: string
  backtestMase: number
  status: string
  reason: string
}

test('models list: columns aligned with their headers, short versions that approve accepts, one MASE', async () => {
  // The forecast metrics (the global neural model, _neural, has its own rows when listed).
  const listed = ['--metrics', metrics.join(',')]
  const rows = JSON.parse((await ok(['models', 'list', ...listed, '--json'])).stdout) as ModelRow[]
  assert.deepEqual([...new Set(rows.map((r) => r.metricId))].sort(), metrics)
  // The second pipeline weighed its version against the first's: the reason quotes the version's own MASE.
  const compared = rows.filter((r) => r.runId === 'rep-r1' && /backtest MASE \d/.test(r.reason))
  assert.ok(compared.length >= 1, JSON.stringify(rows.map((r) => r.reason)))
  for (const row of compared) assert.equal(/backtest MASE (\d+\.\d{4})/.exec(row.reason)![1], row.backtestMase.toFixed(4), `${row.metricId} ${row.version}: ${row.reason}`)

  const table = (await ok(['models', 'list', ...listed])).stdout.trimEnd().split('\n')
  const [header, rule, ...lines] = table
  assert.match(header, /^metric\s+version\s+model\s+mase\s+status\s+created$/)
  assert.match(rule, /^-+( +-+){5}$/)
  const starts = [...rule.matchAll(/-+/g)].map((m) => [m.index, m.index + m[0].length])
  assert.equal(lines.length, rows.length)
  lines.forEach((line, i) => {
    const row = rows[i]
    // Text columns start under their header; the MASE column ends under its header.
    for (const [c, text] of [[0, row.metricId], [1, row.shortVersion], [4, row.status]] as const) assert.equal(line.slice(starts[c][0], starts[c][0] + text.length), text, `${line}: column ${c}`)
    assert.equal(line.slice(starts[3][1] - 6, starts[3][1]), row.backtestMase.toFixed(4), `${line}: mase`)
    assert.ok(row.shortVersion.length >= 12 && row.shortVersion.length < row.version.length && row.version.startsWith(row.shortVersion))
    assert.equal(rows.filter((r) => r.metricId === row.metricId && r.version.startsWith(row.shortVersion)).length, 1, 'unique within the metric')
  })
  for (const line of lines) assert.ok(line.length <= header.length + 40, 'no 45-character versions')

  // Approve by the short form, then back: the pointer holds the full version.
  const g = rows.filter((r) => r.metricId === 'G')
  const current = g.find((r) => r.status === 'approved')!
  const other = g.find((r) => r.status !== 'approved')!
  const approved = await ok(['models', 'approve', 'G', other.shortVersion, '--log-level', 'info'])
  // Commands whose stdout is data log to stderr.
  const approvedLog = approved.stderr.split('\n').filter(Boolean).map((l) => JSON.parse(l) as Record<string, unknown>).find((l) => l.msg === 'version approved')
  assert.equal(approvedLog?.version, other.version)
  const after = JSON.parse((await ok(['models', 'list', '--metrics', 'G', '--json'])).stdout) as ModelRow[]
  assert.equal(after.find((r) => r.status === 'approved')?.version, other.version)
  await ok(['models', 'approve', 'G', current.shortVersion])
  const ambiguous = await runCli(['models', 'approve', 'G', 'v'.padEnd(4, current.version.slice(1))], { cwd, env, allowText: true })
  assert.equal(ambiguous.code, ExitCode.usage, ambiguous.stderr)
  assert.match(ambiguous.stderr, /is ambiguous: .* start with it/)

  const csv = (await ok(['models', 'list', ...listed, '--csv'])).stdout.split('\r\n')
  assert.equal(csv[0], 'metricId,version,shortVersion,runId,model,backtestMase,status,decision,reason,createdAt,dataCutoff')
  assert.equal(csv.length, rows.length + 2)
})

test('monitor and train write the report of their run to the lake, and gras report defaults to the last run', { timeout: 600_000 }, async () => {
  assert.ok(existsSync(join(cwd, '.gras/lake/reports/rep-m1/index.html')), 'the monitor run wrote its report')
  assert.ok(existsSync(join(cwd, '.gras/reports/rep-m1/index.html')), 'and its local copy beside the local lake')
  const trained = await ok(['train', '--metrics', 'G', '--as-of', iso(asOfMs), '--run-id', 'rep-t1', '--log-level', 'info'])
  assert.equal(trained.logs.find((l) => l.msg === 'report written')?.lakeKey, 'reports/rep-t1/index.html')
  assert.ok(existsSync(join(cwd, '.gras/lake/reports/rep-t1/metric=G.html')))

  // The newest run that trained or wrote predictions is rep-t1; a fresh id is not made up.
  const last = await ok(['report', '--metrics', 'G', '--log-level', 'info'])
  const written = last.logs.find((l) => l.msg === 'report written')
  assert.equal(written?.runId, 'rep-t1')
  assert.equal(written?.lakeKey, 'reports/rep-t1/index.html')
  assert.match((await ok(['report', '--help'])).stdout.replace(/\s+/g, ' '), /default: the last run: the newest that wrote predictions or trained/)
  const given = await ok(['report', '--metrics', 'G', '--run-id', 'rep-r0', '--log-level', 'info'])
  assert.equal(given.logs.find((l) => l.msg === 'report written')?.runId, 'rep-r0')
})
