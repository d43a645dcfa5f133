/** A feature table as the columns of a silver features file, and the file of a metric without dimensions. Pure. */
import { encodeParquet, type ParquetColumn } from '../io/parquet-write.js'
import type { FeatureTable } from './build-features.js'

/** `gras.schema_version` of a one-series features file (a pack's is its manifest's, silver-manifest.ts). */
export const featuresSchemaVersion = 1

/** The columns of a feature table, in the order a features file holds them. */
export function featureColumns(table: FeatureTable): ParquetColumn[] {
  const { series, calendar } = table
  const n = series.values.length
  const ts = new Float64Array(n)
  for (let i = 0; i < n; i++) ts[i] = series.startMs + i * series.stepMs
  return [
    { name: 'ts', type: 'TIMESTAMP', data: ts },
    { name: 'value', type: 'DOUBLE', data: series.values },
    { name: 'observed', type: 'BOOLEAN', data: Array.from(table.observed, (v) => v === 1) },
    { name: 'event_count', type: 'INT32', data: Int32Array.from(table.eventCounts) },
    { name: 'hour_of_day', type: 'INT32', data: calendar.hourOfDay },
    { name: 'day_of_week', type: 'INT32', data: calendar.dayOfWeek },
    { name: 'is_weekend', type: 'BOOLEAN', data: Array.from(calendar.isWeekend, (v) => v === 1) },
    { name: 'is_holiday', type: 'BOOLEAN', data: Array.from(calendar.isHoliday, (v) => v === 1) },
  ]
}

/** The features file of a metric without dimensions. */
export function encodeFeatureTable(table: FeatureTable, metricId: string): Uint8Array {
  return encodeParquet(featureColumns(table), { 'gras.schema_version': String(featuresSchemaVersion), 'gras.metric_id': metricId })
}
