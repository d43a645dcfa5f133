/**
 * Training windows for the global model: from every series, input windows of `inputSteps` followed by
 * `horizon` targets, each put on a common scale (so series of any size share one model, as in N-BEATS
 * and the M4 winner's per-window normalisation). Pure; Float32Array for tfjs.
 *
 * Two normalisations. `level` divides by the input's mean |x|. `seasonal-difference` removes the
 * input's mean and divides by its mean absolute seasonal difference, the denominator of MASE: the
 * training loss (MAE on scaled targets) is then the window's MASE, the measure selection ranks by.
 * Under `level`, a series whose hours repeat almost exactly (level 25, seasonal changes of 0.02)
 * gets corrections worth a sliver of its level, nearly free in the loss, and forecast errors many
 * times its MASE scale; `seasonal-difference` weighs every series by its own MASE.
 */

/** Windows per series at most (the newest ones): bounds the work a very long series adds. */
export const defaultMaxWindowsPerSeries = 200

export type WindowNormalisation = 'level' | 'seasonal-difference'

/** What `gras train-neural` trains with (`level` is kept for models saved before, and for comparison). */
export const trainedNormalisation: WindowNormalisation = 'seasonal-difference'

/** How inputs and targets are cut and scaled: the same for training and forecasting. */
export interface WindowShape {
  inputSteps: number
  horizon: number
  /** Targets are residuals on the seasonal naive forecast of this period (0: on the input's mean). */
  baselinePeriod: number
  normalisation: WindowNormalisation
}

export interface WindowSet {
  inputs: Float32Array
  targets: Float32Array
  count: number
  inputSteps: number
  horizon: number
  /**
   * Per target, the baseline it is a residual on, in the window's scale units: the value itself is
   * target + level (times the scale), which the sMAPE loss needs (global-mlp.ts). Absent in sets
   * made by hand.
   */
  levels?: Float32Array
}

/** A window's values map to (value - offset) / scale. */
export interface WindowScaling {
  offset: number
  scale: number
}

/** Scale of a window: mean |x|, or 1 for an all-zero window. */
export function windowScale(values: ArrayLike<number>, start: number, length: number): number {
  let sum = 0
  for (let i = start; i < start + length; i++) sum += Math.abs(values[i])
  const mean = sum / length
  return mean > 0 ? mean : 1
}

/** The scaling of `values[start, start + length)` under `shape`'s normalisation. */
export function windowScaling(values: ArrayLike<number>, start: number, length: number, shape: Pick<WindowShape, 'baselinePeriod' | 'normalisation'>): WindowScaling {
  const level = windowScale(values, start, length)
  const lag = Math.max(1, shape.baselinePeriod)
  if (shape.normalisation === 'level' || length <= lag) return { offset: 0, scale: level }
  let sum = 0
  let changes = 0
  for (let i = start; i < start + length; i++) {
    sum += values[i]
    if (i - lag >= start) changes += Math.abs(values[i] - values[i - lag])
  }
  const meanChange = changes / (length - lag)
  // A window that repeats exactly has no seasonal change to measure by: a thousandth of its level
  // keeps the inputs finite and the network's corrections small.
  return { offset: sum / length, scale: meanChange > level * 1e-6 ? meanChange : level * 1e-3 }
}

/** The baseline a target is a residual on: seasonal naive from before `end`, or the input's offset. */
function baselineAt(y: ArrayLike<number>, end: number, h: number, shape: WindowShape, scaling: WindowScaling): number {
  return shape.baselinePeriod > 0 ? seasonalNaiveAt(y, end, shape.baselinePeriod, h) : scaling.offset
}

/**
 * Windows ending every `stride` steps, newest first, at most `maxPerSeries` per series. With a
 * `baselinePeriod`, targets are the residual on the seasonal naive forecast of that period (the model
 * learns corrections to "same hour the day before", an easier target than the level itself). With `ends`,
 * series s contributes only windows whose targets end at or before index `ends[s]` (a backtest cutoff).
 */
export function buildWindows(series: readonly Float64Array[], shape: WindowShape, stride: number, maxPerSeries: number, ends?: readonly number[]): WindowSet {
  const { inputSteps, horizon } = shape
  const starts: [number, number][] = []
  series.forEach((y, s) => {
    let taken = 0
    for (let end = Math.min(y.length, ends?.[s] ?? y.length) - horizon; end - inputSteps >= 0 && taken < maxPerSeries; end -= stride, taken++) starts.push([s, end - inputSteps])
  })
  const inputs = new Float32Array(starts.length * inputSteps)
  const targets = new Float32Array(starts.length * horizon)
  const levels = new Float32Array(starts.length * horizon)
  starts.forEach(([s, start], w) => {
    const y = series[s]
    const scaling = windowScaling(y, start, inputSteps, shape)
    for (let i = 0; i < inputSteps; i++) inputs[w * inputSteps + i] = (y[start + i] - scaling.offset) / scaling.scale
    for (let h = 0; h < horizon; h++) {
      const baseline = baselineAt(y, start + inputSteps, h, shape, scaling)
      targets[w * horizon + h] = (y[start + inputSteps + h] - baseline) / scaling.scale
      levels[w * horizon + h] = baseline / scaling.scale
    }
  })
  return { inputs, targets, count: starts.length, inputSteps, horizon, levels }
}

/** The last `inputSteps` of a series, scaled, and the scaling to undo it. */
export function lastWindow(y: Float64Array, shape: WindowShape): { input: Float32Array; scaling: WindowScaling } {
  const start = y.length - shape.inputSteps
  const scaling = windowScaling(y, start, shape.inputSteps, shape)
  return { input: Float32Array.from(y.subarray(start), (v) => (v - scaling.offset) / scaling.scale), scaling }
}

/** A network output (scaled residuals) back in the series' units: the inverse of a target's scaling. */
export function unscaleForecast(y: Float64Array, output: ArrayLike<number>, shape: WindowShape, scaling: WindowScaling): Float64Array {
  return Float64Array.from(output, (v, h) => v * scaling.scale + baselineAt(y, y.length, h, shape, scaling))
}

/** The seasonal naive forecast, h steps after `end` (exclusive), from the last `period` values before it. */
export function seasonalNaiveAt(y: ArrayLike<number>, end: number, period: number, h: number): number {
  return y[end - period + (h % period)]
}
