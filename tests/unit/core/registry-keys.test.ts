import { test } from 'node:test'
import assert from 'node:assert/strict'
import { approvedPointerKey, isModelVersionKey, leaseLockKey } from '../../../jobs/core/registry-keys.js'
import { versionId } from '../../../jobs/io/model-artifacts.js'

test('registry sort keys: the approved pointer and the lease locks are never taken for a model version', () => {
  assert.equal(approvedPointerKey, '~approved')
  assert.equal(leaseLockKey('infer'), '~lock:infer')
  assert.equal(isModelVersionKey(approvedPointerKey), false)
  assert.equal(isModelVersionKey(leaseLockKey('train')), false)
  assert.equal(isModelVersionKey(versionId('20240129T140000Z', 'gras-pipeline-x7k2p')), true)
})
