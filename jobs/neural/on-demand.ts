/**
 * The global model's versions for one `train` or `infer` run, loaded on demand: TensorFlow.js is
 * large, so it is imported only when a version is first needed, and each version is read once.
 */
import type { ModelFamily, ModelKind } from '../core/models/model.js'
import { neuralVersionsOf } from '../core/models/neural.js'
import type { ObjectStore } from '../io/object-store.js'
import type { Logger } from '../runtime/logger.js'
import type { LoadedNeuralModels } from './loaded-models.js'

export class NeuralOnDemand {
  private models?: Promise<LoadedNeuralModels>

  constructor(
    private readonly lake: ObjectStore,
    private readonly logger: Logger,
  ) {}

  /** Loads `versions` (InputMissingError for a missing or incomplete one) and returns the family over what is loaded; `current` is the version new fits use. */
  async family(versions: readonly string[], current?: string): Promise<ModelFamily> {
    const models = await (this.models ??= import('./loaded-models.js').then((m) => new m.LoadedNeuralModels(this.lake, this.logger)))
    await models.ensure(versions)
    return models.family(current)
  }

  /** Points `catalog.neural` at the versions a fitted model uses, when it uses any. */
  async prepare(catalog: Record<ModelKind, ModelFamily>, model: string, params: unknown, current?: string): Promise<void> {
    const versions = neuralVersionsOf(model, params)
    if (versions.length > 0) catalog.neural = await this.family(versions, current)
  }
}
