import { test } from 'node:test'
import assert from 'node:assert/strict'
import { mergeDeliveries } from '../../../jobs/features/merge-deliveries.js'

const day = Date.UTC(2024, 0, 29)
const hour = 3_600_000
const file = (key: string, hours: number[], value: (h: number) => number) => ({
  key,
  events: { tsMs: Float64Array.from(hours, (h) => day + h * hour), values: Float64Array.from(hours, value) },
})
const range = (from: number, to: number) => Array.from({ length: to - from }, (_, i) => from + i)

test('a re-delivery overlapping part of an earlier file adds only its new events: none lost, none counted twice', () => {
  const merged = mergeDeliveries([file('a', range(0, 12), (h) => h), file('b', range(9, 20), (h) => h)])
  assert.deepEqual(merged.conflicts, [])
  assert.deepEqual(merged.accepted.map((a) => [a.key, a.events.tsMs.length, a.redelivered]), [['a', 12, 0], ['b', 8, 3]])
  const all = merged.accepted.flatMap((a) => Array.from(a.events.values))
  assert.deepEqual(all.sort((x, y) => x - y), range(0, 20))
})

test('a conflicting value for a delivered timestamp refuses only the later file, naming only the files it overlaps', () => {
  const merged = mergeDeliveries([file('a', range(0, 6), (h) => h), file('b', range(6, 12), (h) => h), file('c', range(4, 5), () => 99), file('d', range(12, 13), (h) => h)])
  assert.deepEqual(merged.accepted.map((a) => a.key), ['a', 'b', 'd'])
  assert.equal(merged.conflicts.length, 1)
  assert.match(merged.conflicts[0].reason, /^c: ts: 1 timestamp\(s\) already delivered with a different value by a \(first 2024-01-29T04:00:00\.000000Z: 99 here, 4 there\)$/)
})

test('events a microsecond apart in different files are distinct', () => {
  const a = { key: 'a', events: { tsMs: Float64Array.from([day + 1.001]), values: Float64Array.from([1]) } }
  const b = { key: 'b', events: { tsMs: Float64Array.from([day + 1.002]), values: Float64Array.from([1]) } }
  const merged = mergeDeliveries([a, b])
  assert.deepEqual(merged.accepted.map((x) => x.redelivered), [0, 0])
})
