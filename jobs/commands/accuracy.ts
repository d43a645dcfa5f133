/** `gras accuracy --metric G`: the accuracy table's days of a metric and its drift flag. Pure. */
import type { ReportAccuracyDay, ReportDrift } from '../report/report-data.js'
import { formatNumber, formatTable } from './format-table.js'

const pct = (v: number) => (Number.isFinite(v) ? `${(v * 100).toFixed(1)}%` : String(v))

export function formatAccuracy(metricId: string, days: ReportAccuracyDay[], drift: ReportDrift | undefined): string {
  const driftLine = drift ? `drift: ${drift.drifted ? 'flagged' : 'no'} (${drift.reason})` : 'drift: not checked yet (run gras monitor)'
  if (days.length === 0) return `${metricId}: no realised accuracy in this range\n${driftLine}`
  const rows = days.map((d) => [d.date, formatNumber(d.mase), formatNumber(d.backtestMase), formatNumber(d.smape), pct(d.bias), pct(d.coverage), String(d.points), d.modelVersion])
  return `${metricId}: realised accuracy of served day-ahead forecasts\n${formatTable(['date', 'mase', 'backtest_mase', 'smape', 'bias', 'coverage', 'points', 'model_version'], rows)}\n${driftLine}`
}
