/**
 * One bronze file's events split by series: each distinct tuple of dimension values becomes the
 * series id core/series-id.ts defines, and its rows one EventBatch. A file of a metric without
 * dimensions is one part, the metric's own. Pure.
 */
import type { EventBatch } from '../core/series.js'
import { seriesIdOf } from '../core/series-id.js'
import type { SeriesPart } from './merge-deliveries.js'

/** The id of each of `events.series`' tuples (empty without dimensions). */
export function seriesIdsOf(metricId: string, events: EventBatch): string[] {
  const series = events.series
  if (!series) return []
  return series.tuples.map((tuple) => seriesIdOf(metricId, Object.fromEntries(series.names.map((name, d) => [name, tuple[d]]))))
}

/** The dimension values of each series id of `events` (null: no value), by id. */
export function dimensionsOf(ids: readonly string[], events: EventBatch): Map<string, Record<string, string | null>> {
  const series = events.series
  const out = new Map<string, Record<string, string | null>>()
  if (!series) return out
  ids.forEach((id, t) => out.set(id, Object.fromEntries(series.names.map((name, d) => [name, series.tuples[t][d]]))))
  return out
}

/** `events` as one part per series, ordered by series id. `ids` are seriesIdsOf(metricId, events). */
export function splitBySeries(metricId: string, events: EventBatch, ids: readonly string[]): SeriesPart[] {
  const series = events.series
  if (!series) return [{ seriesId: metricId, events: { tsMs: events.tsMs, values: events.values } }]
  const counts = new Int32Array(series.tuples.length)
  for (const t of series.index) counts[t]++
  const parts = series.tuples.map((_, t) => ({ tsMs: new Float64Array(counts[t]), values: new Float64Array(counts[t]) }))
  const filled = new Int32Array(series.tuples.length)
  for (let i = 0; i < series.index.length; i++) {
    const t = series.index[i]
    const at = filled[t]++
    parts[t].tsMs[at] = events.tsMs[i]
    parts[t].values[at] = events.values[i]
  }
  // The reader makes '' null, so tuples and ids are one to one.
  return ids.map((seriesId, t) => ({ seriesId, events: parts[t] })).sort((a, b) => (a.seriesId < b.seriesId ? -1 : a.seriesId > b.seriesId ? 1 : 0))
}
