/**
 * Global model versions loaded for forecasting on CPU, shared by the metrics of one `train` or `infer`
 * run: each version is read from the lake once. The TensorFlow.js backend is chosen on the first load
 * (tfjs-node in the image, wasm here), so runs that never meet a neural model never load TensorFlow.
 */
import { createNeuralFamily, type NeuralPredictor } from '../core/models/neural.js'
import type { ModelFamily } from '../core/models/model.js'
import type { ObjectStore } from '../io/object-store.js'
import type { Logger } from '../runtime/logger.js'
import { selectBackend } from './backend.js'
import { loadNeuralPredictor } from './predictor.js'

export class LoadedNeuralModels {
  private readonly loaded = new Map<string, NeuralPredictor>()
  private backendReady?: Promise<unknown>

  constructor(
    private readonly lake: ObjectStore,
    private readonly log: Logger,
  ) {}

  /** Loads the versions not loaded yet; throws InputMissingError for a missing or incomplete one. */
  async ensure(versions: readonly string[]): Promise<void> {
    const missing = versions.filter((v) => !this.loaded.has(v))
    if (missing.length === 0) return
    this.backendReady ??= selectBackend(undefined, (skipped) => this.log.debug({ skipped }, 'optional neural backends not available')).then((choice) => this.log.info({ backend: choice.backend }, 'neural backend selected'))
    await this.backendReady
    for (const version of missing) {
      const predictor = await loadNeuralPredictor(this.lake, version)
      this.loaded.set(version, predictor)
      this.log.info({ neuralVersion: version, backtestMase: predictor.meta.backtestMase }, 'neural model loaded')
    }
  }

  /** The `neural` family over what is loaded; `current` is the version new fits use. */
  family(current?: string): ModelFamily {
    return createNeuralFamily(this.loaded, current) as ModelFamily
  }
}
