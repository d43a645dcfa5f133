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
