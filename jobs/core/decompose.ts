import { fillGaps } from './gaps.js'
import { stl } from './stl.js'

/**
 * Multiple seasonal decomposition as MSTL (Bandara, Hyndman & Bergmeir 2021; R's forecast::mstl):
 * STL (stl.ts) once per period, shortest first, each on the series minus the other components, twice
 * round; the seasonal windows are R's 7 + 4k cycles (11 for the daily cycle, 15 for the weekly one).
 * The seasonal components evolve over time; the forecast repeats each component's last cycle, as
 * forecast.mstl does. Phase is anchored to absolute time (`phase0`, the series' first step counted from
 * the epoch), so the same hour of the week has the same profile index in every window.
 */

export interface SeasonalDecomposition {
  /** Periods actually used: those with at least two full cycles of data. */
  periods: number[]
  /** Each used period's last cycle, indexed by absolute phase: the seasonal forecast. */
  profiles: Float64Array[]
  /** The series with all seasonal components removed (NaN where y is NaN). */
  adjusted: Float64Array
  /** Each used period's seasonal component over the whole series. */
  components: Float64Array[]
}

const iterations = 2

/** Decomposes `y` by the given periods; periods without two full cycles are skipped. */
export function decomposeSeasonal(y: Float64Array, periods: readonly number[], phase0: number): SeasonalDecomposition {
  const n = y.length
  const used = periods.filter((p) => p > 1 && n >= 2 * p).sort((a, b) => a - b)
  // STL needs every point: gaps (and any non-finite value) are interpolated for it, not in `adjusted`.
  const gaps = fillGaps(y.map((v) => (Number.isFinite(v) ? v : Number.NaN)), 'interpolate', 1)
  if (used.length === 0 || gaps.filledCount === n) return { periods: [], profiles: [], adjusted: Float64Array.from(y), components: [] }
  const components: Float64Array[] = used.map(() => new Float64Array(n))
  const deseasonalised = gaps.values
  for (let pass = 0; pass < iterations; pass++) {
    used.forEach((period, k) => {
      for (let i = 0; i < n; i++) deseasonalised[i] += components[k][i]
      components[k] = stl(deseasonalised, period, { seasonalWindow: 7 + 4 * (k + 1) }).seasonal
      for (let i = 0; i < n; i++) deseasonalised[i] -= components[k][i]
    })
  }
  const profiles = used.map((period, k) => {
    const profile = new Float64Array(period)
    for (let i = n - period; i < n; i++) profile[mod(phase0 + i, period)] = components[k][i]
    return profile
  })
  const adjusted = new Float64Array(n)
  for (let i = 0; i < n; i++) {
    let seasonal = 0
    for (const component of components) seasonal += component[i]
    adjusted[i] = y[i] - seasonal
  }
  return { periods: used, profiles, adjusted, components }
}

/** decomposeSeasonal's signature: a ModelContext may carry a memoised one (decompositionMemo). */
export type Decompose = (y: Float64Array, periods: readonly number[], phase0: number) => SeasonalDecomposition

/**
 * decomposeSeasonal computing each distinct input once: a selection decomposes the same prefixes of
 * one series for every candidate (the fit before the first origin, each origin, the final fit), and
 * STL is the costly part of the cheaper models. An input is the same when its length, periods, phase
 * and every value (Object.is: NaN, -0) are, so the result is what decomposeSeasonal returns for it;
 * each caller gets its own copy of `adjusted`, the rest is shared and must not be written to. Holds
 * the newest `capacity` inputs.
 */
export function decompositionMemo(capacity = 32): Decompose {
  const entries: { y: Float64Array; key: string; decomposition: SeasonalDecomposition }[] = []
  return (y, periods, phase0) => {
    const key = `${periods.join(',')}@${phase0}`
    let entry = entries.find((e) => e.y.length === y.length && e.key === key && sameValues(e.y, y))
    if (!entry) {
      entry = { y: Float64Array.from(y), key, decomposition: decomposeSeasonal(y, periods, phase0) }
      entries.push(entry)
      if (entries.length > capacity) entries.shift()
    }
    return { ...entry.decomposition, adjusted: Float64Array.from(entry.decomposition.adjusted) }
  }
}

function sameValues(a: Float64Array, b: Float64Array): boolean {
  for (let i = 0; i < a.length; i++) if (!Object.is(a[i], b[i])) return false
  return true
}

/** Sum of the seasonal components at absolute step `phase`. */
export function seasonalAt(profiles: readonly Float64Array[], periods: readonly number[], phase: number): number {
  let sum = 0
  for (let k = 0; k < periods.length; k++) sum += profiles[k][mod(phase, periods[k])]
  return sum
}

function mod(a: number, b: number): number {
  return ((a % b) + b) % b
}
