import { test } from 'node:test'
import assert from 'node:assert/strict'
import { decidePromotion } from '../../../jobs/train/promotion.js'
import { modelCutoffMs } from '../../../jobs/io/model-artifacts.js'

const t = Date.UTC(2024, 0, 29)
const weekEarlier = t - 7 * 86_400_000

test('a model trained on older data is never promoted over the approved one, whatever its score', () => {
  for (const approvedMase of [1, Number.NaN]) {
    const decision = decidePromotion(0.1, approvedMase, 0.02, { candidateMs: weekEarlier, approvedMs: t })
    assert.equal(decision.promote, false, `approved MASE ${approvedMase}`)
    assert.equal(decision.reason, "trained on data to 2024-01-22T00:00:00Z, older than the approved model's 2024-01-29T00:00:00Z")
  }
})

test('same or newer data: the backtest rule decides, as does an approved model of unknown cutoff', () => {
  assert.equal(decidePromotion(0.97, 1, 0.02, { candidateMs: t, approvedMs: t }).promote, true)
  assert.equal(decidePromotion(0.99, 1, 0.02, { candidateMs: t, approvedMs: weekEarlier }).promote, false)
  assert.equal(decidePromotion(0.99, Number.NaN, 0.02, { candidateMs: t, approvedMs: weekEarlier }).promote, true)
  assert.equal(decidePromotion(0.97, 1, 0.02, { candidateMs: weekEarlier }).promote, true)
  assert.equal(decidePromotion(1, undefined, 0.02, { candidateMs: weekEarlier }).promote, true, 'nothing approved')
})

test('the cutoff of a model: recorded, else trainedThrough, else the time its version id starts with', () => {
  assert.equal(modelCutoffMs('vX', { dataCutoff: '2024-01-29T00:00:00Z', trainedThrough: '2024-01-28T23:00:00Z' }), t)
  assert.equal(modelCutoffMs('vX', { trainedThrough: '2024-01-29T00:00:00Z' }), t)
  assert.equal(modelCutoffMs('v20240129T000000Z-run-1'), t)
  assert.equal(modelCutoffMs('v20240129T000000Z-run-1', {}), t)
  assert.ok(Number.isNaN(modelCutoffMs('hand-made')))
})
