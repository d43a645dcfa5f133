/** Checks one epoch of trainGlobalMlp (one batch of all windows) against a step tfjs-layers made. */
import assert from 'node:assert/strict'
import type * as tf from '@tensorflow/tfjs'
import { buildGlobalMlp, flatWeights, trainGlobalMlp, type GlobalMlpOptions } from '../../../jobs/neural/global-mlp.js'
import type { WindowSet } from '../../../jobs/neural/windows.js'

/** Trains a fresh network of `options` on `windows` and asserts the same loss and, to 1e-6, the weights `reference` has after its step. */
export async function assertSameStep(reference: tf.Sequential, referenceLoss: number, windows: WindowSet, options: GlobalMlpOptions): Promise<Float32Array> {
  const trained = buildGlobalMlp(options)
  let loss = Number.NaN
  // One batch of all windows: the shuffle changes only the order they are summed in.
  await trainGlobalMlp(trained, windows, options, { onEpochEnd: (_e, l) => void (loss = l) })
  assert.ok(Math.abs(loss - referenceLoss) < 1e-6, `${loss} vs ${referenceLoss}`)
  const [a, b] = [flatWeights(reference), flatWeights(trained.model)]
  assert.ok(a.every((v, i) => Math.abs(v - b[i]) < 1e-6), 'same update')
  assert.ok(a.some((v, i) => v !== flatWeights(buildGlobalMlp(options).model)[i]), 'the step changed the weights')
  return b
}
