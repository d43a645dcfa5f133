/** Series types shared by every job. Values are Float64Array; NaN means missing. */

/** Raw events of one metric, as read from bronze: parallel arrays, not objects per row. */
export interface EventBatch {
  tsMs: Float64Array
  values: Float64Array
}

/** A series on a regular grid: value i is the step starting at `startMs + i * stepMs`. */
export interface RegularSeries {
  metricId: string
  startMs: number
  stepMs: number
  values: Float64Array
}

/** Concatenates event batches into one. */
export function concatEvents(batches: EventBatch[]): EventBatch {
  const length = batches.reduce((sum, b) => sum + b.tsMs.length, 0)
  const tsMs = new Float64Array(length)
  const values = new Float64Array(length)
  let offset = 0
  for (const batch of batches) {
    tsMs.set(batch.tsMs, offset)
    values.set(batch.values, offset)
    offset += batch.tsMs.length
  }
  return { tsMs, values }
}
