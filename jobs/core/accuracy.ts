/**
 * Accuracy scores as the M4 competition defines them ("Benchmarks and Evaluation.R"):
 * sMAPE in percent, MASE scaled by the in-sample mean absolute seasonal difference, MSIS for
 * (1 - alpha) intervals, and interval coverage.
 */

/** Mean absolute difference at lag `m` over `insample`; falls back to lag 1 when the series is shorter than m + 1. */
export function seasonalScale(insample: Float64Array, m: number): number {
  const lag = insample.length > m ? m : 1
  let sum = 0
  let count = 0
  for (let i = lag; i < insample.length; i++) {
    const d = insample[i] - insample[i - lag]
    if (Number.isFinite(d)) {
      sum += Math.abs(d)
      count++
    }
  }
  return count > 0 ? sum / count : Number.NaN
}

/**
 * The MASE scale used for model selection on live data: the seasonal scale, unless the series is
 * (numerically) perfectly periodic or constant, where it would divide by ~0; then the lag-1 scale,
 * then 1. The M4 scoring in bench/ uses seasonalScale unchanged.
 */
export function robustScale(insample: Float64Array, m: number): number {
  let meanAbs = 0
  for (let i = 0; i < insample.length; i++) meanAbs += Math.abs(insample[i]) / insample.length
  const tiny = 1e-9 * (meanAbs + 1e-12)
  const seasonal = seasonalScale(insample, m)
  if (seasonal > tiny) return seasonal
  const lagOne = seasonalScale(insample, 1)
  return lagOne > tiny ? lagOne : 1
}

/** sMAPE = mean of 200 |y - f| / (|y| + |f|); a step where both are 0 scores 0. */
export function smape(actual: ArrayLike<number>, forecast: ArrayLike<number>): number {
  let sum = 0
  for (let i = 0; i < actual.length; i++) {
    const denominator = Math.abs(actual[i]) + Math.abs(forecast[i])
    sum += denominator === 0 ? 0 : (200 * Math.abs(actual[i] - forecast[i])) / denominator
  }
  return sum / actual.length
}

/** MASE = mean |y - f| / scale, with `scale` from seasonalScale on the training data. */
export function mase(actual: ArrayLike<number>, forecast: ArrayLike<number>, scale: number): number {
  let sum = 0
  for (let i = 0; i < actual.length; i++) sum += Math.abs(actual[i] - forecast[i])
  return sum / actual.length / scale
}

/** MSIS for a (1 - alpha) interval [lower, upper], scaled like MASE. */
export function msis(actual: ArrayLike<number>, lower: ArrayLike<number>, upper: ArrayLike<number>, scale: number, alpha: number): number {
  let sum = 0
  for (let i = 0; i < actual.length; i++) {
    const y = actual[i]
    sum += upper[i] - lower[i]
    if (y < lower[i]) sum += (2 / alpha) * (lower[i] - y)
    if (y > upper[i]) sum += (2 / alpha) * (y - upper[i])
  }
  return sum / actual.length / scale
}

/** Share of actuals inside [lower, upper]. */
export function coverage(actual: ArrayLike<number>, lower: ArrayLike<number>, upper: ArrayLike<number>): number {
  let inside = 0
  for (let i = 0; i < actual.length; i++) if (actual[i] >= lower[i] && actual[i] <= upper[i]) inside++
  return inside / actual.length
}
