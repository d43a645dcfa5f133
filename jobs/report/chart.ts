/**
 * The forecast chart as inline SVG: recent history, the forecast line and its interval band, with
 * value and UTC time axes. Pure; the DOM carries `data-series` names so tests can read it back.
 */
import { escapeHtml } from './html.js'
import type { ReportForecast, ReportHistory } from './report-data.js'

export interface ChartInput {
  history?: ReportHistory
  forecast?: ReportForecast
  /** Indices into `history.values` to mark as outliers. */
  outliers: number[]
  yLabel: string
}

const width = 1100
const height = 392
const margin = { top: 16, right: 24, bottom: 58, left: 72 }
const hourMs = 3_600_000
const dayMs = 24 * hourMs

/** A "nice" step (1, 2, 2.5, 5 x 10^k) giving about `count` ticks over `span`. */
export function niceStep(span: number, count: number): number {
  const raw = span / Math.max(1, count)
  const power = 10 ** Math.floor(Math.log10(raw))
  return ([1, 2, 2.5, 5, 10].find((m) => m * power >= raw) ?? 10) * power
}

const timeSteps = [hourMs, 3 * hourMs, 6 * hourMs, 12 * hourMs, dayMs, 2 * dayMs, 7 * dayMs, 14 * dayMs, 28 * dayMs, 91 * dayMs, 364 * dayMs]

function timeLabel(ms: number, stepMs: number): string[] {
  const iso = new Date(ms).toISOString()
  const day = `${iso.slice(5, 10)}`
  return stepMs < dayMs ? [iso.slice(11, 16), day] : stepMs < 364 * dayMs ? [day, iso.slice(0, 4)] : [iso.slice(0, 4)]
}

const fmt = (v: number) => (Math.abs(v) >= 1e6 ? `${(v / 1e6).toPrecision(3)}M` : Math.abs(v) >= 1e4 ? `${(v / 1e3).toPrecision(3)}k` : String(Number(v.toPrecision(6))))
const xy = (x: number, y: number) => `${x.toFixed(1)},${y.toFixed(1)}`

export function renderChart(input: ChartInput): string {
  const { history, forecast } = input
  const times: number[] = []
  const values: number[] = []
  if (history) history.values.forEach((v, i) => (times.push(history.startMs + i * history.stepMs), values.push(v)))
  if (forecast) times.push(...forecast.timestampsMs), values.push(...forecast.lower, ...forecast.upper, ...forecast.value)
  const finite = values.filter(Number.isFinite)
  if (times.length === 0 || finite.length === 0) return '<p class="meta">No history or forecast to plot.</p>'

  // Zero is on the axis when the data come near it; otherwise the axis starts near the data, so a
  // level far from zero does not flatten the cycle into a line.
  const dataMin = Math.min(...finite)
  let yMax = Math.max(...finite)
  let yMin = dataMin >= 0 && dataMin > 0.25 * yMax ? dataMin - 0.05 * (yMax - dataMin) : Math.min(0, dataMin)
  if (yMax === yMin) yMax = yMin + 1
  const yStep = niceStep(yMax - yMin, 6)
  yMin = Math.floor(yMin / yStep) * yStep
  yMax = Math.ceil(yMax / yStep) * yStep
  const tMin = Math.min(...times)
  const tMax = Math.max(...times)
  const tSpan = Math.max(tMax - tMin, hourMs)
  const plotW = width - margin.left - margin.right
  const plotH = height - margin.top - margin.bottom
  const x = (t: number) => margin.left + ((t - tMin) / tSpan) * plotW
  const y = (v: number) => margin.top + (1 - (v - yMin) / (yMax - yMin)) * plotH

  const parts: string[] = []
  for (let v = yMin; v <= yMax + yStep / 2; v += yStep) {
    parts.push(`<line x1="${margin.left}" x2="${width - margin.right}" y1="${y(v).toFixed(1)}" y2="${y(v).toFixed(1)}" stroke="#e6e9ee"/>`)
    parts.push(`<text x="${margin.left - 8}" y="${(y(v) + 4).toFixed(1)}" text-anchor="end">${fmt(v)}</text>`)
  }
  const tStep = timeSteps.find((s) => tSpan / s <= 10) ?? timeSteps[timeSteps.length - 1]
  for (let t = Math.ceil(tMin / tStep) * tStep; t <= tMax; t += tStep) {
    const lines = timeLabel(t, tStep)
    parts.push(`<line x1="${x(t).toFixed(1)}" x2="${x(t).toFixed(1)}" y1="${margin.top}" y2="${height - margin.bottom}" stroke="#f0f2f5"/>`)
    parts.push(`<text x="${x(t).toFixed(1)}" y="${height - margin.bottom + 16}" text-anchor="middle">${lines.map((l, i) => `<tspan x="${x(t).toFixed(1)}" dy="${i === 0 ? 0 : 14}">${l}</tspan>`).join('')}</text>`)
  }
  parts.push(`<rect x="${margin.left}" y="${margin.top}" width="${plotW}" height="${plotH}" fill="none" stroke="#c3c9d2"/>`)
  parts.push(`<text x="${margin.left + plotW / 2}" y="${height - 6}" text-anchor="middle">time (UTC)</text>`)
  parts.push(`<text transform="translate(16 ${margin.top + plotH / 2}) rotate(-90)" text-anchor="middle">${escapeHtml(input.yLabel)}</text>`)

  if (forecast && forecast.timestampsMs.length > 0) {
    const upper = forecast.timestampsMs.map((t, i) => xy(x(t), y(forecast.upper[i])))
    const lower = forecast.timestampsMs.map((t, i) => xy(x(t), y(forecast.lower[i]))).reverse()
    parts.push(`<polygon data-series="band" points="${[...upper, ...lower].join(' ')}" fill="#9cc3ff" fill-opacity="0.45" stroke="none"/>`)
    parts.push(`<line x1="${x(forecast.timestampsMs[0]).toFixed(1)}" x2="${x(forecast.timestampsMs[0]).toFixed(1)}" y1="${margin.top}" y2="${height - margin.bottom}" stroke="#8a93a0" stroke-dasharray="4 4"/>`)
  }
  if (history && history.values.length > 0) {
    const points = history.values.map((v, i) => xy(x(history.startMs + i * history.stepMs), y(v)))
    parts.push(`<polyline data-series="history" points="${points.join(' ')}" fill="none" stroke="#2b2f36" stroke-width="1.3"/>`)
    const filled = history.observed.flatMap((o, i) => (o === 0 ? [i] : []))
    for (const i of filled) parts.push(`<circle data-series="filled" cx="${x(history.startMs + i * history.stepMs).toFixed(1)}" cy="${y(history.values[i]).toFixed(1)}" r="2.5" fill="#e69500"/>`)
    for (const i of input.outliers) parts.push(`<circle data-series="outlier" cx="${x(history.startMs + i * history.stepMs).toFixed(1)}" cy="${y(history.values[i]).toFixed(1)}" r="5" fill="none" stroke="#c62828" stroke-width="2"/>`)
  }
  if (forecast && forecast.timestampsMs.length > 0) {
    const points = forecast.timestampsMs.map((t, i) => xy(x(t), y(forecast.value[i])))
    parts.push(`<polyline data-series="forecast" points="${points.join(' ')}" fill="none" stroke="#1f6feb" stroke-width="2"/>`)
  }
  return `<svg class="chart" data-chart="forecast" viewBox="0 0 ${width} ${height}" role="img" aria-label="history and forecast" xmlns="http://www.w3.org/2000/svg">${parts.join('')}</svg>`
}
