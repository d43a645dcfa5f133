import { test } from 'node:test'
import assert from 'node:assert/strict'
import { decodeDayCache, encodeDayCache, planDay, type DayState } from '../../../jobs/features/day-cache.js'
import { dayCacheManifestSchema, decodeDayEvents } from '../../../jobs/io/day-cache.js'
import { parseLakeDocument } from '../../../jobs/io/lake-document.js'

const day = Date.UTC(2024, 0, 29)
const info = (name: string, at: number, etag = `e-${name}`) => ({ key: `bronze/gras/metric=O/year=2024/month=01/day=29/${name}.parquet`, size: 100, etag, lastModifiedMs: day + at })
const events = (ts: number[], values: number[]) => ({ tsMs: Float64Array.from(ts, (t) => day + t + 0.001), values: Float64Array.from(values) })

const state: DayState = {
  accepted: [
    {
      info: info('a', 1000),
      rows: 3,
      redelivered: 0,
      parts: [
        { seriesId: 'O~region=eu', events: events([0, 3_600_000], [1.5, -2]), redelivered: 0 },
        { seriesId: 'O~region=us', events: events([0], [7]), redelivered: 0 },
      ],
    },
    { info: info('b', 2000), rows: 2, redelivered: 2, parts: [{ seriesId: 'O~region=us', events: events([], []), redelivered: 2 }] },
  ],
  checked: [{ info: info('c', 3000), reason: 'c: file has no rows' }],
  conflicts: [{ info: info('d', 1500), reason: 'd: ts: 1 timestamp(s) already delivered' }],
  dimensions: new Map([
    ['O~region=eu', { region: 'eu' }],
    ['O~region=us', { region: 'us' }],
  ]),
}

test('a day cache round-trips through its JSON manifest and Parquet events: every part, count and reason, microseconds kept', async () => {
  const { manifest, events: bytes } = encodeDayCache('O', day, ['region'], state)
  const parsed = parseLakeDocument(dayCacheManifestSchema, new TextEncoder().encode(JSON.stringify(manifest)), 'k')
  assert.deepEqual(parsed.quarantined.map((q) => [q.stage, q.key.slice(-9)]), [['conflict', 'd.parquet'], ['check', 'c.parquet']], 'in delivery order')
  const back = decodeDayCache(parsed, await decodeDayEvents(bytes, 'events.parquet', parsed))
  assert.deepEqual(
    back.accepted.map((a) => ({ ...a, parts: a.parts.map((p) => ({ ...p, events: { tsMs: [...p.events.tsMs], values: [...p.events.values] } })) })),
    state.accepted.map((a) => ({ ...a, parts: a.parts.map((p) => ({ ...p, events: { tsMs: [...p.events.tsMs], values: [...p.events.values] } })) })),
  )
  assert.deepEqual(back.checked, state.checked)
  assert.deepEqual(back.conflicts, state.conflicts)
  assert.deepEqual([...back.dimensions], [...state.dimensions])
})

test('a day cache whose events do not match its manifest, or whose parts do not add up, is refused naming the key and field', async () => {
  const { manifest, events: bytes } = encodeDayCache('O', day, ['region'], state)
  const other = encodeDayCache('O', day, ['region'], { ...state, accepted: state.accepted.slice(1) }).events
  await assert.rejects(decodeDayEvents(other, 'day=20240129/events.parquet', manifest), /: day=20240129\/events\.parquet: SHA-256 [0-9a-f]{64} \(expected [0-9a-f]{64}, the manifest's\)$/)
  assert.equal((await decodeDayEvents(bytes, 'x', manifest)).tsMs.length, 3)
  const bad = { ...manifest, events: 4 }
  assert.throws(() => parseLakeDocument(dayCacheManifestSchema, new TextEncoder().encode(JSON.stringify(bad)), 'day=20240129/_manifest.json'), /: day=20240129\/_manifest\.json: events: 4, but the parts add up to 3$/)
})

test('planDay: the same listing reuses, files added after the cached ones append, anything else rebuilds', () => {
  const { manifest } = encodeDayCache('O', day, ['region'], state)
  const listed = [info('a', 1000), info('b', 2000), info('c', 3000), info('d', 1500)]
  assert.deepEqual(planDay(listed, manifest), { kind: 'reuse' })
  assert.deepEqual(planDay([...listed, info('f', 5000), info('e', 4000)], manifest), { kind: 'append', added: [info('e', 4000), info('f', 5000)] })
  // Same time as the last cached file: ordered by key, so `b0` would come before `c`.
  assert.deepEqual(planDay([...listed, info('b0', 3000)], manifest), { kind: 'rebuild', why: `${info('b0', 3000).key} delivered before ${info('c', 3000).key}` })
  assert.deepEqual(planDay([...listed, info('e', 2500)], manifest).kind, 'rebuild')
  assert.deepEqual(planDay(listed.slice(1), manifest), { kind: 'rebuild', why: `${info('a', 1000).key} removed` })
  assert.deepEqual(planDay([info('a', 1000, 'new'), ...listed.slice(1)], manifest), { kind: 'rebuild', why: `${info('a', 1000).key} rewritten` })
  assert.deepEqual(planDay([{ ...info('a', 1000), size: 101 }, ...listed.slice(1)], manifest).kind, 'rebuild')
  assert.deepEqual(planDay([info('a', 999), ...listed.slice(1)], manifest).kind, 'rebuild', 'written again with the same bytes: its place in the delivery order moved')
})
