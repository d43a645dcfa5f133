import { test } from 'node:test'
import assert from 'node:assert/strict'
import { groupSeries } from '../../../jobs/core/series-groups.js'

test('a metric of at most seriesPerGroup series is one group named by the metric; a dimensionless metric is a group of itself', () => {
  const groups = groupSeries(['O~k=b', 'G', 'O~k=a', 'O~k=a'], 500)
  assert.deepEqual(groups, [
    { id: 'G', metricId: 'G', index: 1, count: 1, series: ['G'] },
    { id: 'O', metricId: 'O', index: 1, count: 1, series: ['O~k=a', 'O~k=b'] },
  ])
})

test('more series than seriesPerGroup: consecutive slices of the sorted ids, as even as the count allows, named <metric>#<k>of<C>', () => {
  const ids = Array.from({ length: 11 }, (_, i) => `M~k=${String(i).padStart(2, '0')}`).reverse()
  const groups = groupSeries(ids, 5)
  assert.deepEqual(groups.map((g) => [g.id, g.series.length]), [['M#1of3', 3], ['M#2of3', 4], ['M#3of3', 4]])
  assert.deepEqual(groups.flatMap((g) => g.series), [...ids].sort(), 'every series once, in order')
  assert.deepEqual(groupSeries(ids, 5), groups, 'the same scope gives the same groups')
  assert.throws(() => groupSeries(ids, 0), /groups: seriesPerGroup 0 \(expected an integer of at least 1\)/)
})
