/** Gap filling on a regular grid, by a declared policy. */

export type GapPolicy = 'interpolate' | 'zero' | 'seasonal'

export interface FilledSeries {
  values: Float64Array
  /** 1 where the value was observed, 0 where the policy filled it. */
  observed: Uint8Array
  filledCount: number
}

/**
 * Fills NaN steps. `interpolate`: linear between the neighbours (edges carry the nearest value);
 * `zero`: 0 (counts with no events); `seasonal`: the value one `period` earlier, else interpolate.
 */
export function fillGaps(values: Float64Array, policy: GapPolicy, period: number): FilledSeries {
  const out = Float64Array.from(values)
  const observed = new Uint8Array(values.length)
  let filledCount = 0
  for (let i = 0; i < values.length; i++) {
    if (Number.isNaN(values[i])) filledCount++
    else observed[i] = 1
  }
  if (filledCount === 0 || filledCount === values.length) return { values: out, observed, filledCount }
  if (policy === 'zero') {
    for (let i = 0; i < out.length; i++) if (!observed[i]) out[i] = 0
    return { values: out, observed, filledCount }
  }
  if (policy === 'seasonal') {
    for (let i = period; i < out.length; i++) if (!observed[i] && !Number.isNaN(out[i - period])) out[i] = out[i - period]
  }
  interpolateInPlace(out)
  return { values: out, observed, filledCount }
}

function interpolateInPlace(values: Float64Array): void {
  let previous = -1
  for (let i = 0; i <= values.length; i++) {
    if (i < values.length && Number.isNaN(values[i])) continue
    const gapStart = previous + 1
    if (i > gapStart) {
      const left = previous >= 0 ? values[previous] : values[i]
      const right = i < values.length ? values[i] : left
      for (let j = gapStart; j < i; j++) {
        const weight = previous >= 0 && i < values.length ? (j - previous) / (i - previous) : 0
        values[j] = left + (right - left) * weight
      }
    }
    previous = i
  }
}
