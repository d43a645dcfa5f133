/**
 * Multiple seasonal decomposition, in the spirit of MSTL (Bandara, Hyndman & Bergmeir 2021) but with
 * per-phase medians of the detrended series instead of loess: robust to single outliers, cheap, and
 * deterministic. Seasonal phase is anchored to absolute time (`phase0`, the series' first step
 * counted from the epoch), so the same hour of the week has the same index in every window.
 */

export interface SeasonalDecomposition {
  /** Periods actually used: those with at least two full cycles of data. */
  periods: number[]
  /** One zero-mean profile per used period, indexed by absolute phase. */
  profiles: Float64Array[]
  /** The series with all seasonal components removed. */
  adjusted: Float64Array
}

/** The most recent cycles used per period: enough for a stable median, few enough to adapt. */
const recentCycles = 4

/** Decomposes `y` by the given periods (ascending); periods without two full cycles are skipped. */
export function decomposeSeasonal(y: Float64Array, periods: readonly number[], phase0: number): SeasonalDecomposition {
  const n = y.length
  const used = periods.filter((p) => p > 1 && n >= 2 * p).sort((a, b) => a - b)
  if (used.length === 0) return { periods: [], profiles: [], adjusted: Float64Array.from(y) }
  const trend = centeredMovingAverage(y, used[used.length - 1])
  const detrended = new Float64Array(n)
  for (let i = 0; i < n; i++) detrended[i] = y[i] - trend[i]
  const profiles: Float64Array[] = used.map((p) => new Float64Array(p))
  const work = new Float64Array(n)
  for (let pass = 0; pass < 2; pass++) {
    for (let k = 0; k < used.length; k++) {
      for (let i = 0; i < n; i++) {
        let others = 0
        for (let j = 0; j < used.length; j++) if (j !== k) others += profiles[j][mod(phase0 + i, used[j])]
        work[i] = detrended[i] - others
      }
      profiles[k] = phaseMedians(work, used[k], phase0)
    }
  }
  const adjusted = new Float64Array(n)
  for (let i = 0; i < n; i++) adjusted[i] = y[i] - seasonalAt(profiles, used, phase0 + i)
  return { periods: used, profiles, adjusted }
}

/** Sum of the seasonal components at absolute step `phase`. */
export function seasonalAt(profiles: readonly Float64Array[], periods: readonly number[], phase: number): number {
  let sum = 0
  for (let k = 0; k < periods.length; k++) sum += profiles[k][mod(phase, periods[k])]
  return sum
}

function phaseMedians(values: Float64Array, period: number, phase0: number): Float64Array {
  const n = values.length
  const first = Math.max(0, n - recentCycles * period)
  const profile = new Float64Array(period)
  const bucket: number[] = []
  for (let offset = 0; offset < period; offset++) {
    bucket.length = 0
    for (let i = first + offset; i < n; i += period) if (Number.isFinite(values[i])) bucket.push(values[i])
    profile[mod(phase0 + first + offset, period)] = bucket.length > 0 ? median(bucket) : 0
  }
  let mean = 0
  for (let i = 0; i < period; i++) mean += profile[i] / period
  for (let i = 0; i < period; i++) profile[i] -= mean
  return profile
}

/** Centered moving average of window `width` (2 x width for even widths); edges hold the nearest value. */
export function centeredMovingAverage(y: Float64Array, width: number): Float64Array {
  const n = y.length
  const out = new Float64Array(n).fill(Number.NaN)
  const half = Math.floor(width / 2)
  const even = width % 2 === 0
  for (let i = half; i < n - half; i++) {
    let sum = 0
    if (even) {
      sum += 0.5 * y[i - half] + 0.5 * y[i + half]
      for (let j = i - half + 1; j < i + half; j++) sum += y[j]
    } else {
      for (let j = i - half; j <= i + half; j++) sum += y[j]
    }
    out[i] = sum / width
  }
  const firstValid = Math.min(half, n - 1)
  const lastValid = Math.max(n - half - 1, 0)
  if (Number.isNaN(out[firstValid])) {
    let mean = 0
    for (let i = 0; i < n; i++) mean += y[i] / n
    return out.fill(mean)
  }
  for (let i = 0; i < firstValid; i++) out[i] = out[firstValid]
  for (let i = lastValid + 1; i < n; i++) out[i] = out[lastValid]
  return out
}

export function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b)
  const mid = sorted.length >> 1
  return sorted.length % 2 === 1 ? sorted[mid] : 0.5 * (sorted[mid - 1] + sorted[mid])
}

function mod(a: number, b: number): number {
  return ((a % b) + b) % b
}
