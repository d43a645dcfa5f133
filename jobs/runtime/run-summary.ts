/**
 * The end of every job and of `pipeline`: per metric its status, time, rows, chosen model, backtest
 * MASE and coverage, and the warnings a person should not have to dig out of the logs. Built only
 * from what the jobs already return per metric (their outcome details), so it is a pure function;
 * the CLI logs it as one JSON line ("run summary") and, on a terminal, prints it as a table.
 */
import type { JobReport } from './metric-outcome.js'
import { duration } from './terminal.js'

export interface SummaryThresholds {
  /** Backtest MASE above this: the chosen model forecasts worse than a seasonal naive one. */
  maxMase: number
  /** Widest interval above this multiple of the history's range: the band says little. */
  maxIntervalToRange: number
  /** Filled (empty) steps above this share of the rows. */
  maxFilledShare: number
}

export const defaultThresholds: SummaryThresholds = { maxMase: 1, maxIntervalToRange: 2, maxFilledShare: 0.1 }

export interface MetricSummary {
  metric: string
  status: 'ok' | 'failed'
  /** The job that failed, and why (first line). */
  failedIn?: string
  error?: string
  /** Summed over the jobs that ran for the metric. */
  durationMs: number
  rows?: number
  model?: string
  backtestMase?: number
  coverage?: number
  warnings: string[]
}

export interface RunSummary {
  jobs: string[]
  metrics: MetricSummary[]
  ok: number
  failed: number
  warned: number
}

export function summariseRun(reports: readonly JobReport[], thresholds: SummaryThresholds = defaultThresholds): RunSummary {
  const byMetric = new Map<string, MetricSummary>()
  for (const report of reports) {
    for (const outcome of report.outcomes.flatMap(seriesOutcomes)) {
      let row = byMetric.get(outcome.metricId)
      if (!row) byMetric.set(outcome.metricId, (row = { metric: outcome.metricId, status: 'ok', durationMs: 0, warnings: [] }))
      row.durationMs += outcome.durationMs ?? 0
      if (!outcome.ok) {
        row.status = 'failed'
        row.failedIn ??= report.job
        row.error ??= firstLine(outcome.error instanceof Error ? outcome.error.message : String(outcome.error))
        continue
      }
      applyDetail(row, report.job, outcome.detail, thresholds)
    }
  }
  const metrics = [...byMetric.values()]
  const failed = metrics.filter((m) => m.status === 'failed').length
  return { jobs: reports.map((r) => r.job), metrics, ok: metrics.length - failed, failed, warned: metrics.filter((m) => m.warnings.length > 0).length }
}

/**
 * A metric with dimensions is one features outcome, and a group of series one train, infer or
 * monitor outcome, whose detail holds its series' own (`series`: details by series id; a failed
 * group's `failedSeries`: messages by series id): summarised as those series, one row each. The
 * time of a group is spread evenly over its series.
 */
function seriesOutcomes(outcome: JobReport['outcomes'][number]): JobReport['outcomes'][number][] {
  const series = recordOf(outcome.detail?.series)
  if (!series) return [outcome]
  const failed = (!outcome.ok && (recordOf(outcome.detail?.failedSeries) as Record<string, string> | undefined)) || {}
  const count = Object.keys(series).length + Object.keys(failed).length
  const durationMs = outcome.durationMs === undefined || count === 0 ? outcome.durationMs : outcome.durationMs / count
  return [
    ...Object.entries(series as Record<string, Record<string, unknown>>).map(([metricId, detail]) => ({ metricId, ok: true as const, detail, durationMs })),
    ...Object.entries(failed).map(([metricId, message]) => ({ metricId, ok: false as const, error: new Error(String(message)), durationMs })),
  ].sort((a, b) => (a.metricId < b.metricId ? -1 : a.metricId > b.metricId ? 1 : 0))
}

const recordOf = (value: unknown) => (value && typeof value === 'object' && !Array.isArray(value) ? (value as Record<string, unknown>) : undefined)

function applyDetail(row: MetricSummary, job: JobReport['job'], detail: Record<string, unknown>, t: SummaryThresholds): void {
  const num = (key: string) => (typeof detail[key] === 'number' && Number.isFinite(detail[key]) ? (detail[key] as number) : undefined)
  if (job === 'features') {
    const rows = num('rows')
    row.rows = rows
    const quarantined = num('quarantined') ?? 0
    if (quarantined > 0) row.warnings.push(`${quarantined} bronze file(s) quarantined`)
    const filled = num('filledSteps') ?? 0
    if (rows && filled / rows > t.maxFilledShare) row.warnings.push(`${filled} of ${rows} steps were gaps, filled (${percent(filled / rows)})`)
    if (detail.historyCut === true) row.warnings.push('history cut by historyDays: the data reaches back past the window')
  }
  if (job === 'train') {
    if (typeof detail.model === 'string') row.model = detail.model
    const mase = num('backtestMase')
    row.backtestMase = mase
    row.coverage = num('coverage')
    if (mase !== undefined && mase > t.maxMase) row.warnings.push(maseWarning(mase, t))
    const width = num('intervalWidth')
    const range = num('seriesRange')
    if (width !== undefined && range !== undefined && range > 0 && width > t.maxIntervalToRange * range) {
      row.warnings.push(`interval ${formatNumber(width)} wide, ${(width / range).toFixed(1)}x the history's range ${formatNumber(range)}`)
    }
  }
  if (job === 'infer' && row.model === undefined && typeof detail.model === 'string') row.model = detail.model
}

