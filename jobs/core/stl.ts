/**
 * STL, seasonal-trend decomposition by loess (Cleveland, Cleveland, McRae & Terpenning 1990, J. Off.
 * Stat. 6(1)), as R's `stats::stl` runs it (the netlib Fortran: stlstp, stlss, stlfts, stless,
 * stlest), non-robust: `inner` passes of cycle-subseries smoothing, low-pass filtering and trend
 * smoothing, each loess evaluated every `jump` points and interpolated linearly in between. Written
 * by hand because no maintained JavaScript STL exists; tests/unit/core/stl-reference.test.ts checks it
 * against R's output.
 */

export interface StlOptions {
  /** Span of the cycle-subseries smoother, in cycles (odd, >= 3). */
  seasonalWindow: number
  /** Span of the trend smoother in steps; default as R's stl. */
  trendWindow?: number
  /** Passes of the inner loop; R's default without robustness is 2. */
  inner?: number
}

export interface StlResult {
  seasonal: Float64Array
  trend: Float64Array
}

/** R's defaults: s.degree 0, t.degree 1, l.degree 1, windows and jumps derived from the period. */
export function stl(y: Float64Array, period: number, options: StlOptions): StlResult {
  const n = y.length
  const np = Math.max(2, period)
  const ns = odd(Math.max(3, options.seasonalWindow))
  const nt = odd(Math.max(3, options.trendWindow ?? Math.ceil((1.5 * np) / (1 - 1.5 / ns))))
  const nl = odd(Math.max(3, np))
  const seasonalJump = Math.ceil(ns / 10)
  const trendJump = Math.ceil(nt / 10)
  const lowPassJump = Math.ceil(nl / 10)
  const inner = options.inner ?? 2

  const seasonal = new Float64Array(n)
  const trend = new Float64Array(n)
  const detrended = new Float64Array(n)
  const cycle = new Float64Array(n + 2 * np)
  const lowPass = new Float64Array(n)
  const deseasonalised = new Float64Array(n)
  for (let pass = 0; pass < inner; pass++) {
    for (let i = 0; i < n; i++) detrended[i] = y[i] - trend[i]
    smoothCycleSubseries(detrended, np, ns, seasonalJump, cycle)
    const filtered = lowPassFilter(cycle, np)
    loess(filtered, nl, 1, lowPassJump, lowPass)
    for (let i = 0; i < n; i++) seasonal[i] = cycle[np + i] - lowPass[i]
    for (let i = 0; i < n; i++) deseasonalised[i] = y[i] - seasonal[i]
    loess(deseasonalised, nt, 1, trendJump, trend)
  }
  return { seasonal, trend }
}

/**
 * Smooths each cycle-subseries (every `np`-th point) by loess of degree 0 and extends it by one cycle
 * at each end: `out` has n + 2 np values, out[np + i] belonging to y[i].
 */
function smoothCycleSubseries(y: Float64Array, np: number, ns: number, jump: number, out: Float64Array): void {
  const n = y.length
  const maxLength = Math.floor((n - 1) / np) + 1
  const sub = new Float64Array(maxLength)
  const smoothed = new Float64Array(maxLength)
  for (let j = 0; j < np; j++) {
    const k = Math.floor((n - 1 - j) / np) + 1
    for (let i = 0; i < k; i++) sub[i] = y[i * np + j]
    const values = sub.subarray(0, k)
    loess(values, ns, 0, jump, smoothed.subarray(0, k))
    const before = loessAt(values, ns, 0, 0, 1, Math.min(ns, k))
    const after = loessAt(values, ns, 0, k + 1, Math.max(1, k - ns + 1), k)
    out[j] = Number.isNaN(before) ? smoothed[0] : before
    for (let i = 0; i < k; i++) out[(i + 1) * np + j] = smoothed[i]
    out[(k + 1) * np + j] = Number.isNaN(after) ? smoothed[k - 1] : after
  }
}

