/**
 * Checkpoints of the global model in the lake (`checkpoints/<run id>/<phase>/`), through a TensorFlow.js
 * IOHandler that reads and writes the lake (local or S3): weights in tfjs's own format, the Adam
 * optimizer's state, and the position (epoch, batch), in one of two slots. `state.json` is written
 * last and names the slot: a kill during a save loses nothing but that save.
 */
import * as tf from '@tensorflow/tfjs'
import { z } from 'zod'
import { checkpointSlotKeys, checkpointStateKey, networkKeys } from '../core/lake-layout.js'
import { DataError, InputMissingError } from '../core/errors.js'
import { parseLakeDocument } from '../io/lake-document.js'
import type { ObjectStore } from '../io/object-store.js'
import type { TrainedModel } from './global-mlp.js'

const checkpointStateSchema = z.object({
  epoch: z.number().int().min(0),
  batch: z.number().int().min(0),
  /** Windows per batch when saved: `batch` counts batches of this size (absent in older checkpoints). */
  batchSize: z.number().int().positive().optional(),
  /** Which of the two slots holds this checkpoint. */
  slot: z.enum(['a', 'b']),
  /** Adam's running beta1^t and beta2^t, as float32 values (see restoreBiasCorrection). */
  accBeta: z.tuple([z.number(), z.number()]).optional(),
  savedAt: z.iso.datetime(),
})

export type CheckpointState = z.infer<typeof checkpointStateSchema>

const tensorShape = z.array(z.number().int().min(0))
const optimizerSpecsSchema = z.array(z.object({ name: z.string().min(1), shape: tensorShape }))

/** Bytes per value of the dtypes our networks save. */
const dtypeBytes = { float32: 4, int32: 4, bool: 1 } as const

/** What tfjs needs of a saved `model.json` to rebuild the network and cut `weights.bin` into its tensors. */
const networkTopologySchema = z.looseObject({
  modelTopology: z.record(z.string(), z.unknown()),
  weightSpecs: z.array(z.looseObject({ name: z.string().min(1), shape: tensorShape, dtype: z.enum(['float32', 'int32', 'bool']) })),
})

const elements = (shape: readonly number[]) => shape.reduce((a, b) => a * b, 1)

/** Adam's bias-correction state, which tfjs keeps outside getWeights(). */
interface AdamInternals {
  accBeta1: tf.Variable
  accBeta2: tf.Variable
}

/** A tfjs IOHandler over a network's `model.json` and `weights.bin` under `prefix` in the lake. */
export function lakeIOHandler(lake: ObjectStore, prefix: string): tf.io.IOHandler {
  const keys = networkKeys(prefix)
  return {
    async save(artifacts: tf.io.ModelArtifacts): Promise<tf.io.SaveResult> {
      const weights = artifacts.weightData instanceof ArrayBuffer ? artifacts.weightData : tf.io.concatenateArrayBuffers(artifacts.weightData as ArrayBuffer[])
      await lake.put(keys.weights, new Uint8Array(weights))
      const { weightData: _weightData, ...json } = artifacts
      await lake.put(keys.topology, JSON.stringify(json))
      return { modelArtifactsInfo: { dateSaved: new Date(0), modelTopologyType: 'JSON', weightDataBytes: weights.byteLength } }
    },
    async load(): Promise<tf.io.ModelArtifacts> {
      const json = await lake.get(keys.topology)
      const weights = await lake.get(keys.weights)
      if (!json || !weights) throw new InputMissingError(`neural: ${json ? keys.weights : keys.topology} is missing in ${lake.uri}`)
      const topology = parseLakeDocument(networkTopologySchema, json, keys.topology)
      const expectedBytes = topology.weightSpecs.reduce((sum, spec) => sum + elements(spec.shape) * dtypeBytes[spec.dtype], 0)
      if (weights.byteLength !== expectedBytes) throw new DataError(`neural: ${keys.weights} has ${weights.byteLength} bytes (expected ${expectedBytes} for the weights ${keys.topology} lists)`)
      return { ...topology, weightData: weights.slice().buffer }
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
  const keys = checkpointSlotKeys(prefix, slot)
  await trained.model.save(lakeIOHandler(lake, keys.network))
  const optimizerWeights = await trained.optimizer.getWeights()
  const specs = optimizerWeights.map((w) => ({ name: w.name, shape: w.tensor.shape }))
  // Typed array to typed array: a JS array of the 240,000 numbers in between costs a third of a
  // second per save, and a default run saves nine times per network.
  const arrays = optimizerWeights.map((w) => w.tensor.dataSync())
  const data = new Float32Array(arrays.reduce((n, a) => n + a.length, 0))
  let offset = 0
  for (const a of arrays) {
    data.set(a, offset)
    offset += a.length
  }
  await lake.put(keys.optimizerData, new Uint8Array(data.buffer))
  await lake.put(keys.optimizerSpecs, JSON.stringify(specs))
  const adam = trained.optimizer as unknown as AdamInternals
  const accBeta: [number, number] = [adam.accBeta1.dataSync()[0], adam.accBeta2.dataSync()[0]]
  const next: CheckpointState = { ...state, slot, accBeta, savedAt: nowIso }
  await lake.put(checkpointStateKey(prefix), JSON.stringify(next))
}

async function readState(lake: ObjectStore, prefix: string): Promise<CheckpointState | undefined> {
  const key = checkpointStateKey(prefix)
  const bytes = await lake.get(key)
  return bytes && parseLakeDocument(checkpointStateSchema, bytes, key)
}

/** A file of the slot state.json names; its absence means the checkpoint is not what state.json says. */
async function readSlotFile(lake: ObjectStore, prefix: string, key: string): Promise<Uint8Array> {
  const bytes = await lake.get(key)
  if (!bytes) throw new DataError(`neural: ${key} is missing, though ${checkpointStateKey(prefix)} names its slot`)
  return bytes
}

/** Restores weights and optimizer state into `trained`; returns where to resume, or undefined without a checkpoint. */
export async function restoreCheckpoint(lake: ObjectStore, prefix: string, trained: TrainedModel): Promise<CheckpointState | undefined> {
  const state = await readState(lake, prefix)
  if (!state) return undefined
  const keys = checkpointSlotKeys(prefix, state.slot)
  const specs = parseLakeDocument(optimizerSpecsSchema, await readSlotFile(lake, prefix, keys.optimizerSpecs), keys.optimizerSpecs)
  const bytes = await readSlotFile(lake, prefix, keys.optimizerData)
  const expectedBytes = specs.reduce((sum, spec) => sum + elements(spec.shape) * dtypeBytes.float32, 0)
  if (bytes.byteLength !== expectedBytes) throw new DataError(`neural: ${keys.optimizerData} has ${bytes.byteLength} bytes (expected ${expectedBytes} for the variables ${keys.optimizerSpecs} lists)`)
  const saved = await tf.loadLayersModel(lakeIOHandler(lake, keys.network))
  trained.model.setWeights(saved.getWeights())
  saved.dispose()
  const data = new Float32Array(bytes.slice().buffer)
  let offset = 0
  const weights = specs.map((spec) => {
    const size = elements(spec.shape)
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
