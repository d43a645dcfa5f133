/**
 * Split-conformal prediction intervals from rolling-origin backtest errors (Vovk et al. 2005; the
 * per-horizon variant of Stankeviciute et al. 2021). Errors of neighbouring horizon steps are pooled
 * so that a handful of origins still gives enough scores, and widths never shrink with the horizon.
 */

/** Errors of a backtest laid out as `origins x horizon` (row-major), actual minus forecast. */
export interface ErrorMatrix {
  errors: Float64Array
  origins: number
  horizon: number
}

/** Half-widths per horizon step at `level`, from every origin except `excludeOrigin` (for honest coverage). */
export function conformalHalfWidths(matrix: ErrorMatrix, level: number, excludeOrigin = -1): Float64Array {
  return halfWidthsOfSorted(sortedPooledScores(matrix, excludeOrigin), level)
}

/**
 * Each step's pooled absolute errors (the step and its neighbours within the radius, from every
 * origin but `excludeOrigin`), sorted: what the quantile of every level reads, so a caller trying
 * several levels sorts once.
 */
function sortedPooledScores(matrix: ErrorMatrix, excludeOrigin: number): Float64Array[] {
  const { errors, origins, horizon } = matrix
  const radius = Math.max(1, Math.round(horizon / 8))
  const scratch = new Float64Array(origins * (2 * radius + 1))
  const sorted: Float64Array[] = []
  for (let h = 0; h < horizon; h++) {
    let count = 0
    for (let o = 0; o < origins; o++) {
      if (o === excludeOrigin) continue
      for (let j = Math.max(0, h - radius); j <= Math.min(horizon - 1, h + radius); j++) {
        const e = errors[o * horizon + j]
        if (Number.isFinite(e)) scratch[count++] = Math.abs(e)
      }
    }
    // A typed array sorts in numeric order without a comparator, several times faster; the scores are
    // absolute errors, finite and never -0, so the order is the comparator's.
    sorted.push(scratch.slice(0, count).sort())
  }
  return sorted
}

function halfWidthsOfSorted(sorted: readonly Float64Array[], level: number): Float64Array {
  const widths = new Float64Array(sorted.length)
  for (let h = 0; h < sorted.length; h++) {
    widths[h] = quantileOfSorted(sorted[h], level)
    if (h > 0 && widths[h] < widths[h - 1]) widths[h] = widths[h - 1]
  }
  return widths
}

/** The ceil((n + 1) level)-th smallest score: the finite-sample conformal quantile (the largest when n is small). */
export function conformalQuantile(scores: number[], level: number): number {
  return quantileOfSorted(Float64Array.from(scores).sort(), level)
}

function quantileOfSorted(sorted: Float64Array, level: number): number {
  if (sorted.length === 0) return 0
  const rank = Math.min(sorted.length, Math.ceil((sorted.length + 1) * level))
  return sorted[rank - 1]
}

/** Leave-one-origin-out coverage: each origin's actuals against widths calibrated on the others. */
export function crossValidatedCoverage(matrix: ErrorMatrix, level: number): number {
  if (matrix.origins < 2) return Number.NaN
  return coverageOfSorted(matrix, leaveOneOriginOut(matrix), level)
}

/** sortedPooledScores without each origin in turn. */
function leaveOneOriginOut(matrix: ErrorMatrix): Float64Array[][] {
  return Array.from({ length: matrix.origins }, (_, o) => sortedPooledScores(matrix, o))
}

function coverageOfSorted(matrix: ErrorMatrix, withoutOrigin: readonly Float64Array[][], level: number): number {
  let inside = 0
  let total = 0
  for (let o = 0; o < matrix.origins; o++) {
    const widths = halfWidthsOfSorted(withoutOrigin[o], level)
    for (let h = 0; h < matrix.horizon; h++) {
      const e = matrix.errors[o * matrix.horizon + h]
      if (!Number.isFinite(e)) continue
      total++
      if (Math.abs(e) <= widths[h]) inside++
    }
  }
  return total > 0 ? inside / total : Number.NaN
}

/**
 * The level to calibrate at so that intervals hold `level` out of sample: the smallest one from
 * `level` up (in steps of 0.5%, at most 99.5%) whose leave-one-origin-out coverage reaches `level`.
 * With a handful of origins the plain conformal quantile under-covers, and more so for the model a
 * selection picked for its small errors; this measures the shortfall instead of guessing a margin.
 */
export function calibratedLevel(matrix: ErrorMatrix, level: number): number {
  if (matrix.origins < 2) return level
  const withoutOrigin = leaveOneOriginOut(matrix)
  for (let candidate = level; candidate < 0.9951; candidate += 0.005) {
    const coverage = coverageOfSorted(matrix, withoutOrigin, candidate)
    if (!(coverage < level)) return candidate
  }
  return 0.995
}
