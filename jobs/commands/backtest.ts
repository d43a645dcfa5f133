/** `gras backtest --metric G`: the approved version's candidate table (its backtest.json). Pure. */
import type { ReportBacktest, ReportModel } from '../report/report-data.js'
import { formatMase, formatNumber, printRows, type Column, type RowFormat } from './format-table.js'

/** One candidate of the approved version's backtest (also its JSON and CSV fields). */
export interface BacktestRow {
  metricId: string
  version: string
  candidate: string
  chosen: boolean
  mase: number
  smape: number
  coverage: number
}

const columns: Column<BacktestRow>[] = [
  { key: 'candidate', align: 'left', text: (r) => (r.chosen ? `${r.candidate} *` : r.candidate) },
  { key: 'mase', align: 'right', text: (r) => formatMase(r.mase) },
  { key: 'smape', align: 'right', text: (r) => formatNumber(r.smape) },
  { key: 'coverage', align: 'right', text: (r) => `${(r.coverage * 100).toFixed(1)}%` },
]
const fields: (keyof BacktestRow)[] = ['metricId', 'version', 'candidate', 'chosen', 'mase', 'smape', 'coverage']

/** Best MASE first; a candidate without a score last. */
export function backtestRows(metricId: string, backtest: ReportBacktest): BacktestRow[] {
  return [...backtest.candidates]
    .sort((a, b) => (Number.isNaN(a.mase) ? 1 : Number.isNaN(b.mase) ? -1 : a.mase - b.mase))
    .map((c) => ({ metricId, version: backtest.version, candidate: c.model, chosen: c.model === backtest.chosen, mase: c.mase, smape: c.smape, coverage: c.coverage }))
}

export function printBacktest(metricId: string, backtest: ReportBacktest, model: ReportModel | undefined, format: RowFormat = 'table'): string {
  const title = `${metricId}: approved version ${backtest.version}, chosen ${backtest.chosen} (*), ${backtest.origins.length} origins x ${backtest.horizon} steps, ${Math.round(backtest.intervalLevel * 100)}% interval`
  const notes = [...(model?.reason ? [`reason: ${model.reason}`] : []), ...backtest.fallbacks.map((f) => `skipped ${f.model}: ${f.reason} (${f.detail})`)]
  return printRows(format, columns, backtestRows(metricId, backtest), { title, notes, fields })
}
