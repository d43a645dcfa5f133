/**
 * Nelder-Mead simplex minimisation (Nelder & Mead 1965; the standard reflection/expansion/contraction/
 * shrink coefficients 1, 2, 0.5, 0.5 as in R's optim). Used to fit smoothing parameters, which are
 * few and whose loss is cheap, so a derivative-free method is the right tool.
 */

export interface MinimizeOptions {
  maxIterations?: number
  tolerance?: number
  initialStep?: number
}

export interface MinimizeResult {
  x: Float64Array
  value: number
  iterations: number
}

/** Minimises `f` from `start`; `f` should return Infinity outside its domain. */
export function nelderMead(f: (x: Float64Array) => number, start: ArrayLike<number>, options: MinimizeOptions = {}): MinimizeResult {
  const n = start.length
  const maxIterations = options.maxIterations ?? 200 * n
  const tolerance = options.tolerance ?? 1e-8
  const step = options.initialStep ?? 0.1
  const simplex: Float64Array[] = [Float64Array.from(start)]
  for (let i = 0; i < n; i++) {
    const point = Float64Array.from(start)
    point[i] = point[i] !== 0 ? point[i] * (1 + step) : step
    simplex.push(point)
  }
  const values = simplex.map((p) => f(p))
  const order = Array.from({ length: n + 1 }, (_, i) => i)
  const centroid = new Float64Array(n)
  const trial = new Float64Array(n)
  const trial2 = new Float64Array(n)
  let iterations = 0
  for (; iterations < maxIterations; iterations++) {
    order.sort((a, b) => values[a] - values[b])
    const best = order[0]
    const worst = order[n]
    const secondWorst = order[n - 1]
    if (Math.abs(values[worst] - values[best]) <= tolerance * (Math.abs(values[best]) + tolerance)) break
    centroid.fill(0)
    for (let k = 0; k < n; k++) {
      const idx = order[k]
      for (let d = 0; d < n; d++) centroid[d] += simplex[idx][d] / n
    }
    for (let d = 0; d < n; d++) trial[d] = centroid[d] + (centroid[d] - simplex[worst][d])
    const reflected = f(trial)
    if (reflected < values[best]) {
      for (let d = 0; d < n; d++) trial2[d] = centroid[d] + 2 * (centroid[d] - simplex[worst][d])
      const expanded = f(trial2)
      if (expanded < reflected) accept(worst, trial2, expanded)
      else accept(worst, trial, reflected)
    } else if (reflected < values[secondWorst]) {
      accept(worst, trial, reflected)
    } else {
      const outside = reflected < values[worst]
      for (let d = 0; d < n; d++) {
        const from = outside ? trial[d] : simplex[worst][d]
        trial2[d] = centroid[d] + 0.5 * (from - centroid[d])
      }
      const contracted = f(trial2)
      if (contracted < Math.min(reflected, values[worst])) {
        accept(worst, trial2, contracted)
      } else {
        for (let k = 1; k <= n; k++) {
          const idx = order[k]
          for (let d = 0; d < n; d++) simplex[idx][d] = simplex[best][d] + 0.5 * (simplex[idx][d] - simplex[best][d])
          values[idx] = f(simplex[idx])
        }
      }
    }
  }
  let bestIndex = 0
  for (let i = 1; i <= n; i++) if (values[i] < values[bestIndex]) bestIndex = i
  return { x: simplex[bestIndex], value: values[bestIndex], iterations }

  function accept(index: number, point: Float64Array, value: number): void {
    simplex[index].set(point)
    values[index] = value
  }
}

/**
 * The best of Nelder-Mead runs from several starts: a simplex can settle on a flat stretch of a
 * bounded (logistic) parametrisation that another start avoids (ets.ts, dotm.ts).
 */
export function nelderMeadFromStarts(f: (x: Float64Array) => number, starts: readonly ArrayLike<number>[], options: MinimizeOptions = {}): MinimizeResult {
  return starts.map((start) => nelderMead(f, start, options)).reduce((best, next) => (next.value < best.value ? next : best))
}
