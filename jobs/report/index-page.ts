/**
 * The index: every metric ranked by realised error (worst first; metrics without actuals yet
 * follow, by backtest error), with flags, and a search box that filters the rows in place. Pure.
 */
import { escapeHtml, num, page, percent, utc } from './html.js'
import { metricPageFile, renderFlags } from './metric-page.js'
import { chosenCandidate, flagsOf, realisedMase, type MetricReport, type ReportInput } from './report-data.js'

const filterScript = `const box=document.getElementById('q');const rows=[...document.querySelectorAll('#metrics tbody tr')];const count=document.getElementById('shown');box.addEventListener('input',()=>{const q=box.value.trim().toLowerCase();let n=0;for(const r of rows){const hit=!q||r.dataset.search.includes(q);r.hidden=!hit;if(hit)n++}count.textContent=String(n)})`

/** Descending realised MASE, then descending backtest MASE; NaN last in each. */
export function rankMetrics(metrics: readonly MetricReport[]): MetricReport[] {
  const key = (m: MetricReport): [number, number] => [realisedMase(m), chosenCandidate(m)?.mase ?? Number.NaN]
  const desc = (a: number, b: number) => (Number.isNaN(a) ? (Number.isNaN(b) ? 0 : 1) : Number.isNaN(b) ? -1 : b - a)
  return [...metrics].sort((a, b) => {
    const [ra, ba] = key(a)
    const [rb, bb] = key(b)
    return desc(ra, rb) || desc(ba, bb) || a.metricId.localeCompare(b.metricId)
  })
}

export function renderIndexPage(report: ReportInput): string {
  const ranked = rankMetrics(report.metrics)
  const drifted = report.metrics.filter((m) => m.drift?.drifted).length
  const rows = ranked.map((m, i) => {
    const flags = flagsOf(m)
    const chosen = chosenCandidate(m)
    const search = [m.metricId, m.backtest?.chosen ?? '', ...flags.map((f) => f.text)].join(' ').toLowerCase()
    // A series id's `%XX` escapes are part of the file name: a link must not let the browser decode them.
    return `<tr data-search="${escapeHtml(search)}"><td class="n">${i + 1}</td><td><a href="${escapeHtml(metricPageFile(m.metricId).replaceAll('%', '%25'))}">${escapeHtml(m.metricId)}</a></td><td>${escapeHtml(m.backtest?.chosen ?? '–')}</td><td class="n">${num(realisedMase(m), 3)}</td><td class="n">${num(chosen?.mase, 3)}</td><td class="n">${percent(chosen?.coverage)}</td><td class="n">${m.accuracy.length}</td><td>${renderFlags(flags)}</td></tr>`
  })
  const body = `
<h1>gras forecast report</h1>
<p class="meta">Run ${escapeHtml(report.runId)}, data as of ${utc(report.asOfMs)}. ${report.metrics.length} metric(s), ${drifted} flagged for drift.</p>
<p class="meta">Ranked by mean realised MASE of served day-ahead forecasts (worst first); metrics without actuals yet follow, by backtest MASE. MASE below 1 beats seasonal naive.</p>
<input type="search" id="q" placeholder="filter by metric, model or flag" aria-label="filter metrics"><span class="meta"><span id="shown">${report.metrics.length}</span> shown</span>
<table id="metrics"><thead><tr><th class="n">#</th><th>metric</th><th>model</th><th class="n">realised MASE</th><th class="n">backtest MASE</th><th class="n">coverage</th><th class="n">days</th><th>flags</th></tr></thead>
<tbody>${rows.join('\n')}</tbody></table>
`
  return page('gras forecast report', body, [filterScript])
}