/** At most this many rows on a terminal: failed and warned first, the rest counted. */
const tableRows = 40

/** A fixed-width table for stderr; every column left-aligned except numbers, which align right under right-aligned headers. */
export function formatSummaryTable(summary: RunSummary): string {
  const ordered = [...summary.metrics].sort((a, b) => rank(a) - rank(b))
  const shown = ordered.slice(0, tableRows)
  const header = ['metric', 'status', 'time', 'rows', 'model', 'MASE', 'coverage', 'notes']
  const right = new Set([2, 3, 5, 6])
  const cells = shown.map((m) => [
    m.metric,
    m.status === 'failed' ? `FAILED (${m.failedIn})` : m.warnings.length > 0 ? 'WARN' : 'OK',
    duration(m.durationMs),
    m.rows === undefined ? '' : String(m.rows),
    m.model ?? '',
    m.backtestMase === undefined ? '' : m.backtestMase.toFixed(3),
    m.coverage === undefined ? '' : percent(m.coverage),
    clip(m.status === 'failed' ? (m.error ?? '') : m.warnings.join('; ')),
  ])
  const widths = header.map((h, i) => Math.max(h.length, ...cells.map((c) => c[i].length)))
  const line = (row: string[]) =>
    row
      .map((cell, i) => (i === row.length - 1 ? cell : right.has(i) ? cell.padStart(widths[i]) : cell.padEnd(widths[i])))
      .join('  ')
      .trimEnd()
  const out = [`run summary (${summary.jobs.join(', ')})`, line(header), ...cells.map(line)]
  if (ordered.length > shown.length) out.push(`... and ${ordered.length - shown.length} more metric(s) OK (the JSON "run summary" line has each)`)
  out.push(`${summary.ok} OK, ${summary.failed} failed, ${summary.warned} with warnings`)
  return out.join('\n')
}

const maseWarning = (mase: number, t: SummaryThresholds) => `backtest MASE ${mase.toFixed(2)} > ${t.maxMase}: worse than a seasonal naive forecast`
/** Notes past this length are cut: the JSON line has them whole. */
const notesWidth = 90
const clip = (text: string) => (text.length > notesWidth ? text.slice(0, notesWidth - 1) + '…' : text)
const rank = (m: MetricSummary) => (m.status === 'failed' ? 0 : m.warnings.length > 0 ? 1 : 2)
const percent = (x: number) => `${(x * 100).toFixed(0)}%`
const firstLine = (text: string) => text.split('\n')[0].trim()

function formatNumber(x: number): string {
  return Math.abs(x) >= 100 ? x.toFixed(0) : x.toPrecision(3)
}

/** `train-neural` trains one global model, not one per metric: its summary is that model's row. */
export function neuralSummary(trained: { version: string; backtestMase: number; durationMs: number } | undefined, thresholds: SummaryThresholds = defaultThresholds): RunSummary {
  const row: MetricSummary = { metric: 'global neural model', status: 'ok', durationMs: trained?.durationMs ?? 0, model: trained ? `neural ${trained.version}` : undefined, backtestMase: trained?.backtestMase, warnings: [] }
  if (trained && trained.backtestMase > thresholds.maxMase) row.warnings.push(maseWarning(trained.backtestMase, thresholds))
  return { jobs: ['train-neural'], metrics: trained ? [row] : [], ok: trained ? 1 : 0, failed: 0, warned: row.warnings.length > 0 ? 1 : 0 }
}

/** `plan` splits the lake rather than processing metrics: its summary is a row per shard. */
export function shardPlanSummary(shards: readonly { shard: string; metrics: number; slices?: number; bytes: number }[]): RunSummary {
  const rows: MetricSummary[] = shards.map((s) => ({ metric: `shard ${s.shard}`, status: 'ok', durationMs: 0, model: `${s.metrics} metric(s), ${s.slices ? `${s.slices} slice(s), ` : ''}${(s.bytes / 1048576).toFixed(1)} MiB of bronze`, warnings: [] }))
  return { jobs: ['plan'], metrics: rows, ok: rows.length, failed: 0, warned: 0 }
}
