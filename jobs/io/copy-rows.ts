import type { ServedRun } from '../core/realised-accuracy.js'

/**
 * The rows of a Parquet copy of a run (predictions/), as `readRows` gives them, by series in the
 * order written; a row without `series_id` (a copy written before the column) is `defaultSeries`'s.
 */
export function copyRowsBySeries(rows: readonly Record<string, unknown>[], defaultSeries: string): Map<string, Record<string, unknown>[]> {
  const bySeries = new Map<string, Record<string, unknown>[]>()
  for (const row of rows) {
    const seriesId = row.series_id === undefined || row.series_id === null ? defaultSeries : String(row.series_id)
    const list = bySeries.get(seriesId) ?? []
    list.push(row)
    bySeries.set(seriesId, list)
  }
  return bySeries
}

/**
 * One run of one series from its rows (a copy's, or monitor's kept served runs', which use the
 * copy's column names): the run's stamp from the first row, the points in the order given.
 */
export function servedRunOfRows(rows: readonly Record<string, unknown>[]): ServedRun {
  return {
    runId: String(rows[0].run_id),
    modelVersion: String(rows[0].model_version),
    generatedAtMs: Number(rows[0].generated_at),
    timestampsMs: Float64Array.from(rows, (r) => Number(r.timestamp)),
    value: Float64Array.from(rows, (r) => Number(r.value)),
    lower: Float64Array.from(rows, (r) => Number(r.lower)),
    upper: Float64Array.from(rows, (r) => Number(r.upper)),
  }
}
