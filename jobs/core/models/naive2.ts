/**
 * Naive2, the M4 competition's benchmark ("Benchmarks and Evaluation.R", Makridakis et al. 2020):
 * the naive forecast of the seasonally adjusted series, where the adjustment is R's
 * decompose(type = "multiplicative") applied only when the 90% autocorrelation test at lag m says
 * the series is seasonal. Implemented to the letter so OWA is computed against the same reference.
 */

/** Sample autocorrelations at lags 1..maxLag, as R's acf(). */
export function autocorrelations(y: Float64Array, maxLag: number): Float64Array {
  const n = y.length
  let mean = 0
  for (let i = 0; i < n; i++) mean += y[i] / n
  let denominator = 0
  for (let i = 0; i < n; i++) denominator += (y[i] - mean) ** 2
  const out = new Float64Array(maxLag)
  for (let k = 1; k <= maxLag; k++) {
    let sum = 0
    for (let i = 0; i + k < n; i++) sum += (y[i] - mean) * (y[i + k] - mean)
    out[k - 1] = denominator > 0 ? sum / denominator : 0
  }
  return out
}

/** M4's SeasonalityTest: |acf(m)| > 1.645 sqrt(1 + 2 sum_{k<m} acf(k)^2) / sqrt(n), needing n >= 3m. */
export function isSeasonal(y: Float64Array, m: number): boolean {
  if (m <= 1 || y.length < 3 * m) return false
  const acf = autocorrelations(y, m)
  let sum = 1
  for (let k = 0; k < m - 1; k++) sum += 2 * acf[k] * acf[k]
  const limit = (1.645 / Math.sqrt(y.length)) * Math.sqrt(sum)
  return Math.abs(acf[m - 1]) > limit
}

/** Seasonal indices of R's decompose(type = "multiplicative"), one per phase, mean 1; phase 0 is y[0]. */
export function multiplicativeIndices(y: Float64Array, m: number): Float64Array {
  const n = y.length
  const half = Math.floor(m / 2)
  const sums = new Float64Array(m)
  const counts = new Float64Array(m)
  for (let i = half; i < n - half; i++) {
    let trend = 0
    if (m % 2 === 0) {
      trend = 0.5 * y[i - half] + 0.5 * y[i + half]
      for (let j = i - half + 1; j < i + half; j++) trend += y[j]
    } else {
      for (let j = i - half; j <= i + half; j++) trend += y[j]
    }
    trend /= m
    sums[i % m] += y[i] / trend
    counts[i % m]++
  }
  const indices = new Float64Array(m)
  let mean = 0
  for (let p = 0; p < m; p++) {
    indices[p] = sums[p] / counts[p]
    mean += indices[p] / m
  }
  for (let p = 0; p < m; p++) indices[p] /= mean
  return indices
}

/** The Naive2 forecast of `horizon` steps. */
export function forecastNaive2(y: Float64Array, horizon: number, m: number): Float64Array {
  const out = new Float64Array(horizon)
  const n = y.length
  if (!isSeasonal(y, m)) return out.fill(y[n - 1])
  const indices = multiplicativeIndices(y, m)
  const lastAdjusted = y[n - 1] / indices[(n - 1) % m]
  for (let h = 0; h < horizon; h++) out[h] = lastAdjusted * indices[(n + h) % m]
  return out
}
