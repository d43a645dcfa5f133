/** `gras predictions` turns version 2 items (one per run) into one row per step, the newest run's where runs overlap. */
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { stepsInRange } from '../../../jobs/commands/predictions.js'
import type { ForecastItem } from '../../../jobs/io/forecasts-table.js'

const hourMs = 3_600_000
const t0 = Date.UTC(2024, 0, 29, 14)
const iso = (ms: number) => new Date(ms).toISOString().replace('.000Z', 'Z')

function run(runId: string, cutoffMs: number, horizon: number, base: number): ForecastItem {
  const value = Array.from({ length: horizon }, (_, h) => base + h)
  return {
    seriesId: 'G',
    metricId: 'G',
    dimensions: {},
    generatedAt: iso(cutoffMs),
    firstStep: iso(cutoffMs),
    stepSeconds: 3600,
    horizon,
    value,
    lower: value.map((v) => v - 1),
    upper: value.map((v) => v + 1),
    intervalLevel: 0.95,
    modelVersion: 'v1',
    runId,
    ttl: 2_000_000_000,
  }
}

test('each step comes from the newest run that forecast it, in time order, inside the range', () => {
  const newer = run('r15', t0 + hourMs, 3, 500)
  const older = run('r14', t0, 3, 100)
  const rows = stepsInRange([newer, older], t0, t0 + 10 * hourMs)
  assert.deepEqual(
    rows.map((r) => [r.timestamp, r.runId, r.value, r.lower, r.upper]),
    [
      [iso(t0), 'r14', 100, 99, 101],
      [iso(t0 + hourMs), 'r15', 500, 499, 501],
      [iso(t0 + 2 * hourMs), 'r15', 501, 500, 502],
      [iso(t0 + 3 * hourMs), 'r15', 502, 501, 503],
    ],
  )
  assert.deepEqual(stepsInRange([newer, older], t0 + 2 * hourMs, t0 + 2 * hourMs).map((r) => r.timestamp), [iso(t0 + 2 * hourMs)])
  assert.deepEqual(stepsInRange([], t0, t0 + hourMs), [])
})
