/** `gras accuracy --metric G`: the accuracy table's days of a metric and its drift flag. Pure. */
import type { ReportAccuracyDay, ReportDrift } from '../report/report-data.js'
import { formatMase, formatNumber, printRows, type Column, type RowFormat } from './format-table.js'

/** One served day (also its JSON and CSV fields); the drift flag is the metric's, repeated on each day. */
export interface AccuracyRow extends ReportAccuracyDay {
  metricId: string
  drifted: boolean | null
}

const pct = (v: number) => (Number.isFinite(v) ? `${(v * 100).toFixed(1)}%` : String(v))

const columns: Column<AccuracyRow>[] = [
  { key: 'date', align: 'left' },
  { key: 'mase', align: 'right', text: (r) => formatMase(r.mase) },
  { key: 'backtestMase', header: 'backtest_mase', align: 'right', text: (r) => formatMase(r.backtestMase) },
  { key: 'smape', align: 'right', text: (r) => formatNumber(r.smape) },
  { key: 'bias', align: 'right', text: (r) => pct(r.bias) },
  { key: 'coverage', align: 'right', text: (r) => pct(r.coverage) },
  { key: 'points', align: 'right', text: (r) => String(r.points) },
  { key: 'modelVersion', header: 'model_version', align: 'left' },
]
const fields: (keyof AccuracyRow)[] = ['metricId', 'date', 'mase', 'backtestMase', 'smape', 'bias', 'coverage', 'points', 'modelVersion', 'drifted']

export function printAccuracy(metricId: string, days: ReportAccuracyDay[], drift: ReportDrift | undefined, format: RowFormat = 'table'): string {
  const driftLine = drift ? `drift: ${drift.drifted ? 'flagged' : 'no'} (${drift.reason})` : 'drift: not checked yet (run gras monitor)'
  const rows = days.map((d) => ({ metricId, ...d, drifted: drift ? drift.drifted : null }))
  if (format === 'table' && rows.length === 0) return `${metricId}: no realised accuracy in this range\n${driftLine}\n`
  return printRows(format, columns, rows, { title: `${metricId}: realised accuracy of served day-ahead forecasts`, notes: [driftLine], fields })
}
