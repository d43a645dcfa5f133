/** One metric's page: chart, model choice, realised accuracy, data quality. Pure. */
import { renderChart } from './chart.js'
import { escapeHtml, num, page, percent, utc } from './html.js'
import { chosenCandidate, flagsOf, realisedMase, type Flag, type MetricReport, type ReportInput } from './report-data.js'

/** The file of a metric's page, relative to the report folder (metric ids are filename-safe). */
export const metricPageFile = (metricId: string) => `metric=${metricId}.html`

export function renderFlags(flags: Flag[]): string {
  return flags.length === 0 ? '<span class="flag ok">ok</span>' : flags.map((f) => `<span class="flag ${f.level}">${escapeHtml(f.text)}</span>`).join('')
}

const stepWords = (stepMs: number) => (stepMs === 86_400_000 ? 'day' : stepMs === 3_600_000 ? 'hour' : `${stepMs / 60_000} min`)

export function renderMetricPage(report: ReportInput, metric: MetricReport): string {
  const id = escapeHtml(metric.metricId)
  const h = metric.history
  const outliers = h ? metric.outliersMs.map((t) => (t - h.startMs) / h.stepMs).filter((i) => i >= 0 && i < h.values.length) : []
  const step = metric.history ? stepWords(metric.history.stepMs) : metric.frequency
  const level = metric.forecast?.intervalLevel ?? metric.backtest?.intervalLevel
  const yLabel = `${metric.metricId} per ${step} (${metric.aggregation})`
  const forecastText = metric.forecast
    ? `${metric.forecast.timestampsMs.length} steps from ${utc(metric.forecast.timestampsMs[0])}, ${percent(level)} interval, run ${metric.forecast.runId}, model version ${metric.forecast.modelVersion}`
    : 'no stored forecast'
  const body = `
<p><a href="index.html">&larr; all metrics</a></p>
<h1>Metric ${id}</h1>
<p class="meta">Report of run ${escapeHtml(report.runId)}, data as of ${utc(report.asOfMs)}. ${renderFlags(flagsOf(metric))}</p>
${metric.problems.length > 0 ? `<ul class="notes">${metric.problems.map((p) => `<li><span class="flag bad">problem</span> ${escapeHtml(p)}</li>`).join('')}</ul>` : ''}
<h2>History and forecast</h2>
<p class="meta">${escapeHtml(forecastText)}</p>
<div class="legend"><span><i style="background:#2b2f36;height:2px"></i>history</span><span><i style="background:#1f6feb;height:3px"></i>forecast</span><span><i style="background:#9cc3ff"></i>${escapeHtml(percent(level))} interval</span><span><i style="background:#e69500;border-radius:5px;width:10px"></i>gap filled</span><span><i style="border:2px solid #c62828;border-radius:6px;width:12px"></i>outlier</span></div>
${renderChart({ history: metric.history, forecast: metric.forecast, outliers, yLabel })}
<h2>Model choice</h2>
${renderModel(metric)}
<h2>Realised accuracy</h2>
${renderAccuracy(metric)}
<h2>Data quality</h2>
${renderQuality(metric)}
`
  return page(`gras report: ${metric.metricId}`, body)
}

function renderModel(metric: MetricReport): string {
  const bt = metric.backtest
  if (!bt) return '<p class="meta">No approved model with a backtest report.</p>'
  const rows = [...bt.candidates]
    .sort((a, b) => (Number.isNaN(a.mase) ? 1 : Number.isNaN(b.mase) ? -1 : a.mase - b.mase))
    .map((c) => `<tr${c.model === bt.chosen ? ' class="chosen"' : ''}><td>${escapeHtml(c.model)}${c.model === bt.chosen ? ' (chosen)' : ''}</td><td class="n">${num(c.mase, 3)}</td><td class="n">${num(c.smape, 2)}</td><td class="n">${percent(c.coverage)}</td></tr>`)
  const fallbacks = bt.fallbacks.map((f) => `<li>${escapeHtml(f.model)}: ${escapeHtml(f.reason)} (${escapeHtml(f.detail)})</li>`)
  const m = metric.model
  return `<p>Approved version <code>${escapeHtml(bt.version)}</code>: <b>${escapeHtml(bt.chosen)}</b>, chosen on its backtest over ${bt.origins.length} rolling origins of ${bt.horizon} steps. ${whyChosen(bt)} MASE below 1 beats seasonal naive; coverage is of the ${percent(bt.intervalLevel)} interval.</p>
${m ? `<p>Registry: ${escapeHtml(m.decision)}: ${escapeHtml(m.reason)}</p>` : ''}
<table><thead><tr><th>candidate</th><th class="n">MASE</th><th class="n">sMAPE</th><th class="n">coverage</th></tr></thead><tbody>${rows.join('')}</tbody></table>
${fallbacks.length > 0 ? `<p>Candidates that failed and were skipped:</p><ul class="notes">${fallbacks.join('')}</ul>` : ''}`
}

