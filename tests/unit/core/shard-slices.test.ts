import { test } from 'node:test'
import assert from 'node:assert/strict'
import { groupsOfSlices, seriesPerSlice, sliceCountFor, sliceOfGroup } from '../../../jobs/core/shard-slices.js'
import { groupSeries } from '../../../jobs/core/series-groups.js'
import { seededRandom } from '../../../jobs/core/random.js'

const seriesOf = (metricId: string, n: number) => Array.from({ length: n }, (_, i) => `${metricId}~k=${String(i).padStart(7, '0')}`)

test('slice j of S owns the groups k with floor((k-1)*S/C) == j: a hand-worked case', () => {
  // C = 7 groups over S = 3 slices: k-1 = 0..6, floor((k-1)*3/7) = 0 0 0 1 1 2 2.
  assert.deepEqual([1, 2, 3, 4, 5, 6, 7].map((k) => sliceOfGroup(k, 7, 3)), [0, 0, 0, 1, 1, 2, 2])
  // Fewer groups than slices: floor(0*3/2), floor(1*3/2) = 0, 1; slice 2 owns none.
  assert.deepEqual([1, 2].map((k) => sliceOfGroup(k, 2, 3)), [0, 1])
  assert.equal(sliceCountFor(100_001, 50_000), 3)
  assert.equal(sliceCountFor(50_000, 50_000), 1)
  assert.equal(sliceCountFor(0, 50_000), 1)
  assert.throws(() => sliceCountFor(10, 0), /maxSeriesPerShard 0/)
})

test('property: over many (n, S, seriesPerGroup), the slices\' groups are all the groups, each in exactly one slice, and the same ids every shard computes', () => {
  const random = seededRandom(17)
  for (let trial = 0; trial < 400; trial++) {
    const n = 1 + Math.floor(random() ** 2 * 3000)
    const sliceCount = 1 + Math.floor(random() * 9)
    const seriesPerGroup = 1 + Math.floor(random() * 120)
    const ids = seriesOf('M', n)
    const groups = groupSeries(ids, seriesPerGroup)
    const perSlice = Array.from({ length: sliceCount }, (_, j) => groupsOfSlices(groups, new Map([['M', { count: sliceCount, owned: [j] }]])))
    const owned = perSlice.flatMap((p) => p.groups.map((g) => g.id))
    const where = `n=${n} S=${sliceCount} seriesPerGroup=${seriesPerGroup}`
    assert.equal(new Set(owned).size, owned.length, `disjoint: ${where}`)
    assert.deepEqual([...owned].sort(), groups.map((g) => g.id).sort(), `total: ${where}`)
    assert.deepEqual(perSlice.flatMap((p) => p.groups.flatMap((g) => g.series)).sort(), ids, `every series once: ${where}`)
    // A slice without groups is idle, never an error; with C >= S every slice has one.
    perSlice.forEach((p, j) => assert.equal(p.idle.length > 0, p.groups.length === 0, `${where} slice ${j}`))
    if (groups.length >= sliceCount) assert.ok(perSlice.every((p) => p.groups.length > 0), `no idle slice when C >= S: ${where}`)
    // Even: a slice owns floor(C/S) or ceil(C/S) groups.
    for (const p of perSlice) assert.ok(Math.abs(p.groups.length - groups.length / sliceCount) < 1, `even: ${where}`)
    // What the plan weighs a slice by is what it will own when the count is as planned.
    assert.deepEqual(seriesPerSlice(n, sliceCount, seriesPerGroup), perSlice.map((p) => p.groups.reduce((a, g) => a + g.series.length, 0)), `weights: ${where}`)
  }
})

test('a series added after the plan changes the groups, and still lands in exactly one slice', () => {
  const planned = seriesOf('M', 1000)
  const later = [...planned, 'M~k=0000500a', 'M~k=zz']
  for (const ids of [planned, later]) {
    const groups = groupSeries(ids, 90)
    const picks = [0, 1, 2].map((j) => groupsOfSlices(groups, new Map([['M', { count: 3, owned: [j] }]])).groups.flatMap((g) => g.series))
    assert.deepEqual(picks.flat().sort(), [...ids].sort())
  }
})

test('a metric without slices keeps every group; a shard owning two slices runs both', () => {
  const groups = groupSeries([...seriesOf('M', 10), ...seriesOf('W', 4), 'G'], 2)
  const { groups: kept, idle } = groupsOfSlices(groups, new Map([['M', { count: 5, owned: [1, 3] }]]))
  assert.deepEqual(kept.filter((g) => g.metricId !== 'M').map((g) => g.id), ['G', 'W#1of2', 'W#2of2'])
  assert.deepEqual(kept.filter((g) => g.metricId === 'M').map((g) => g.id), ['M#2of5', 'M#4of5'])
  assert.deepEqual(idle, [])
  const few = groupSeries(seriesOf('M', 3), 2)
  assert.deepEqual(groupsOfSlices(few, new Map([['M', { count: 3, owned: [2] }]])).idle, [{ metricId: 'M', slices: { count: 3, owned: [2] }, groups: 2 }])
})
