import { test } from 'node:test'
import assert from 'node:assert/strict'
import { LocalObjectStore } from '../../../jobs/io/local-store.js'
import { decodeServedRuns, encodeServedRuns, markLateRun, ServedRunsStore } from '../../../jobs/io/served-runs.js'
import { servedRunsKey } from '../../../jobs/core/lake-layout.js'
import type { ServedRun } from '../../../jobs/core/realised-accuracy.js'
import { tempDir } from '../../helpers/paths.js'

const day = 86_400_000
const window = { metricId: 'G', firstDayMs: 20 * day, endDayMs: 27 * day }
const group = { index: 2, count: 3 }
const run = (runId: string, generatedAtMs: number, n: number): ServedRun => ({
  runId,
  modelVersion: `v-${runId}`,
  generatedAtMs,
  timestampsMs: Float64Array.from({ length: n }, (_, k) => generatedAtMs + k * 3_600_000),
  value: Float64Array.from({ length: n }, (_, k) => k + 0.5),
  lower: Float64Array.from({ length: n }, (_, k) => k - 1.25),
  upper: Float64Array.from({ length: n }, (_, k) => k + Math.PI),
})
const runs = new Map([
  ['G~r=a', [run('r1', 20 * day, 24), run('r2', 21 * day, 24)]],
  ['G~r=b', [run('r1', 20 * day, 24)]],
  ['G~r=c', []],
])

test('served runs read back exactly, a series without runs included', async () => {
  const { firstDayMs, endDayMs } = window
  const bytes = encodeServedRuns({ firstDayMs, endDayMs, lateRunMark: 'm', series: [...runs.keys()] }, runs)
  const { kept, runs: back } = await decodeServedRuns(bytes, 'k')
  assert.deepEqual(kept, { format: 1, firstDayMs, endDayMs, lateRunMark: 'm', series: ['G~r=a', 'G~r=b', 'G~r=c'] })
  assert.deepEqual(back, runs)
})

test('kept served runs answer only for their window, the series they hold and the late-run mark they were walked under', async () => {
  const lake = new LocalObjectStore(tempDir('served-runs'))
  await new ServedRunsStore(lake).store(window, group, runs)
  const fresh = () => new ServedRunsStore(lake)
  assert.deepEqual(await fresh().lookup(window, group, ['G~r=a', 'G~r=c']), new Map([['G~r=a', runs.get('G~r=a')], ['G~r=c', []]]))
  assert.equal(await fresh().lookup(window, group, ['G~r=a', 'G~r=d']), undefined, 'a series the object does not hold')
  assert.equal(await fresh().lookup({ ...window, endDayMs: 28 * day }, group, ['G~r=a']), undefined, 'another window')
  assert.equal(await fresh().lookup(window, { index: 1, count: 3 }, ['G~r=a']), undefined, 'another group')
  await markLateRun(lake, 'G', 'late-1', '19700122', 0)
  assert.equal(await fresh().lookup(window, group, ['G~r=a']), undefined, 'a late run since the walk')
  // Walked again under the new mark: it answers until the next late run, whatever the clocks say.
  await fresh().store(window, group, runs)
  assert.ok(await fresh().lookup(window, group, ['G~r=a']))
  await markLateRun(lake, 'G', 'late-1', '19700122', 0)
  assert.equal(await fresh().lookup(window, group, ['G~r=a']), undefined, 'the same run marking again is still a change')
  await lake.put(servedRunsKey('G', window.firstDayMs, window.endDayMs, group), 'not parquet')
  assert.equal(await fresh().lookup(window, group, ['G~r=a']), undefined, 'an unreadable object is a miss')
})
