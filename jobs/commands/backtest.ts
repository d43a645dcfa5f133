/** `gras backtest --metric G`: the approved version's candidate table (its backtest.json). Pure. */
import type { ReportBacktest, ReportModel } from '../report/report-data.js'
import { formatNumber, formatTable } from './format-table.js'

export function formatBacktest(metricId: string, backtest: ReportBacktest, model: ReportModel | undefined): string {
  const rows = [...backtest.candidates]
    .sort((a, b) => (Number.isNaN(a.mase) ? 1 : Number.isNaN(b.mase) ? -1 : a.mase - b.mase))
    .map((c) => [c.model === backtest.chosen ? `${c.model} *` : c.model, formatNumber(c.mase), formatNumber(c.smape), `${(c.coverage * 100).toFixed(1)}%`])
  const title = `${metricId}: approved version ${backtest.version}, chosen ${backtest.chosen} (*), ${backtest.origins.length} origins x ${backtest.horizon} steps, ${Math.round(backtest.intervalLevel * 100)}% interval`
  const lines = [title, formatTable(['candidate', 'mase', 'smape', 'coverage'], rows)]
  if (model?.reason) lines.push(`reason: ${model.reason}`)
  for (const f of backtest.fallbacks) lines.push(`skipped ${f.model}: ${f.reason} (${f.detail})`)
  return lines.join('\n')
}
