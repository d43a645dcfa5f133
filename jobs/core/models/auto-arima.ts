/**
 * AutoARIMA (Hyndman & Khandakar 2008, as R's forecast::auto.arima) from the `arima` package, an
 * Emscripten build of the C library ctsa, applied to the seasonally adjusted series: the package's
 * own seasonal search on period 24 takes seconds per fit and often fails, while the non-seasonal
 * search on the adjusted series takes a fraction of a second.
 *
 * The order (p, d, q, mean) is the parameter: `fit` searches it; `forecast` re-estimates the
 * coefficients of that order on the newest data, which takes milliseconds instead of the search's
 * hundreds. The package does not return the order it chose, so it is read from ctsa's
 * auto_arima_set struct in the wasm heap (layout of arima 0.2.8, pinned in package.json), and
 * checked against what we know of the fit before it is trusted.
 *
 * Contained: the C code's printf goes to a captured buffer instead of stdout (logs stay JSON); an
 * abort inside the wasm, an order that fails the check, or a forecast that is not finite or leaves
 * the data's range becomes a ModelFitError that selection records as a fallback, and the module is
 * reloaded after an abort.
 */
import { createRequire } from 'node:module'
import { dirname, join } from 'node:path'
import { assertSaneForecast, ModelFitError, type ModelContext, type ModelFamily } from './model.js'
import { forecastWithSeasonalAdjustment, seasonallyAdjusted } from './seasonal-adjustment.js'

export interface ArimaOrder {
  p: number
  d: number
  q: number
  /** 1 when the model has a mean (intercept). */
  mean: number
}

export interface ArimaParams {
  order: ArimaOrder
  /** Most recent points the coefficients are estimated on; bounds the cost. */
  maxLength: number
}

interface ArimaInstance {
  model: number
  fit(ts: number[]): ArimaInstance
  predict(steps: number): [number[], number[]]
  destroy(): void
}
type ArimaConstructor = new (options: Record<string, unknown>) => ArimaInstance

interface LoadedArima {
  ARIMA: ArimaConstructor
  heap32: () => Int32Array
  /** Lines the C code printed during the current call. */
  printed: string[]
}

let loaded: LoadedArima | undefined

function loadArima(): LoadedArima {
  if (loaded) return loaded
  const require = createRequire(import.meta.url)
  // The package's index.js builds the module without a `print` hook, so stdout would receive the C
  // code's printf output; building it here from the same files lets us capture it.
  const root = dirname(require.resolve('arima'))
  const createModule = require(join(root, 'wasm/native-sync.js')) as (options: object) => { HEAP32: Int32Array }
  const wasmBinary = require(join(root, 'wrapper/native.bin.js')) as Uint8Array
  const bindArima = require(join(root, 'load.js')) as (module: unknown) => ArimaConstructor
  const printed: string[] = []
  const capture = (line: string) => {
    if (printed.length < 200) printed.push(String(line))
  }
  const module = createModule({ wasmBinary, print: capture, printErr: capture })
  loaded = { ARIMA: bindArima(module), heap32: () => module.HEAP32, printed }
  return loaded
}

/** Field indices (in int32s) of ctsa's auto_arima_set: N, Nused, p, d, q, mean flag, coefficient count. */
const field = { n: 4, nUsed: 5, p: 14, d: 15, q: 16, mean: 22, coefficients: 23 }

/** Reads the chosen order from the fitted model's struct, or undefined when the layout does not check out. */
function readOrder(heap: Int32Array, pointer: number, length: number): ArimaOrder | undefined {
  const at = (k: number) => heap[pointer / 4 + k]
  const order = { p: at(field.p), d: at(field.d), q: at(field.q), mean: at(field.mean) }
  const consistent =
    at(field.n) === length &&
    at(field.nUsed) === length - order.d &&
    order.p >= 0 && order.p <= 5 && order.d >= 0 && order.d <= 2 && order.q >= 0 && order.q <= 5 &&
    (order.mean === 0 || order.mean === 1) &&
    at(field.coefficients) === order.p + order.q + order.mean
  return consistent ? order : undefined
}

function withArima<T>(body: (lib: LoadedArima) => T): T {
  const lib = loadArima()
  lib.printed.length = 0
  try {
    return body(lib)
  } catch (error) {
    if (error instanceof ModelFitError) throw error
    loaded = undefined
    const lastOutput = lib.printed.slice(-3).join(' | ')
    throw new ModelFitError('arima', 'failed', `${(error as Error).message ?? error}${lastOutput ? ` (C output: ${lastOutput})` : ''}`)
  }
}

function tail(y: Float64Array, maxLength: number): number[] {
  return Array.from(y.subarray(Math.max(0, y.length - maxLength)))
}

