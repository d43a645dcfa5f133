/** Series types shared by every job. Values are Float64Array; NaN means missing. */

/** Raw events of one metric, as read from bronze: parallel arrays, not objects per row. */
export interface EventBatch {
  tsMs: Float64Array
  values: Float64Array
  /** Present when read with dimension columns: which series each row belongs to. */
  series?: SeriesIndex
}

/**
 * The series of a batch's rows, compact: a dictionary of the distinct dimension tuples and, per
 * row, its tuple's index. Tuple values follow `names`; null is "no value" (a null or empty cell).
 */
export interface SeriesIndex {
  names: readonly string[]
  tuples: (string | null)[][]
  index: Int32Array
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
