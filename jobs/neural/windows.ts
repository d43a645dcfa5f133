/**
 * Training windows for the global model: from every series, input windows of `inputSteps` followed by
 * `horizon` targets, each scaled by the mean absolute level of its input (so series of any size share
 * one model, as in N-BEATS and the M4 winner's per-window normalisation). Pure; Float32Array for tfjs.
 */

/** Windows per series at most (the newest ones): bounds the work a very long series adds. */
export const defaultMaxWindowsPerSeries = 200

export interface WindowSet {
  inputs: Float32Array
  targets: Float32Array
  count: number
  inputSteps: number
  horizon: number
}

/** Scale of a window: mean |x|, or 1 for an all-zero window. */
export function windowScale(values: ArrayLike<number>, start: number, length: number): number {
  let sum = 0
  for (let i = start; i < start + length; i++) sum += Math.abs(values[i])
  const mean = sum / length
  return mean > 0 ? mean : 1
}

/**
 * Windows ending every `stride` steps, newest first, at most `maxPerSeries` per series. With
 * `baselinePeriod`, targets are the residual on the seasonal naive forecast of that period (the model
 * learns corrections to "same hour the day before", an easier target than the level itself). With `ends`,
 * series s contributes only windows whose targets end at or before index `ends[s]` (a backtest cutoff).
 */
export function buildWindows(series: readonly Float64Array[], inputSteps: number, horizon: number, stride: number, maxPerSeries: number, baselinePeriod = 0, ends?: readonly number[]): WindowSet {
  const starts: [number, number][] = []
  series.forEach((y, s) => {
    let taken = 0
    for (let end = Math.min(y.length, ends?.[s] ?? y.length) - horizon; end - inputSteps >= 0 && taken < maxPerSeries; end -= stride, taken++) starts.push([s, end - inputSteps])
  })
  const inputs = new Float32Array(starts.length * inputSteps)
  const targets = new Float32Array(starts.length * horizon)
  starts.forEach(([s, start], w) => {
    const y = series[s]
    const scale = windowScale(y, start, inputSteps)
    for (let i = 0; i < inputSteps; i++) inputs[w * inputSteps + i] = y[start + i] / scale
    for (let h = 0; h < horizon; h++) {
      const baseline = baselinePeriod > 0 ? seasonalNaiveAt(y, start + inputSteps, baselinePeriod, h) : 0
      targets[w * horizon + h] = (y[start + inputSteps + h] - baseline) / scale
    }
  })
  return { inputs, targets, count: starts.length, inputSteps, horizon }
}

/** The last `inputSteps` of a series, scaled, and the scale to undo it. */
export function lastWindow(y: Float64Array, inputSteps: number): { input: Float32Array; scale: number } {
  const start = y.length - inputSteps
  const scale = windowScale(y, start, inputSteps)
  return { input: Float32Array.from(y.subarray(start), (v) => v / scale), scale }
}

/** The seasonal naive forecast, h steps after `end` (exclusive), from the last `period` values before it. */
export function seasonalNaiveAt(y: ArrayLike<number>, end: number, period: number, h: number): number {
  return y[end - period + (h % period)]
}