/** Moving averages of lengths np, np and 3: n + 2 np values in, n out. */
function lowPassFilter(x: Float64Array, np: number): Float64Array {
  return movingAverage(movingAverage(movingAverage(x, np), np), 3)
}

function movingAverage(x: Float64Array, width: number): Float64Array {
  const out = new Float64Array(x.length - width + 1)
  let sum = 0
  for (let i = 0; i < width; i++) sum += x[i]
  out[0] = sum / width
  for (let j = 1; j < out.length; j++) {
    sum += x[j + width - 1] - x[j - 1]
    out[j] = sum / width
  }
  return out
}

/**
 * Loess of `y` (positions 1..n) with span `len` and degree 0 or 1, evaluated every `jump` points and
 * linearly interpolated between them (R's stless). Where a fit has no weight, the data value is kept.
 */
function loess(y: Float64Array, len: number, degree: 0 | 1, jump: number, out: Float64Array): void {
  const n = y.length
  if (n < 2) {
    out[0] = y[0]
    return
  }
  const step = Math.min(jump, n - 1)
  const half = Math.floor((len + 1) / 2)
  let left = 1
  let right = n
  const fitAt = (x: number) => {
    const value = loessAt(y, len, degree, x, left, right)
    out[x - 1] = Number.isNaN(value) ? y[x - 1] : value
  }
  if (len >= n) {
    for (let i = 1; i <= n; i += step) fitAt(i)
  } else if (step === 1) {
    right = len
    for (let i = 1; i <= n; i++) {
      if (i > half && right !== n) {
        left++
        right++
      }
      fitAt(i)
    }
  } else {
    for (let i = 1; i <= n; i += step) {
      if (i < half) {
        left = 1
        right = len
      } else if (i >= n - half + 1) {
        left = n - len + 1
        right = n
      } else {
        left = i - half + 1
        right = len + i - half
      }
      fitAt(i)
    }
  }
  if (step === 1) return
  for (let i = 1; i <= n - step; i += step) {
    const delta = (out[i + step - 1] - out[i - 1]) / step
    for (let j = i + 1; j < i + step; j++) out[j - 1] = out[i - 1] + delta * (j - i)
  }
  const last = Math.floor((n - 1) / step) * step + 1
  if (last !== n) {
    fitAt(n)
    if (last !== n - 1) {
      const delta = (out[n - 1] - out[last - 1]) / (n - last)
      for (let j = last + 1; j < n; j++) out[j - 1] = out[last - 1] + delta * (j - last)
    }
  }
}

/**
 * One local fit at position `x` (1-based) over points left..right with tricube weights (R's stlest);
 * NaN when no point has weight. One pass of weighted sums, with positions taken relative to `x` so the
 * local-linear correction is well conditioned; it equals R's two-pass form up to rounding.
 */
function loessAt(y: Float64Array, len: number, degree: 0 | 1, x: number, left: number, right: number): number {
  const n = y.length
  let h = Math.max(x - left, right - x)
  if (len > n) h += Math.floor((len - n) / 2)
  const h9 = 0.999 * h
  const h1 = 0.001 * h
  let total = 0
  let sumD = 0
  let sumDD = 0
  let sumY = 0
  let sumDY = 0
  for (let j = left; j <= right; j++) {
    const d = j - x
    const r = Math.abs(d)
    if (r > h9) continue
    let w = 1
    if (r > h1) {
      const u = r / h
      const c = 1 - u * u * u
      w = c * c * c
    }
    const v = y[j - 1]
    total += w
    sumD += w * d
    sumDD += w * d * d
    sumY += w * v
    sumDY += w * d * v
  }
  if (total <= 0) return Number.NaN
  const mean = sumY / total
  if (h > 0 && degree > 0) {
    const centre = sumD / total
    const spread = sumDD / total - centre * centre
    if (Math.sqrt(spread) > 0.001 * (n - 1)) return mean + (-centre / spread) * (sumDY / total - centre * mean)
  }
  return mean
}

function odd(k: number): number {
  return k % 2 === 0 ? k + 1 : k
}
