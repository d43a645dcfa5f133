import { test } from 'node:test'
import assert from 'node:assert/strict'
import { LocalObjectStore } from '../../../jobs/io/local-store.js'
import { readShardPlan } from '../../../jobs/io/shard-plans.js'
import { DataError } from '../../../jobs/core/errors.js'
import { tempDir } from '../../helpers/paths.js'

const v1 = { schemaVersion: 1, planId: 'old', createdAt: '2026-01-01T00:00:00.000Z', asOf: '2026-01-01T00:00:00.000Z', shards: [{ index: 0, metrics: ['G'], bytes: 10 }, { index: 1, metrics: ['O'], bytes: 5 }] }

test('a plan of version 1 (written before slices) reads as version 2 without slices', async () => {
  const lake = new LocalObjectStore(tempDir('plan-v1'))
  await lake.put('plans/old/plan.json', JSON.stringify(v1))
  const plan = await readShardPlan(lake, 'old')
  assert.equal(plan.schemaVersion, 2)
  assert.deepEqual(plan.shards, v1.shards)
})

test('a plan whose slices do not split their metric is a DataError naming the key and the metric', async () => {
  const lake = new LocalObjectStore(tempDir('plan-bad-slices'))
  const bad = { ...v1, schemaVersion: 2, planId: 'bad', shards: [{ index: 0, metrics: ['G'], slices: [{ metricId: 'O', slice: 0, count: 3, series: 10, bytes: 1 }], bytes: 10 }, { index: 1, metrics: [], slices: [{ metricId: 'O', slice: 2, count: 3, series: 10, bytes: 1 }], bytes: 1 }] }
  await lake.put('plans/bad/plan.json', JSON.stringify(bad))
  await assert.rejects(readShardPlan(lake, 'bad'), (e: unknown) => e instanceof DataError && /^plan: plans\/bad\/plan\.json: shards: metric O: 2 of its 3 slices planned/.test((e as Error).message))
  await lake.put('plans/bad/plan.json', JSON.stringify({ ...bad, schemaVersion: 3 }))
  await assert.rejects(readShardPlan(lake, 'bad'), (e: unknown) => e instanceof DataError && /schemaVersion/.test((e as Error).message))
})
