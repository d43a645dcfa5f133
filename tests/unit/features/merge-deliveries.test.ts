import { test } from 'node:test'
import assert from 'node:assert/strict'
import { mergeDeliveries } from '../../../jobs/features/merge-deliveries.js'
import { seededRandom } from '../../../jobs/core/random.js'

const day = Date.UTC(2024, 0, 29)
const hour = 3_600_000
const batch = (hours: number[], value: (h: number) => number) => ({ tsMs: Float64Array.from(hours, (h) => day + h * hour), values: Float64Array.from(hours, value) })
const file = (key: string, hours: number[], value: (h: number) => number) => ({ key, parts: [{ seriesId: 'G', events: batch(hours, value) }] })
const range = (from: number, to: number) => Array.from({ length: to - from }, (_, i) => from + i)

test('a re-delivery overlapping part of an earlier file adds only its new events: none lost, none counted twice', () => {
  const merged = mergeDeliveries([file('a', range(0, 12), (h) => h), file('b', range(9, 20), (h) => h)])
  assert.deepEqual(merged.conflicts, [])
  assert.deepEqual(merged.accepted.map((a) => [a.key, a.parts[0].events.tsMs.length, a.redelivered]), [['a', 12, 0], ['b', 8, 3]])
  const all = merged.accepted.flatMap((a) => Array.from(a.parts[0].events.values))
  assert.deepEqual(all.sort((x, y) => x - y), range(0, 20))
})

test('a conflicting value for a delivered timestamp refuses only the later file, naming only the files it overlaps', () => {
  const merged = mergeDeliveries([file('a', range(0, 6), (h) => h), file('b', range(6, 12), (h) => h), file('c', range(4, 5), () => 99), file('d', range(12, 13), (h) => h)])
  assert.deepEqual(merged.accepted.map((a) => a.key), ['a', 'b', 'd'])
  assert.equal(merged.conflicts.length, 1)
  assert.match(merged.conflicts[0].reason, /^c: ts: 1 timestamp\(s\) already delivered with a different value by a \(first 2024-01-29T04:00:00\.000000Z: 99 here, 4 there\)$/)
})

test('events a microsecond apart in different files are distinct', () => {
  const a = { key: 'a', parts: [{ seriesId: 'G', events: { tsMs: Float64Array.from([day + 1.001]), values: Float64Array.from([1]) } }] }
  const b = { key: 'b', parts: [{ seriesId: 'G', events: { tsMs: Float64Array.from([day + 1.002]), values: Float64Array.from([1]) } }] }
  const merged = mergeDeliveries([a, b])
  assert.deepEqual(merged.accepted.map((x) => x.redelivered), [0, 0])
})

const eu = 'G~region=eu'
const us = 'G~region=us'

test('with dimensions the unit is (series, ts): the same timestamp in two series is no conflict, a re-delivery counts per series', () => {
  const a = { key: 'a', parts: [{ seriesId: eu, events: batch(range(0, 6), (h) => h) }, { seriesId: us, events: batch(range(0, 6), (h) => 100 + h) }] }
  const b = { key: 'b', parts: [{ seriesId: eu, events: batch(range(4, 8), (h) => h) }, { seriesId: us, events: batch(range(6, 8), (h) => 100 + h) }] }
  const merged = mergeDeliveries([a, b])
  assert.deepEqual(merged.conflicts, [])
  assert.deepEqual(merged.accepted.map((x) => [x.key, x.redelivered, x.parts.map((p) => [p.seriesId, p.events.tsMs.length, p.redelivered])]), [
    ['a', 0, [[eu, 6, 0], [us, 6, 0]]],
    ['b', 2, [[eu, 2, 2], [us, 2, 0]]],
  ])
})

test('a conflict in one series refuses the file whole, in every series, naming the series', () => {
  const a = { key: 'a', parts: [{ seriesId: eu, events: batch(range(0, 6), (h) => h) }, { seriesId: us, events: batch(range(0, 6), (h) => h) }] }
  const b = { key: 'b', parts: [{ seriesId: eu, events: batch(range(6, 8), (h) => h) }, { seriesId: us, events: batch(range(3, 4), () => 99) }] }
  const c = { key: 'c', parts: [{ seriesId: eu, events: batch(range(6, 8), (h) => h + 1) }] }
  const merged = mergeDeliveries([a, b, c])
  assert.deepEqual(merged.accepted.map((x) => x.key), ['a', 'c'], 'b refused whole: its eu events are not delivered, so c does not conflict with them')
  assert.deepEqual(merged.conflicts.map((x) => x.reason), ['b: ts: 1 timestamp(s) already delivered with a different value by a (first 2024-01-29T03:00:00.000000Z in series G~region=us: 99 here, 3 there)'])
})

test('over random deliveries (later days appended, overlaps, unsorted files, conflicts), the same result as a map of every (series, ts) delivered', () => {
  const random = seededRandom(42)
  for (let trial = 0; trial < 200; trial++) {
    const deliveries = Array.from({ length: 1 + Math.floor(random() * 12) }, (_, f) => {
      const start = random() < 0.7 ? f * 24 : Math.floor(random() * f * 24 + 1)
      const hours = [...new Set(Array.from({ length: 1 + Math.floor(random() * 30) }, () => start + Math.floor(random() * 30)))]
      if (random() < 0.5) hours.sort((a, b) => a - b)
      const conflict = random() < 0.1
      const seriesIds = random() < 0.5 ? ['P~k=a'] : ['P~k=a', 'P~k=b']
      return { key: `f${f}`, parts: seriesIds.map((seriesId) => ({ seriesId, events: batch(hours, (h) => (conflict ? h + 0.5 : h) + (seriesId === 'P~k=b' ? 1000 : 0)) })) }
    })
    // The reference: files in order; a file with a (series, ts) delivered before with another value is refused whole.
    const delivered = new Map<string, number>()
    const expected: { key: string; fresh: number[]; redelivered: number }[] = []
    const refused: string[] = []
    for (const d of deliveries) {
      const events = d.parts.flatMap((p) => Array.from(p.events.tsMs, (ts, i) => [`${p.seriesId} ${ts}`, p.events.values[i]] as const))
      if (events.some(([k, v]) => delivered.has(k) && delivered.get(k) !== v)) {
        refused.push(d.key)
        continue
      }
      const fresh = events.filter(([k]) => !delivered.has(k))
      expected.push({ key: d.key, fresh: fresh.map(([, v]) => v).sort((a, b) => a - b), redelivered: events.length - fresh.length })
      for (const [k, v] of fresh) delivered.set(k, v)
    }
    const merged = mergeDeliveries(deliveries)
    assert.deepEqual(merged.conflicts.map((c) => c.key), refused, `trial ${trial}`)
    assert.deepEqual(
      merged.accepted.map((a) => ({ key: a.key, fresh: a.parts.flatMap((p) => Array.from(p.events.values)).sort((x, y) => x - y), redelivered: a.redelivered })),
      expected,
      `trial ${trial}`,
    )
  }
})