/** Why the winner won, true to select.ts: lowest MASE, but a single model must beat the combinations by a margin. */
function whyChosen(bt: NonNullable<MetricReport['backtest']>): string {
  const chosen = bt.candidates.find((c) => c.model === bt.chosen)
  const best = [...bt.candidates].filter((c) => Number.isFinite(c.mase)).sort((a, b) => a.mase - b.mase)[0]
  if (!chosen || !best) return 'No candidate could be backtested (series too short): seasonal naive is used.'
  if (best.model === chosen.model) return 'It had the lowest backtest MASE.'
  const digits = num(best.mase, 3) === num(chosen.mase, 3) ? 4 : 3
  const lower = `${escapeHtml(best.model)} had a lower MASE (${num(best.mase, digits)} against ${num(chosen.mase, digits)}), but`
  return chosen.model.startsWith('combination:')
    ? `${lower} a single model is chosen over a combination only when its MASE is lower by the margin <code>train.combinationMargin</code>.`
    : `${lower} the candidates ranked above it could not be fitted on all the data (see the skipped candidates below).`
}

function renderAccuracy(metric: MetricReport): string {
  const drift = metric.drift
  const driftText = drift ? `<p>${drift.drifted ? '<span class="flag bad">drift</span>' : '<span class="flag ok">no drift</span>'} ${escapeHtml(drift.reason)}</p>` : ''
  if (metric.accuracy.length === 0) return `${driftText}<p class="meta">No realised accuracy yet: run <code>gras monitor</code> once actuals for forecast days exist.</p>`
  const backtest = chosenCandidate(metric)?.mase
  const rows = metric.accuracy.map(
    (d) => `<tr><td>${escapeHtml(d.date)}</td><td class="n">${num(d.mase, 3)}</td><td class="n">${num(d.backtestMase, 3)}</td><td class="n">${num(d.smape, 2)}</td><td class="n">${percent(d.bias)}</td><td class="n">${percent(d.coverage)}</td><td class="n">${num(d.points, 0)}</td><td><code>${escapeHtml(d.modelVersion)}</code></td></tr>`,
  )
  return `${driftText}<p>Mean realised MASE ${num(realisedMase(metric), 3)} over ${metric.accuracy.length} day(s), against a backtest MASE of ${num(backtest, 3)} for the approved model.</p>
<table><thead><tr><th>day (UTC)</th><th class="n">MASE</th><th class="n">backtest MASE</th><th class="n">sMAPE</th><th class="n">bias</th><th class="n">coverage</th><th class="n">points</th><th>model version</th></tr></thead><tbody>${rows.join('')}</tbody></table>`
}

function renderQuality(metric: MetricReport): string {
  const q = metric.quality
  if (!q) return '<p class="meta">No features manifest.</p>'
  const outliers = metric.outliersMs
  const notes = [
    `${q.rows} steps in the features (window ${escapeHtml(q.windowStart)} to ${escapeHtml(q.windowEnd)}), from ${q.inputFiles} bronze file(s).`,
    `${q.filledSteps} step(s) had no data and were filled by the gap policy (${percent(q.rows > 0 ? q.filledSteps / q.rows : Number.NaN)}).`,
    outliers.length > 0
      ? `${outliers.length} outlier(s) in the features (more than 6 robust deviations from the local median; kept, not removed): ${outliers.slice(0, 10).map(utc).join(', ')}${outliers.length > 10 ? ', ...' : ''}.`
      : 'No outliers in the features (no step more than 6 robust deviations from the local median).',
    q.quarantined.length === 0 ? 'No bronze file was quarantined.' : `${q.quarantined.length} bronze file(s) quarantined:`,
  ]
  const quarantined = q.quarantined.map((f) => `<li><code>${escapeHtml(f.key)}</code>: ${escapeHtml(f.reason)}</li>`)
  return `<ul class="notes">${notes.map((n) => `<li>${n}</li>`).join('')}</ul>${quarantined.length > 0 ? `<ul class="notes">${quarantined.join('')}</ul>` : ''}`
}
