/**
 * The global model's forecasts for one M4 series, computed in the main thread (TensorFlow.js is not
 * loaded in the workers) and looked up by the workers: one per backtest origin from the backtest
 * network, and one from the end of the series from the final network. The lookup key is the length
 * of the series the forecast starts after, which is how selection asks for them.
 */
import { ModelFitError } from '../../jobs/core/models/model.js'
import type { NeuralPredictor } from '../../jobs/core/models/neural.js'

export interface NeuralForecasts {
  /** Series lengths (origins, and the full length) a forecast was made after. */
  lengths: number[]
  forecasts: Float64Array[]
}

export function precomputedNeural(data: NeuralForecasts): NeuralPredictor {
  return {
    version: 'bench',
    predict(y: Float64Array, horizon: number): Float64Array {
      const k = data.lengths.indexOf(y.length)
      if (k < 0) throw new ModelFitError('neural', 'failed', `no forecast precomputed after ${y.length} points`)
      return data.forecasts[k].slice(0, horizon)
    },
  }
}
