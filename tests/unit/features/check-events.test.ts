import { test } from 'node:test'
import assert from 'node:assert/strict'
import { findEventProblem, firstDuplicate } from '../../../jobs/features/check-events.js'
import { seededRandom } from '../../../jobs/core/random.js'
import { buildFeatures } from '../../../jobs/features/build-features.js'

const day = Date.UTC(2024, 0, 29)
const hour = 3_600_000
const batch = (ts: number[], values: number[]) => ({ tsMs: Float64Array.from(ts), values: Float64Array.from(values) })

test('a clean file has no problem', () => {
  assert.equal(findEventProblem(batch([day, day + hour], [1, 2]), day), undefined)
})

test('each contract violation is named with the field and the first offending row', () => {
  assert.match(findEventProblem(batch([], []), day)!, /no rows/)
  assert.match(findEventProblem(batch([day, NaN], [1, 2]), day)!, /^ts: 1 null or invalid timestamp\(s\) \(first at row 1\)/)
  assert.match(findEventProblem(batch([day, day + 25 * hour], [1, 2]), day)!, /^ts: 1 timestamp\(s\) outside the partition day 2024-01-29 \(first at row 1: 2024-01-30T01:00:00Z\)/)
  assert.match(findEventProblem(batch([day, day + 1], [1, Infinity]), day)!, /^value: 1 null, non-finite or out-of-range value\(s\) \(first at row 1: Infinity/)
  assert.match(findEventProblem(batch([day, day + 1], [1e308, 1]), day)!, /^value: 1 null, non-finite or out-of-range value\(s\) \(first at row 0: 1e\+308/)
  assert.match(findEventProblem(batch([day + 5, day + 5], [1, 2]), day)!, /^ts: duplicate timestamp 2024-01-29T00:00:00\.005000Z/)
})

test('timestamps are compared to the microsecond: 800 µs apart are two events, the same µs twice is a duplicate', () => {
  assert.equal(findEventProblem(batch([day + 5, day + 5.8], [1, 2]), day), undefined)
  assert.match(findEventProblem(batch([day + 5.8, day + 5.8], [1, 2]), day)!, /^ts: duplicate timestamp 2024-01-29T00:00:00\.005800Z/)
})

test('buildFeatures trims empty edges and fills inner gaps', () => {
  const events = batch([day + 2 * hour, day + 2 * hour + 60_000, day + 5 * hour], [1, 2, 9])
  const table = buildFeatures('G', events, day, day + 8 * hour, hour, { aggregation: 'sum', gapPolicy: 'interpolate', holidays: [] })!
  assert.equal(table.series.startMs, day + 2 * hour)
  assert.deepEqual(Array.from(table.series.values), [3, 5, 7, 9])
  assert.deepEqual(Array.from(table.observed), [1, 0, 0, 1])
  assert.equal(table.filledSteps, 2)
  assert.equal(buildFeatures('G', batch([], []), day, day + hour, hour, { aggregation: 'sum', gapPolicy: 'zero', holidays: [] }), undefined)
})

test('with dimensions a timestamp is once per series: the same ts in two series is fine, twice in one is named with its series', () => {
  const series = (index: number[]) => ({ names: ['region'], tuples: [['eu'], ['us']], index: Int32Array.from(index) })
  const ids = ['G~region=eu', 'G~region=us']
  assert.equal(findEventProblem({ ...batch([day, day, day + hour], [1, 2, 3]), series: series([0, 1, 0]) }, day, ids), undefined)
  assert.equal(findEventProblem({ ...batch([day, day + hour, day], [1, 2, 3]), series: series([1, 0, 1]) }, day, ids), 'ts: duplicate timestamp 2024-01-29T00:00:00.000000Z in series G~region=us')
})

test('firstDuplicate: the smallest timestamp that occurs twice, in time order or not', () => {
  const random = seededRandom(9)
  for (let trial = 0; trial < 300; trial++) {
    const ts = Float64Array.from({ length: Math.floor(random() * 40) }, () => Math.floor(random() * 60))
    if (random() < 0.5) ts.sort()
    const seen = new Set<number>()
    const twice = [...ts].filter((t) => (seen.has(t) ? true : (seen.add(t), false)))
    assert.equal(firstDuplicate(ts), twice.length === 0 ? undefined : Math.min(...twice), `trial ${trial}: ${ts.join(' ')}`)
  }
})

test('findEventProblem with dimensions: the smallest duplicated timestamp of the lowest series, whatever the row order', () => {
  const random = seededRandom(11)
  for (let trial = 0; trial < 300; trial++) {
    const n = 1 + Math.floor(random() * 40)
    const rows = Array.from({ length: n }, () => ({ ts: day + Math.floor(random() * 20) * hour, s: Math.floor(random() * 3) }))
    const order = random()
    if (order < 0.33) rows.sort((a, b) => a.s - b.s || a.ts - b.ts)
    else if (order < 0.66) rows.sort((a, b) => a.ts - b.ts || a.s - b.s)
    const events = { tsMs: Float64Array.from(rows, (r) => r.ts), values: Float64Array.from(rows, () => 1), series: { names: ['k'], tuples: [['a'], ['b'], ['c']], index: Int32Array.from(rows, (r) => r.s) } }
    const seen = new Set<string>()
    const twice = rows.filter((r) => (seen.has(`${r.s} ${r.ts}`) ? true : (seen.add(`${r.s} ${r.ts}`), false)))
    const first = twice.sort((a, b) => a.ts - b.ts || a.s - b.s)[0]
    const expected = first && `ts: duplicate timestamp ${new Date(first.ts).toISOString().replace('Z', '000Z')} in series ${['a', 'b', 'c'][first.s]}`
    assert.equal(findEventProblem(events, day, ['a', 'b', 'c']), expected, `trial ${trial}`)
  }
})
