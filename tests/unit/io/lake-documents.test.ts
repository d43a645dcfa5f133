/**
 * The one parser of documents read back (io/lake-document.ts, io/dynamo-item.ts): messages name the
 * source and the field path as it reads in the document; the artifact schema and core's
 * ModelArtifact type agree; the keys of neural checkpoints are the layout's.
 */
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { z } from 'zod'
import type { ModelArtifact } from '../../../jobs/core/artifact.js'
import { DataError } from '../../../jobs/core/errors.js'
import { checkpointSlotKeys, checkpointStateKey, networkKeys, neuralCheckpointPrefix } from '../../../jobs/core/lake-layout.js'
import { parseDynamoItem } from '../../../jobs/io/dynamo-item.js'
import { numberOrNaN, parseLakeDocument } from '../../../jobs/io/lake-document.js'
import { modelArtifactSchema } from '../../../jobs/io/model-artifacts.js'

// Compile-time: what the schema reads back is a ModelArtifact, and every ModelArtifact passes its type.
type ReadArtifact = z.output<typeof modelArtifactSchema>
export const artifactTypesAgree: [(a: ReadArtifact) => ModelArtifact, (a: ModelArtifact) => ReadArtifact] = [(a) => a, (a) => a]

const bytes = (text: string) => new TextEncoder().encode(text)
const schema = z.object({ rows: z.number().int(), window: z.object({ end: z.iso.datetime() }), scores: z.array(numberOrNaN) })

function dataError(call: () => unknown): string {
  try {
    call()
  } catch (error) {
    assert.ok(error instanceof DataError, String(error))
    assert.equal(error.exitCode, 65)
    assert.ok(!error.message.includes('\n'), 'one line')
    return error.message
  }
  assert.fail('no DataError')
}

test('a malformed document names its key, then each bad field by its path', () => {
  assert.equal(dataError(() => parseLakeDocument(schema, bytes('{"rows": 1,'), 'a/b.json')).replace(/\(.*\)$/, '()'), 'a/b.json: not valid JSON ()')
  assert.equal(
    dataError(() => parseLakeDocument(schema, bytes('{"rows": 1.5, "window": {"end": "soon"}, "scores": [1, "x"]}'), 'a/b.json')),
    'a/b.json: rows: Invalid input: expected int, received number; window.end: Invalid ISO datetime; scores[1]: Invalid input: expected number or null, received string',
  )
  assert.equal(dataError(() => parseLakeDocument(schema, bytes('[]'), 'a/b.json')), 'a/b.json: Invalid input: expected object, received array')
  const many = z.object({ a: z.string(), b: z.string(), c: z.string(), d: z.string(), e: z.string() })
  assert.match(dataError(() => parseLakeDocument(many, bytes('{}'), 'k')), /^k: a: .*; b: .*; c: [^;]*; and 2 more$/)
})

test('null scores read back as NaN, the way JSON.stringify wrote them', () => {
  const parsed = parseLakeDocument(schema, bytes(JSON.stringify({ rows: 2, window: { end: '2024-01-29T00:00:00Z' }, scores: [Number.NaN, 0.5] })), 'k')
  assert.ok(Number.isNaN(parsed.scores[0]))
  assert.equal(parsed.scores[1], 0.5)
})

test('a malformed DynamoDB item names its table, its key and the attribute', () => {
  const item = z.object({ owner: z.string(), expires_at: z.number(), previous: z.array(z.string()) })
  const good = parseDynamoItem(item, { owner: { S: 'run-a' }, expires_at: { N: '12' }, previous: { L: [{ S: 'v1' }] } }, 'gras-models', { metric_id: 'G', version: '~lock:train' })
  assert.deepEqual(good, { owner: 'run-a', expires_at: 12, previous: ['v1'] })
  assert.equal(
    dataError(() => parseDynamoItem(item, { owner: { N: '1' }, previous: { L: [{ N: '2' }] } }, 'gras-models', { metric_id: 'G', version: '~lock:train' })),
    'dynamodb: gras-models item metric_id=G version=~lock:train: owner: Invalid input: expected string, received number; expires_at: Invalid input: expected number, received undefined; previous[0]: Invalid input: expected string, received number',
  )
})

test("a checkpoint's and a saved network's keys", () => {
  const prefix = neuralCheckpointPrefix('run-1', 'final', 2)
  assert.equal(checkpointStateKey(prefix), 'checkpoints/run-1/final/m2/state.json')
  assert.deepEqual(checkpointSlotKeys(prefix, 'b'), {
    network: 'checkpoints/run-1/final/m2/b/model',
    optimizerSpecs: 'checkpoints/run-1/final/m2/b/optimizer.json',
    optimizerData: 'checkpoints/run-1/final/m2/b/optimizer.bin',
  })
  assert.deepEqual(networkKeys('models/neural/v1/final/m0'), { topology: 'models/neural/v1/final/m0/model.json', weights: 'models/neural/v1/final/m0/weights.bin' })
})
