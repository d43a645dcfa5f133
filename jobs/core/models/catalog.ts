/** The model families by name, as `train.candidates` in config refers to them. */
import type { ModelName } from '../ids.js'
import { createAutoArima, type ArimaSearch } from './auto-arima.js'
import { ets } from './ets.js'
import { seasonalEts } from './ets-seasonal.js'
import type { ModelFamily, ModelKind } from './model.js'
import { createCombination } from './combination.js'
import { dotm } from './dotm.js'
import { createNeuralFamily } from './neural.js'
import { seasonalNaive } from './seasonal-naive.js'
import { theta } from './theta.js'

export interface CatalogOptions {
  arimaMaxLength: number
  /** How far AutoARIMA's order search goes (default: defaultArimaSearch). */
  arimaSearch?: ArimaSearch
  /** The global model's family, when one is loaded (train, infer); without it `neural` always falls back. */
  neural?: ModelFamily
}

/** Every family, keyed by name; `combination` forecasts with members from the others. */
export function modelCatalog(options: CatalogOptions): Record<ModelKind, ModelFamily> {
  const singles: Record<ModelName, ModelFamily> = {
    snaive: seasonalNaive as ModelFamily,
    ets: ets as ModelFamily,
    'ets-seasonal': seasonalEts as ModelFamily,
    theta: theta as ModelFamily,
    dotm: dotm as ModelFamily,
    arima: createAutoArima(options.arimaMaxLength, options.arimaSearch) as ModelFamily,
    neural: options.neural ?? (createNeuralFamily(new Map()) as ModelFamily),
  }
  // The combination looks its members up in the catalog it belongs to, so replacing a family here
  // (train and infer set `neural` once its versions are loaded) reaches the combinations too.
  const catalog = { ...singles } as Record<ModelKind, ModelFamily>
  catalog.combination = createCombination(catalog) as ModelFamily
  return catalog
}

/** Seasonal periods in steps for a step length: daily and weekly cycles for hourly data, weekly for daily. */
export function seasonalPeriods(stepMs: number): number[] {
  const perDay = Math.round(86_400_000 / stepMs)
  return perDay > 1 ? [perDay, perDay * 7] : [7]
}
