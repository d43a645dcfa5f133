/**
 * A trained global model loaded from the lake for forecasting on CPU (train's backtest and `infer`):
 * its metadata and both its ensembles of networks (forecasts averaged over the members). It picks the
 * ensemble that had not seen the data after the series' end: the final one for a series ending at or
 * after all its training data, the backtest one for a series ending between the backtest cutoff and
 * that, and none before the cutoff.
 */
import * as tf from '@tensorflow/tfjs'
import { z } from 'zod'
import { neuralMetaKey, neuralModelPrefix } from '../core/lake-layout.js'
import { ModelFitError, type ModelContext } from '../core/models/model.js'
import type { NeuralPredictor } from '../core/models/neural.js'
import type { ObjectStore } from '../io/object-store.js'
import { InputMissingError } from '../core/errors.js'
import { numberOrNaN, parseLakeDocument } from '../io/lake-document.js'
import { lakeIOHandler } from './checkpoint.js'
import { forecastGlobalMlp, neuralLosses } from './global-mlp.js'
import type { WindowNormalisation, WindowShape } from './windows.js'

/** `models/neural/<version>/gras.json`: what a reader needs besides the weights. */
const neuralMetaSchema = z.object({
  version: z.string().min(1),
  runId: z.string(),
  /** The longest input any member reads (every member's, when `ensemble` is absent). */
  inputSteps: z.number().int().positive(),
  horizon: z.number().int().positive(),
  /** Targets are residuals on the seasonal naive forecast of this period (0: levels). */
  baselinePeriod: z.number().int().min(0),
  /** How windows were scaled; absent in models written before it was recorded, which used `level`. */
  normalisation: z.enum(['level', 'seasonal-difference'] as const satisfies readonly WindowNormalisation[]).optional(),
  stepMs: z.number().int().positive(),
  seed: z.number().int(),
  epochs: z.number().int().min(0),
  /** Windows per gradient step (absent in models written before it was recorded). */
  batchSize: z.number().int().positive().optional(),
  /** Networks per phase; their forecasts are averaged. */
  members: z.number({ error: 'no member count (written by an older gras): run gras train-neural again' }).int().min(1),
  /**
   * Each member's input length and training loss, in member order (the same in both phases);
   * absent when every member reads `inputSteps` and was trained on MASE, as in models written
   * before members could differ.
   */
  ensemble: z.array(z.object({ inputSteps: z.number().int().positive(), loss: z.enum(neuralLosses) })).optional(),
  /** Windows of the member reading `inputSteps`. */
  windows: z.object({ backtest: z.number().int().min(0), final: z.number().int().min(0) }),
  /** The backtest network saw no data at or after this time. */
  backtestCutoffMs: z.number(),
  /** The final network saw no data at or after this time (the end of the newest series). */
  finalThroughMs: z.number(),
  /** Mean backtest MASE over the metrics it was trained on (leak-free, from the backtest network); NaN stored as null. */
  backtestMase: numberOrNaN,
  metrics: z.array(z.string()),
})
  .refine((meta) => !meta.ensemble || meta.ensemble.length === meta.members, { message: 'ensemble: one entry per member expected', path: ['ensemble'] })
  .refine((meta) => !meta.ensemble || Math.max(...meta.ensemble.map((m) => m.inputSteps)) === meta.inputSteps, { message: "inputSteps: expected the longest of the members' input lengths", path: ['inputSteps'] })

export type NeuralMeta = z.infer<typeof neuralMetaSchema>

export function neuralPredictor(meta: NeuralMeta, networks: Record<'backtest' | 'final', tf.LayersModel[]>): NeuralPredictor {
  return {
    version: meta.version,
    predict(y: Float64Array, horizon: number, context: ModelContext): Float64Array {
      if (context.stepMs !== undefined && context.stepMs !== meta.stepMs) throw new ModelFitError('neural', 'failed', `model ${meta.version} was trained on ${meta.stepMs} ms steps, the series has ${context.stepMs} ms`)
      if (horizon > meta.horizon) throw new ModelFitError('neural', 'failed', `model ${meta.version} forecasts ${meta.horizon} steps, ${horizon} asked`)
      if (y.length < meta.inputSteps) throw new ModelFitError('neural', 'too-short', `${y.length} points, the model reads ${meta.inputSteps}`)
      const endMs = (context.phase0 + y.length) * (context.stepMs ?? meta.stepMs)
      const network = endMs >= meta.finalThroughMs ? networks.final : endMs >= meta.backtestCutoffMs ? networks.backtest : undefined
      if (!network) {
        throw new ModelFitError('neural', 'failed', `look-ahead: a forecast from ${new Date(endMs).toISOString()} precedes model ${meta.version}'s backtest cutoff ${new Date(meta.backtestCutoffMs).toISOString()}`)
      }
      const mean = new Float64Array(horizon)
      for (const [k, member] of network.entries()) {
        const forecast = forecastGlobalMlp(member, [y], windowShapeOf(meta, k))[0]
        for (let h = 0; h < horizon; h++) mean[h] += forecast[h] / network.length
      }
      return mean
    },
  }
}

/** The window shape member `member` of a model was trained on (the same in both phases). */
export function windowShapeOf(meta: NeuralMeta, member = 0): WindowShape {
  return { inputSteps: meta.ensemble?.[member].inputSteps ?? meta.inputSteps, horizon: meta.horizon, baselinePeriod: meta.baselinePeriod, normalisation: meta.normalisation ?? 'level' }
}

/** Loads version `version` (metadata and both networks) from the lake; InputMissingError when incomplete. */
export async function loadNeuralPredictor(lake: ObjectStore, version: string): Promise<NeuralPredictor & { meta: NeuralMeta }> {
  const key = neuralMetaKey(version)
  const bytes = await lake.get(key)
  if (!bytes) throw new InputMissingError(`neural: ${key} is missing (model version ${version} incomplete or deleted)`)
  const meta = parseLakeDocument(neuralMetaSchema, bytes, key)
  return { ...neuralPredictor(meta, await loadNetworks(lake, version, meta.members)), meta }
}

/** Both phases' member networks of a version. */
export async function loadNetworks(lake: ObjectStore, version: string, members: number): Promise<Record<'backtest' | 'final', tf.LayersModel[]>> {
  const load = (phase: 'backtest' | 'final') => Promise.all(Array.from({ length: members }, (_, k) => tf.loadLayersModel(lakeIOHandler(lake, neuralModelPrefix(version, phase, k)))))
  return { backtest: await load('backtest'), final: await load('final') }
}
