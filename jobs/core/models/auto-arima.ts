/**
 * AutoARIMA (Hyndman & Khandakar 2008, as R's forecast::auto.arima) from the `arima` package, an
 * Emscripten build of the C library ctsa, applied to the seasonally adjusted series: the package's
 * own seasonal search on period 24 takes seconds per fit and often fails, while the non-seasonal
 * search on the adjusted series takes a fraction of a second.
 *
 * Contained: the C code's printf goes to a captured buffer instead of stdout (so logs stay JSON);
 * an abort inside the wasm, or a forecast that is not finite or leaves the data's range, becomes a
 * ModelFitError that selection records as a fallback, and the module is reloaded after an abort.
 */
import { createRequire } from 'node:module'
import { dirname, join } from 'node:path'
import { assertSaneForecast, ModelFitError, type ModelContext, type ModelFamily } from './model.js'
import { forecastWithSeasonalAdjustment } from './seasonal-adjustment.js'

export interface ArimaParams {
  /** Most recent points handed to the search; bounds the cost of a fit. */
  maxLength: number
}

interface ArimaInstance {
  fit(ts: number[]): ArimaInstance
  predict(steps: number): [number[], number[]]
  destroy(): void
}
type ArimaConstructor = new (options: Record<string, unknown>) => ArimaInstance

interface LoadedArima {
  ARIMA: ArimaConstructor
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
  const createModule = require(join(root, 'wasm/native-sync.js')) as (options: object) => unknown
  const wasmBinary = require(join(root, 'wrapper/native.bin.js')) as Uint8Array
  const bindArima = require(join(root, 'load.js')) as (module: unknown) => ArimaConstructor
  const printed: string[] = []
  const capture = (line: string) => {
    if (printed.length < 200) printed.push(String(line))
  }
  const ARIMA = bindArima(createModule({ wasmBinary, print: capture, printErr: capture }))
  loaded = { ARIMA, printed }
  return loaded
}

/** Runs the non-seasonal automatic search on `adjusted` and forecasts `horizon` steps. */
export function autoArimaForecast(adjusted: Float64Array, horizon: number, maxLength: number): { mean: Float64Array; printedLines: number } {
  if (adjusted.length < 20) throw new ModelFitError('arima', 'too-short', `${adjusted.length} points (expected at least 20)`)
  const { ARIMA, printed } = loadArima()
  printed.length = 0
  const tail = Array.from(adjusted.subarray(Math.max(0, adjusted.length - maxLength)))
  let model: ArimaInstance | undefined
  try {
    model = new ARIMA({ auto: true, s: 0, verbose: false }).fit(tail)
    const [mean] = model.predict(horizon)
    return { mean: Float64Array.from(mean), printedLines: printed.length }
  } catch (error) {
    if (error instanceof ModelFitError) throw error
    loaded = undefined
    const lastOutput = printed.slice(-3).join(' | ')
    throw new ModelFitError('arima', 'failed', `${(error as Error).message ?? error}${lastOutput ? ` (C output: ${lastOutput})` : ''}`)
  } finally {
    try {
      model?.destroy()
    } catch {
      loaded = undefined
    }
  }
}

export function forecastAutoArima(params: ArimaParams, y: Float64Array, horizon: number, context: ModelContext): Float64Array {
  const out = forecastWithSeasonalAdjustment(y, horizon, context, (adjusted) => autoArimaForecast(adjusted, horizon, params.maxLength).mean)
  return assertSaneForecast('arima', y, out)
}

/** AutoARIMA's parameters are its search bounds: the order is searched again on each forecast. */
export function createAutoArima(maxLength: number): ModelFamily<ArimaParams> {
  return {
    name: 'arima',
    fit: () => ({ maxLength }),
    forecast: forecastAutoArima,
  }
}
