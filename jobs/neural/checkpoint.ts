/**
 * Checkpoints of the global model in the lake (`checkpoints/<run id>/`), through a TensorFlow.js
 * IOHandler that reads and writes the lake (local or S3): weights in tfjs's own format, the Adam
 * optimizer's state, and the position (epoch, batch). `state.json` is written last: a checkpoint
 * without it is incomplete and ignored, so a kill during a save loses nothing but that save.
 */
import * as tf from '@tensorflow/tfjs'
import type { ObjectStore } from '../io/object-store.js'
import type { TrainedModel } from './global-mlp.js'

export interface CheckpointState {
  epoch: number
  batch: number
  savedAt: string
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

export async function saveCheckpoint(lake: ObjectStore, runId: string, trained: TrainedModel, state: Omit<CheckpointState, 'savedAt'>, nowIso: string): Promise<void> {
  const prefix = `checkpoints/${runId}`
  await trained.model.save(lakeIOHandler(lake, `${prefix}/model`))
  const optimizerWeights = await trained.optimizer.getWeights()
  const specs = optimizerWeights.map((w) => ({ name: w.name, shape: w.tensor.shape }))
  const data = Float32Array.from(optimizerWeights.flatMap((w) => Array.from(w.tensor.dataSync() as Float32Array)))
  await lake.put(`${prefix}/optimizer.bin`, new Uint8Array(data.buffer))
  await lake.put(`${prefix}/optimizer.json`, JSON.stringify(specs))
  await lake.put(`${prefix}/state.json`, JSON.stringify({ ...state, savedAt: nowIso }))
}

/** Restores weights and optimizer state into `trained`; returns where to resume, or undefined without a checkpoint. */
export async function restoreCheckpoint(lake: ObjectStore, runId: string, trained: TrainedModel): Promise<CheckpointState | undefined> {
  const prefix = `checkpoints/${runId}`
  const stateBytes = await lake.get(`${prefix}/state.json`)
  if (!stateBytes) return undefined
  const state = JSON.parse(decoder.decode(stateBytes)) as CheckpointState
  const saved = await tf.loadLayersModel(lakeIOHandler(lake, `${prefix}/model`))
  trained.model.setWeights(saved.getWeights())
  saved.dispose()
  const specs = JSON.parse(decoder.decode((await lake.get(`${prefix}/optimizer.json`))!)) as { name: string; shape: number[] }[]
  const bytes = (await lake.get(`${prefix}/optimizer.bin`))!
  const data = new Float32Array(bytes.slice().buffer)
  let offset = 0
  const weights = specs.map((spec) => {
    const size = spec.shape.reduce((a, b) => a * b, 1)
    const tensor = tf.tensor(data.subarray(offset, offset + size), spec.shape)
    offset += size
    return { name: spec.name, tensor }
  })
  await trained.optimizer.setWeights(weights)
  return state
}
