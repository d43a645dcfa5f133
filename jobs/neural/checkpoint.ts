/**
 * Checkpoints of the global model in the lake (`checkpoints/<run id>/<phase>/`), through a TensorFlow.js
 * IOHandler that reads and writes the lake (local or S3): weights in tfjs's own format, the Adam
 * optimizer's state, and the position (epoch, batch), in one of two slots. `state.json` is written
 * last and names the slot: a kill during a save loses nothing but that save.
 */
import * as tf from '@tensorflow/tfjs'
import type { ObjectStore } from '../io/object-store.js'
import type { TrainedModel } from './global-mlp.js'

export interface CheckpointState {
  epoch: number
  batch: number
  /** Windows per batch when saved: `batch` counts batches of this size (absent in older checkpoints). */
  batchSize?: number
  /** Which of the two slots holds this checkpoint. */
  slot: 'a' | 'b'
  /** Adam's running beta1^t and beta2^t, as float32 values (see restoreBiasCorrection). */
  accBeta?: [number, number]
  savedAt: string
}

/** Adam's bias-correction state, which tfjs keeps outside getWeights(). */
interface AdamInternals {
  accBeta1: tf.Variable
  accBeta2: tf.Variable
}

const decoder = new TextDecoder()

/** A tfjs IOHandler over `<prefix>/model.json` and `<prefix>/weights.bin` in the lake. */
export function lakeIOHandler(lake: ObjectStore, prefix: string): tf.io.IOHandler {
  return {
    async save(artifacts: tf.io.ModelArtifacts): Promise<tf.io.SaveResult> {
      const weights = artifacts.weightData instanceof ArrayBuffer ? artifacts.weightData : tf.io.concatenateArrayBuffers(artifacts.weightData as ArrayBuffer[])
      await lake.put(`${prefix}/weights.bin`, new Uint8Array(weights))
      const { weightData: _weightData, ...json } = artifacts
      await lake.put(`${prefix}/model.json`, JSON.stringify(json))
      return { modelArtifactsInfo: { dateSaved: new Date(0), modelTopologyType: 'JSON', weightDataBytes: weights.byteLength } }
    },
    async load(): Promise<tf.io.ModelArtifacts> {
      const json = await lake.get(`${prefix}/model.json`)
      const weights = await lake.get(`${prefix}/weights.bin`)
      if (!json || !weights) throw new Error(`neural: no model at ${prefix} in ${lake.uri}`)
      return { ...(JSON.parse(decoder.decode(json)) as tf.io.ModelArtifacts), weightData: weights.slice().buffer }
    },
  }
}

/**
 * Saves into the slot (`a` or `b`) the current state.json does not name, then points state.json at
 * it: a kill mid-save leaves the previous checkpoint whole, and a run keeps at most two.
 */
export async function saveCheckpoint(lake: ObjectStore, prefix: string, trained: TrainedModel, state: Omit<CheckpointState, 'savedAt' | 'slot'>, nowIso: string): Promise<void> {
  const current = await readState(lake, prefix)
  const slot = current?.slot === 'a' ? 'b' : 'a'
  await trained.model.save(lakeIOHandler(lake, `${prefix}/${slot}/model`))
  const optimizerWeights = await trained.optimizer.getWeights()
  const specs = optimizerWeights.map((w) => ({ name: w.name, shape: w.tensor.shape }))
  const data = Float32Array.from(optimizerWeights.flatMap((w) => Array.from(w.tensor.dataSync() as Float32Array)))
  await lake.put(`${prefix}/${slot}/optimizer.bin`, new Uint8Array(data.buffer))
  await lake.put(`${prefix}/${slot}/optimizer.json`, JSON.stringify(specs))
  const adam = trained.optimizer as unknown as AdamInternals
  const accBeta: [number, number] = [adam.accBeta1.dataSync()[0], adam.accBeta2.dataSync()[0]]
  const next: CheckpointState = { ...state, slot, accBeta, savedAt: nowIso }
  await lake.put(`${prefix}/state.json`, JSON.stringify(next))
}

async function readState(lake: ObjectStore, prefix: string): Promise<CheckpointState | undefined> {
  const bytes = await lake.get(`${prefix}/state.json`)
  return bytes ? (JSON.parse(decoder.decode(bytes)) as CheckpointState) : undefined
}

/** Restores weights and optimizer state into `trained`; returns where to resume, or undefined without a checkpoint. */
export async function restoreCheckpoint(lake: ObjectStore, prefix: string, trained: TrainedModel): Promise<CheckpointState | undefined> {
  const state = await readState(lake, prefix)
  if (!state) return undefined
  const dir = `${prefix}/${state.slot}`
  const saved = await tf.loadLayersModel(lakeIOHandler(lake, `${dir}/model`))
  trained.model.setWeights(saved.getWeights())
  saved.dispose()
  const specs = JSON.parse(decoder.decode((await lake.get(`${dir}/optimizer.json`))!)) as { name: string; shape: number[] }[]
  const bytes = (await lake.get(`${dir}/optimizer.bin`))!
  const data = new Float32Array(bytes.slice().buffer)
  let offset = 0
  const weights = specs.map((spec) => {
    const size = spec.shape.reduce((a, b) => a * b, 1)
    const tensor = tf.tensor(data.subarray(offset, offset + size), spec.shape)
    offset += size
    return { name: spec.name, tensor }
  })
  await trained.optimizer.setWeights(weights)
  if (state.accBeta) restoreBiasCorrection(trained.optimizer as unknown as AdamInternals, state.accBeta)
  return state
}

/**
 * setWeights() recomputes beta^t as a power, where training multiplied it step by step in float32;
 * the last bits differ and the resumed run drifts from an uninterrupted one. Putting back the saved
 * products makes the resumption exact.
 */
function restoreBiasCorrection(adam: AdamInternals, [beta1, beta2]: [number, number]): void {
  adam.accBeta1.assign(tf.scalar(beta1))
  adam.accBeta2.assign(tf.scalar(beta2))
}
