/** Forecast points -> predictions-table items. Pure: every field derives from the run, so a rerun of the same run builds identical items. */
import type { ForecastPoints } from '../core/artifact.js'
import { toIsoSeconds } from '../core/time.js'
import type { PredictionItem } from '../io/predictions-table.js'

export interface ItemStamp {
  metricId: string
  modelVersion: string
  runId: string
  /** The data cutoff the forecast starts from (epoch ms). */
  generatedAtMs: number
  ttlDays: number
}

export function toPredictionItems(points: ForecastPoints, stamp: ItemStamp): PredictionItem[] {
  const generatedAt = toIsoSeconds(stamp.generatedAtMs)
  const ttl = Math.floor(stamp.generatedAtMs / 1000) + stamp.ttlDays * 86_400
  return Array.from(points.mean, (value, h) => ({
    metricId: stamp.metricId,
    timestamp: toIsoSeconds(points.startMs + h * points.stepMs),
    value: round(value),
    lower: round(points.lower[h]),
    upper: round(points.upper[h]),
    intervalLevel: points.level,
    modelVersion: stamp.modelVersion,
    runId: stamp.runId,
    generatedAt,
    ttl,
  }))
}

/** Nine significant digits: plenty for business metrics, and stable text in DynamoDB's N type. */
function round(value: number): number {
  return Number(value.toPrecision(9))
}
