import { test } from 'node:test'
import assert from 'node:assert/strict'
import { balanceShards, findSlicesProblem, metricsOfShard, shardPlanSchemaVersion, type ShardPlan } from '../../../jobs/core/shard-plan.js'

const split = { maxSeriesPerShard: 50_000, seriesPerGroup: 500 }

test('a metric of more than maxSeriesPerShard series becomes ceil(n / max) slices, bytes prorated, balanced with whole metrics by LPT', () => {
  const sizes = [
    { metricId: 'O', bytes: 1_000_000, series: 120_000 },
    { metricId: 'G', bytes: 300_000 },
    { metricId: 'P', bytes: 10_000, series: 50_000 },
  ]
  const shards = balanceShards(sizes, 3, split)
  const slices = shards.flatMap((s) => s.slices ?? [])
  assert.deepEqual(slices.map((c) => [c.metricId, c.slice, c.count]).sort(), [['O', 0, 3], ['O', 1, 3], ['O', 2, 3]])
  assert.equal(slices.reduce((a, c) => a + c.series, 0), 120_000)
  assert.equal(slices.reduce((a, c) => a + c.bytes, 0), 1_000_000, 'the slices carry the metric\'s bytes, exactly')
  // 240 groups of 500 over 3 slices: 80 groups, 40,000 series, a third of the bytes each.
  assert.deepEqual(slices.map((c) => c.series), [40_000, 40_000, 40_000])
  assert.ok(slices.every((c) => Math.abs(c.bytes - 1_000_000 / 3) <= 1))
  assert.deepEqual(shards.flatMap((s) => s.metrics).sort(), ['G', 'P'], 'at the limit, a metric stays whole')
  assert.deepEqual(shards.map((s) => s.slices?.length ?? 0), [1, 1, 1], 'each slice in its own shard: LPT puts the three heaviest units apart')
  assert.equal(findSlicesProblem(shards), undefined)
  // Whole-metric plans are as before: no slices key at all.
  assert.ok(balanceShards(sizes, 3).every((s) => s.slices === undefined))
})

test('the split depends only on the sizes; never more shards than units', () => {
  const sizes = [{ metricId: 'O', bytes: 90, series: 150_001 }, { metricId: 'A', bytes: 30 }]
  assert.deepEqual(balanceShards(sizes, 8, split), balanceShards([...sizes].reverse(), 8, split))
  assert.equal(balanceShards(sizes, 8, split).length, 5, '4 slices of O and A')
})

const planOf = (shards: ShardPlan['shards']): ShardPlan => ({ schemaVersion: shardPlanSchemaVersion, planId: 'p', createdAt: '', asOf: '', shards })
const slice = (metricId: string, j: number, count: number) => ({ metricId, slice: j, count, series: 1, bytes: 1 })

test('train, infer and monitor run a cut metric in every shard holding a slice, with its slices; features only in the shard of slice 0', () => {
  const plan = planOf([
    { index: 0, metrics: ['G'], slices: [slice('O', 1, 3)], bytes: 2 },
    { index: 1, metrics: [], slices: [slice('O', 0, 3), slice('O', 2, 3)], bytes: 2 },
    { index: 2, metrics: ['A'], bytes: 1 },
  ])
  const silver = ['A', 'G', 'O~k=a', 'O~k=b', 'O~k=c']
  const bySeries = [0, 1, 2].map((index) => metricsOfShard(plan, { index, count: 3 }, silver))
  assert.deepEqual(bySeries.map((p) => p.metrics), [['G', 'O~k=a', 'O~k=b', 'O~k=c'], ['O~k=a', 'O~k=b', 'O~k=c'], ['A']])
  assert.deepEqual(bySeries.map((p) => Object.fromEntries(p.slices)), [{ O: { count: 3, owned: [1] } }, { O: { count: 3, owned: [0, 2] } }, {}])
  assert.deepEqual(bySeries.flatMap((p) => p.unplanned), [])
  const bronze = ['A', 'G', 'O']
  const byMetric = [0, 1, 2].map((index) => metricsOfShard(plan, { index, count: 3 }, bronze, 'metric'))
  assert.deepEqual(byMetric.map((p) => p.metrics), [['G'], ['O'], ['A']], 'the features of O once, in the shard of its slice 0')
  assert.ok(byMetric.every((p) => p.slices.size === 0))
  // A cut metric the lake lacks is reported by each shard that was to run some of it.
  const lacking = [0, 1, 2].map((index) => metricsOfShard(plan, { index, count: 3 }, ['A', 'G']).absent)
  assert.deepEqual(lacking, [['O'], ['O'], []])
  assert.deepEqual([0, 1, 2].map((index) => metricsOfShard(plan, { index, count: 3 }, ['A', 'G'], 'metric').absent), [[], ['O'], []])
})

test('a plan whose slices are not a split of their metric is named', () => {
  assert.match(findSlicesProblem([{ index: 0, metrics: [], slices: [slice('O', 0, 2)], bytes: 1 }]) ?? '', /metric O: 1 of its 2 slices planned/)
  assert.match(findSlicesProblem([{ index: 0, metrics: [], slices: [slice('O', 0, 2), slice('O', 0, 2)], bytes: 1 }]) ?? '', /slice 0 of 2 twice/)
  assert.match(findSlicesProblem([{ index: 0, metrics: ['O'], slices: [slice('O', 0, 2), slice('O', 1, 2)], bytes: 1 }]) ?? '', /both whole and cut/)
  assert.match(findSlicesProblem([{ index: 0, metrics: [], slices: [slice('O', 0, 2), slice('O', 1, 3)], bytes: 1 }]) ?? '', /slices of 2 and of 3/)
  assert.match(findSlicesProblem([{ index: 0, metrics: [], slices: [slice('O', 0, 2), slice('O', 2, 2)], bytes: 1 }]) ?? '', /slice 2 of 2 out of range/)
})
