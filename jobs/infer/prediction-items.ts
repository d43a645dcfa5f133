/**
 * Forecast points -> the items of both predictions contracts. Pure: every field derives from the
 * run, so a rerun of the same run builds identical items.
 */
import type { ForecastPoints } from '../core/artifact.js'
import { toIsoSeconds } from '../core/time.js'
import type { ForecastItem } from '../io/forecasts-table.js'
import { encodeParquet } from '../io/parquet-write.js'
import type { PredictionItem } from '../io/predictions-table.js'
import { copyRowsBySeries } from '../io/copy-rows.js'

export interface ItemStamp {
  /** The canonical series id (the metric id for a metric without dimensions). */
  seriesId: string
  metricId: string
  /** The series' dimension values, from the caller (a hashed series id cannot be parsed back). */
  dimensions: Readonly<Record<string, string>>
  modelVersion: string
  runId: string
  /** The data cutoff the forecast starts from (epoch ms). */
  generatedAtMs: number
  ttlDays: number
}

/** Contract version 2: the series' one item of this run, the horizon in three lists. */
export function toForecastItem(points: ForecastPoints, stamp: ItemStamp): ForecastItem {
  return {
    seriesId: stamp.seriesId,
    metricId: stamp.metricId,
    dimensions: { ...stamp.dimensions },
    generatedAt: toIsoSeconds(stamp.generatedAtMs),
    firstStep: toIsoSeconds(points.startMs),
    stepSeconds: points.stepMs / 1000,
    horizon: points.mean.length,
    value: Array.from(points.mean, round),
    lower: Array.from(points.lower, round),
    upper: Array.from(points.upper, round),
    intervalLevel: points.level,
    modelVersion: stamp.modelVersion,
    runId: stamp.runId,
    ttl: ttlOf(stamp),
  }
}

/** Contract version 1: one item per forecast step, keyed by the metric (so only for a series without dimensions). */
export function toPredictionItems(forecast: ForecastItem): PredictionItem[] {
  const startMs = Date.parse(forecast.firstStep)
  return forecast.value.map((value, h) => ({
    metricId: forecast.metricId,
    timestamp: toIsoSeconds(startMs + h * forecast.stepSeconds * 1000),
    value,
    lower: forecast.lower[h],
    upper: forecast.upper[h],
    intervalLevel: forecast.intervalLevel,
    modelVersion: forecast.modelVersion,
    runId: forecast.runId,
    generatedAt: forecast.generatedAt,
    ttl: forecast.ttl,
  }))
}

const ttlOf = (stamp: ItemStamp) => Math.floor(stamp.generatedAtMs / 1000) + stamp.ttlDays * 86_400

/**
 * Nine significant digits: plenty for business metrics, and stable text in DynamoDB's N type.
 * Fewer would not pay: a 48-step item stays at two write units even at five (bench/dynamo-cost.ts).
 */
function round(value: number): number {
  return Number(value.toPrecision(9))
}

/** One series' rows of a predictions copy. */
export interface CopiedSeries {
  seriesId: string
  items: PredictionItem[]
}

/**
 * A group's Parquet copy of a run (lake-layout.ts predictionsKey): one row per series and step,
 * in the order given, each naming its series in `series_id`.
 */
export function encodePredictionsCopy(series: readonly CopiedSeries[]): Uint8Array {
  const items = series.flatMap((s) => s.items)
  return encodeParquet([
    { name: 'metric_id', type: 'STRING', data: items.map((i) => i.metricId) },
    { name: 'timestamp', type: 'TIMESTAMP', data: items.map((i) => Date.parse(i.timestamp)) },
    { name: 'value', type: 'DOUBLE', data: Float64Array.from(items, (i) => i.value) },
    { name: 'lower', type: 'DOUBLE', data: Float64Array.from(items, (i) => i.lower) },
    { name: 'upper', type: 'DOUBLE', data: Float64Array.from(items, (i) => i.upper) },
    { name: 'interval_level', type: 'DOUBLE', data: Float64Array.from(items, (i) => i.intervalLevel) },
    { name: 'model_version', type: 'STRING', data: items.map((i) => i.modelVersion) },
    { name: 'run_id', type: 'STRING', data: items.map((i) => i.runId) },
    { name: 'generated_at', type: 'TIMESTAMP', data: items.map((i) => Date.parse(i.generatedAt)) },
    // Last, so the version 1 columns keep their positions.
    { name: 'series_id', type: 'STRING', data: series.flatMap((s) => s.items.map(() => s.seriesId)) },
  ])
}

/**
 * The series of a copy read back (its rows, as `readRows` gives them), in the order they were
 * written; a row without `series_id` (a copy written before the column) is `defaultSeries`'s.
 * Only the columns a copy holds are filled (`ttl` is DynamoDB's, not the copy's: 0).
 */
export function copiedSeriesOfRows(rows: readonly Record<string, unknown>[], defaultSeries: string): CopiedSeries[] {
  const iso = (v: unknown) => new Date(Number(v)).toISOString().replace('.000Z', 'Z')
  return [...copyRowsBySeries(rows, defaultSeries)].map(([seriesId, list]) => ({
    seriesId,
    items: list.map((row) => ({
      metricId: String(row.metric_id),
      timestamp: iso(row.timestamp),
      value: Number(row.value),
      lower: Number(row.lower),
      upper: Number(row.upper),
      intervalLevel: Number(row.interval_level),
      modelVersion: String(row.model_version),
      runId: String(row.run_id),
      generatedAt: iso(row.generated_at),
      ttl: 0,
    })),
  }))
}
