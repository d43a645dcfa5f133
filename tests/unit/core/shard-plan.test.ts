import { test } from 'node:test'
import assert from 'node:assert/strict'
import { balanceShards, emptyShardPlan, metricsOfShard, parseShardSelection, shardCountFor, shardPlanSchemaVersion, type ShardPlan } from '../../../jobs/core/shard-plan.js'
import { UsageError } from '../../../jobs/core/errors.js'
import { seededRandom } from '../../../jobs/core/random.js'

test('LPT balance: every metric in exactly one shard, the largest shard within one metric of the mean', () => {
  const random = seededRandom(11)
  const sizes = Array.from({ length: 200 }, (_, i) => ({ metricId: `m${i}`, bytes: Math.round(1 + random() ** 3 * 1e6) }))
  const shards = balanceShards(sizes, 7)
  assert.equal(shards.length, 7)
  assert.deepEqual(shards.map((s) => s.index), [0, 1, 2, 3, 4, 5, 6])
  const all = shards.flatMap((s) => s.metrics).sort()
  assert.deepEqual(all, sizes.map((s) => s.metricId).sort())
  const total = sizes.reduce((a, s) => a + s.bytes, 0)
  const largestMetric = Math.max(...sizes.map((s) => s.bytes))
  for (const shard of shards) {
    assert.equal(shard.bytes, shard.metrics.reduce((a, id) => a + sizes.find((s) => s.metricId === id)!.bytes, 0))
    assert.ok(shard.bytes <= total / 7 + largestMetric, `shard ${shard.index}: ${shard.bytes}`)
    assert.deepEqual(shard.metrics, [...shard.metrics].sort())
  }
})

test('LPT on a hand-worked case: sizes 7, 5, 4, 3, 1 into two shards give 10 and 10', () => {
  const sizes = [['a', 7], ['b', 5], ['c', 4], ['d', 3], ['e', 1]].map(([metricId, bytes]) => ({ metricId: metricId as string, bytes: bytes as number }))
  // a(7)->0; b(5)->1; c(4)->1 (9); d(3)->0 (10); e(1)->1 (10).
  assert.deepEqual(balanceShards(sizes, 2), [
    { index: 0, metrics: ['a', 'd'], bytes: 10 },
    { index: 1, metrics: ['b', 'c', 'e'], bytes: 10 },
  ])
})

test('the split depends only on the sizes, never on their order; no more shards than metrics', () => {
  const sizes = [{ metricId: 'G', bytes: 5 }, { metricId: 'R', bytes: 5 }, { metricId: 'A', bytes: 9 }]
  assert.deepEqual(balanceShards(sizes, 2), balanceShards([...sizes].reverse(), 2))
  assert.equal(balanceShards(sizes, 10).length, 3)
  assert.throws(() => balanceShards(sizes, 0), RangeError)
})

test('shard count from the target size, within [1, max]', () => {
  assert.equal(shardCountFor(0, 100, 8), 1)
  assert.equal(shardCountFor(250, 100, 8), 3)
  assert.equal(shardCountFor(10_000, 100, 8), 8)
})

test('--shard parses i/K and refuses anything else naming the flag', () => {
  assert.deepEqual(parseShardSelection('2/8'), { index: 2, count: 8 })
  for (const bad of ['8/8', '1/0', '-1/4', 'a/4', '1', '1/4/2', '']) {
    assert.throws(() => parseShardSelection(bad), (e: unknown) => e instanceof UsageError && /--shard/.test((e as Error).message), bad)
  }
})

test('a metric the plan has not seen lands in exactly one shard, the same one every time', () => {
  const plan: ShardPlan = {
    schemaVersion: shardPlanSchemaVersion,
    planId: 'p',
    createdAt: '2026-01-01T00:00:00.000Z',
    asOf: '2026-01-01T00:00:00.000Z',
    shards: [
      { index: 0, metrics: ['A'], bytes: 1 },
      { index: 1, metrics: ['G', 'R'], bytes: 1 },
      { index: 2, metrics: ['S'], bytes: 1 },
    ],
  }
  const present = ['A', 'G', 'R', 'S', 'NEW1', 'NEW2', 'NEW3', 'NEW4']
  const picks = [0, 1, 2].map((index) => metricsOfShard(plan, { index, count: 3 }, present))
  assert.deepEqual(picks.flatMap((p) => p.metrics).sort(), [...present].sort())
  assert.deepEqual(picks.flatMap((p) => p.unplanned).sort(), ['NEW1', 'NEW2', 'NEW3', 'NEW4'])
  assert.deepEqual(picks[1].metrics.filter((id) => !id.startsWith('NEW')), ['G', 'R'])
  assert.deepEqual(metricsOfShard(plan, { index: 1, count: 3 }, present), picks[1])
  // Planned metrics that are absent from the job's root are not invented.
  assert.deepEqual(metricsOfShard(plan, { index: 1, count: 3 }, ['G']).metrics, ['G'])
  assert.deepEqual(metricsOfShard(plan, { index: 1, count: 3 }, ['G']).absent, ['R'], 'a planned metric the root lacks is reported')
  assert.throws(() => metricsOfShard(plan, { index: 0, count: 4 }, present), /plan p has 3 shards/)
})

test('a plan made for some metrics never hands a shard one outside them; an empty plan places all by id', () => {
  const plan: ShardPlan = { ...emptyShardPlan(2, '2026-01-01T00:00:00.000Z'), requested: ['G', 'R'] }
  plan.shards[0].metrics = ['G']
  plan.shards[1].metrics = ['R']
  const present = ['A', 'G', 'R', 'S']
  assert.deepEqual(metricsOfShard(plan, { index: 0, count: 2 }, present).metrics, ['G'])
  assert.deepEqual(metricsOfShard(plan, { index: 1, count: 2 }, present).metrics, ['R'])
  const empty = emptyShardPlan(2, '2026-01-01T00:00:00.000Z')
  const split = [0, 1].map((index) => metricsOfShard(empty, { index, count: 2 }, present).metrics)
  assert.deepEqual(split.flat().sort(), present)
})

test('a series goes to the shard of its metric, planned or placed by the metric id, so all series of a metric run in one shard', () => {
  const plan: ShardPlan = { schemaVersion: shardPlanSchemaVersion, planId: 'p', createdAt: '', asOf: '', shards: [{ index: 0, metrics: ['G'], bytes: 1 }, { index: 1, metrics: ['O'], bytes: 1 }] }
  const present = ['G', 'O~channel=app~region=eu', 'O~channel=web~region=eu', 'N~k=a', 'N~k=b']
  const picks = [0, 1].map((index) => metricsOfShard(plan, { index, count: 2 }, present))
  assert.deepEqual(picks[1].metrics.filter((id) => id.startsWith('O')), ['O~channel=app~region=eu', 'O~channel=web~region=eu'])
  assert.deepEqual(picks.map((p) => p.absent), [[], []], 'O is present through its series')
  const nShards = picks.map((p) => p.metrics.filter((id) => id.startsWith('N~')).length)
  assert.deepEqual(nShards.sort(), [0, 2], 'the unplanned N: both series in the shard its metric id hashes to')
  assert.deepEqual(picks.flatMap((p) => p.unplanned).sort(), ['N~k=a', 'N~k=b'])
  const scoped = { ...plan, requested: ['O~channel=web~region=eu'] }
  assert.deepEqual(metricsOfShard(scoped, { index: 1, count: 2 }, ['O']).metrics, ['O'], 'a requested series puts its metric (bronze) in scope')
})