/** How far the order search goes. */
export interface ArimaSearch {
  /** Largest p and q the stepwise search may reach (R's max.p, max.q; the package's default is 5). */
  maxOrder: number
  /** The final model keeps the order the backtest searched (ModelFamily.finalFromBacktest). */
  searchOnce: boolean
}

/**
 * The package's own bounds, searched again on all the data for the final model. Orders up to 3
 * searched once take half the time per series but scored 0.001 OWA worse on two of the three
 * hold-outs of docs/accuracy.md; orders up to 5 searched once save the second search (29% of the
 * statistical search's CPU) but lose with the neural model on both Hourly hold-outs. Neither is the
 * default (`train.arimaMaxOrder`, `train.arimaSearchOnce`).
 */
export const defaultArimaSearch: ArimaSearch = { maxOrder: 5, searchOnce: false }

/** Runs the automatic order search on `adjusted` (its last `maxLength` points). */
export function searchArimaOrder(adjusted: Float64Array, maxLength: number, maxOrder = defaultArimaSearch.maxOrder): ArimaOrder {
  if (adjusted.length < 20) throw new ModelFitError('arima', 'too-short', `${adjusted.length} points (expected at least 20)`)
  return withArima(({ ARIMA, heap32 }) => {
    const series = tail(adjusted, maxLength)
    const model = new ARIMA({ auto: true, s: 0, p: maxOrder, q: maxOrder, verbose: false }).fit(series)
    try {
      const order = readOrder(heap32(), model.model, series.length)
      if (!order) throw new ModelFitError('arima', 'failed', 'could not read the order chosen by the search (arima package layout changed?)')
      return order
    } finally {
      model.destroy()
    }
  })
}

/** Estimates the coefficients of `order` on `adjusted` and forecasts `horizon` steps. */
export function forecastArimaOrder(adjusted: Float64Array, order: ArimaOrder, horizon: number, maxLength: number): Float64Array {
  if (adjusted.length < 20) throw new ModelFitError('arima', 'too-short', `${adjusted.length} points (expected at least 20)`)
  const series = tail(adjusted, maxLength)
  // The package's fixed-order fit returns zeros when p = q = 0 (seen on M4 Weekly); those models
  // have closed forms anyway: mean, random walk (with drift when the order has a mean), or a line.
  if (order.p === 0 && order.q === 0) return pureDifferenceForecast(series, order, horizon)
  return withArima(({ ARIMA }) => {
    // The package's fixed-order fit has no intercept: for d = 0 the mean is removed first and added
    // back, or every forecast decays to zero (seen on M4 Weekly).
    const mean = order.d === 0 ? series.reduce((sum, v) => sum + v, 0) / series.length : 0
    // Conditional sum of squares: exact ML with the default L-BFGS diverged on about 1 in 6 M4 Hourly series.
    const model = new ARIMA({ p: order.p, d: order.d, q: order.q, method: 1, verbose: false }).fit(series.map((v) => v - mean))
    try {
      return Float64Array.from(model.predict(horizon)[0], (v) => v + mean)
    } finally {
      model.destroy()
    }
  })
}

function pureDifferenceForecast(series: number[], order: ArimaOrder, horizon: number): Float64Array {
  const n = series.length
  const last = series[n - 1]
  const out = new Float64Array(horizon)
  if (order.d === 0) return out.fill(series.reduce((sum, v) => sum + v, 0) / n)
  if (order.d === 1) {
    const drift = order.mean ? (last - series[0]) / (n - 1) : 0
    for (let h = 0; h < horizon; h++) out[h] = last + drift * (h + 1)
    return out
  }
  const slope = last - series[n - 2]
  for (let h = 0; h < horizon; h++) out[h] = last + slope * (h + 1)
  return out
}

export function fitAutoArima(y: Float64Array, context: ModelContext, maxLength: number, maxOrder = defaultArimaSearch.maxOrder): ArimaParams {
  return { order: searchArimaOrder(seasonallyAdjusted(y, context), maxLength, maxOrder), maxLength }
}

export function forecastAutoArima(params: ArimaParams, y: Float64Array, horizon: number, context: ModelContext): Float64Array {
  const out = forecastWithSeasonalAdjustment(y, horizon, context, (adjusted) => forecastArimaOrder(adjusted, params.order, horizon, params.maxLength))
  return assertSaneForecast('arima', y, out)
}

/** AutoARIMA on the seasonally adjusted series; the order search runs once per backtest, not per origin. */
export function createAutoArima(maxLength: number, search: ArimaSearch = defaultArimaSearch): ModelFamily<ArimaParams> {
  return {
    name: 'arima',
    fit: (y, context) => fitAutoArima(y, context, maxLength, search.maxOrder),
    forecast: forecastAutoArima,
    backtestFitOnce: true,
    finalFromBacktest: search.searchOnce,
  }
}
