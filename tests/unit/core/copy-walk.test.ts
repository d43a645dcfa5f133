/**
 * walkRunCopies against reading every copy: over random series sets, groupings that moved between
 * the run and the monitor, copies missing (failed groups) and runs that lack some series, the
 * copies it reads hold exactly the group's series that all copies hold; and it reads one copy when
 * the grouping did not move.
 */
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { walkRunCopies } from '../../../jobs/core/copy-walk.js'
import { groupSeries } from '../../../jobs/core/series-groups.js'
import { seededRandom } from '../../../jobs/core/random.js'

const ids = (n: number, offset = 0) => Array.from({ length: n }, (_, i) => `M~k=${String(i + offset).padStart(5, '0')}`)

/** The run's copies: slice k's series by k, as infer writes them (groups of the run's series). */
function runCopies(runSeries: readonly string[], perGroup: number): { count: number; copies: Map<number, string[]> } {
  const groups = groupSeries(runSeries, perGroup)
  return { count: groups[0].count, copies: new Map(groups.map((g) => [g.index, g.series])) }
}

async function walk(copies: Map<number, string[]>, count: number, wanted: string[], group: { index: number; count: number }) {
  const read: number[] = []
  const readIndices = await walkRunCopies([...copies.keys()], count, wanted, group, async (k) => {
    read.push(k)
    return copies.get(k)!
  })
  assert.deepEqual(readIndices, [...read].sort((a, b) => a - b), 'returns what it read')
  assert.equal(new Set(read).size, read.length, 'reads a copy once')
  const found = new Set(read.flatMap((k) => copies.get(k)!))
  return { found: wanted.filter((id) => found.has(id)), reads: read.length }
}

test('the same grouping as the run: one copy read per group, holding the group', async () => {
  const series = ids(1000)
  const { count, copies } = runCopies(series, 100)
  for (const group of groupSeries(series, 100)) {
    const { found, reads } = await walk(copies, count, group.series, group)
    assert.deepEqual(found, group.series)
    assert.equal(reads, 1, group.id)
  }
})

test('over random runs and regroupings, the copies read hold exactly what reading all of them finds', async () => {
  const random = seededRandom(20261201)
  let reads = 0
  let groups = 0
  let present = 0
  for (let trial = 0; trial < 300; trial++) {
    const universe = ids(20 + Math.floor(random() * 400))
    const runSeries = universe.filter(() => random() < 0.9)
    if (runSeries.length === 0) continue
    const { count, copies } = runCopies(runSeries, 1 + Math.floor(random() * 60))
    for (const k of [...copies.keys()]) if (copies.size > 1 && random() < 0.1) copies.delete(k)
    const all = new Set([...copies.values()].flat())
    const nowSeries = universe.filter(() => random() < 0.9)
    if (nowSeries.length === 0) continue
    for (const group of groupSeries(nowSeries, 1 + Math.floor(random() * 60))) {
      const { found, reads: n } = await walk(copies, count, group.series, group)
      assert.deepEqual(found, group.series.filter((id) => all.has(id)), `trial ${trial}, ${group.id}`)
      reads += n
      present += copies.size
      groups++
    }
  }
  const mean = reads / groups
  console.log(`copies read per group and run: ${mean.toFixed(2)} of ${(present / groups).toFixed(1)} over ${groups} groups`)
  assert.ok(mean < 4, `about one copy per group and run, not all of them: ${mean.toFixed(2)}`)
})

test('copies that overlap (two attempts of one run over different series) are all read', async () => {
  const copies = new Map([
    [1, ['a', 'b', 'c', 'd']],
    [2, ['c', 'd', 'e', 'f', 'g']],
    [3, ['b2', 'h']],
  ])
  const { found, reads } = await walk(copies, 3, ['b2', 'e'], { index: 2, count: 3 })
  assert.deepEqual(found, ['b2', 'e'])
  assert.equal(reads, 3)
})

test('nothing to read: no copies, or no series wanted', async () => {
  assert.deepEqual(await walkRunCopies([], 3, ['a'], { index: 1, count: 1 }, async () => assert.fail('no read')), [])
  assert.deepEqual(await walkRunCopies([1, 2], 2, [], { index: 1, count: 1 }, async () => assert.fail('no read')), [])
})
