import { test } from 'node:test'
import assert from 'node:assert/strict'
import { aggregateToGrid } from '../../../jobs/core/aggregate.js'
import { fillGaps } from '../../../jobs/core/gaps.js'
import { calendarFeatures } from '../../../jobs/core/calendar.js'

const hour = 3_600_000
const t0 = Date.UTC(2024, 0, 29)

test('aggregateToGrid sums, averages or keeps the last event per step, ignoring events outside the window', () => {
  const events = { tsMs: Float64Array.from([t0 + 10, t0 + 20, t0 + hour + 5, t0 - 1, t0 + 3 * hour]), values: Float64Array.from([1, 2, 7, 100, 100]) }
  const window = { startMs: t0, endMs: t0 + 3 * hour, stepMs: hour }
  assert.deepEqual(Array.from(aggregateToGrid(events, window, 'sum').values), [3, 7, NaN])
  assert.deepEqual(Array.from(aggregateToGrid(events, window, 'mean').values), [1.5, 7, NaN])
  assert.deepEqual(Array.from(aggregateToGrid(events, window, 'last').values), [2, 7, NaN])
  assert.deepEqual(Array.from(aggregateToGrid(events, window, 'sum').counts), [2, 1, 0])
})

test('aggregateToGrid: last takes the latest timestamp even when rows are unsorted', () => {
  const events = { tsMs: Float64Array.from([t0 + 30, t0 + 10]), values: Float64Array.from([5, 9]) }
  assert.deepEqual(Array.from(aggregateToGrid(events, { startMs: t0, endMs: t0 + hour, stepMs: hour }, 'last').values), [5])
})

test('fillGaps interpolates inside, carries at the edges, and marks what it filled', () => {
  const filled = fillGaps(Float64Array.from([NaN, 2, NaN, NaN, 8, NaN]), 'interpolate', 24)
  assert.deepEqual(Array.from(filled.values), [2, 2, 4, 6, 8, 8])
  assert.deepEqual(Array.from(filled.observed), [0, 1, 0, 0, 1, 0])
  assert.equal(filled.filledCount, 4)
})

test('fillGaps zero and seasonal policies', () => {
  assert.deepEqual(Array.from(fillGaps(Float64Array.from([1, NaN, 3]), 'zero', 2).values), [1, 0, 3])
  assert.deepEqual(Array.from(fillGaps(Float64Array.from([1, 5, 2, NaN, 3]), 'seasonal', 2).values), [1, 5, 2, 5, 3])
})

test('calendarFeatures marks hour, weekday, weekend and holidays in UTC', () => {
  // 2024-01-27 was a Saturday.
  const features = calendarFeatures(Date.UTC(2024, 0, 27, 22), hour, 4, ['2024-01-28'])
  assert.deepEqual(Array.from(features.hourOfDay), [22, 23, 0, 1])
  assert.deepEqual(Array.from(features.dayOfWeek), [6, 6, 0, 0])
  assert.deepEqual(Array.from(features.isWeekend), [1, 1, 1, 1])
  assert.deepEqual(Array.from(features.isHoliday), [0, 0, 1, 1])
})

test('calendarFeatures agrees with the Date API on every step of four years, before and after the epoch, hourly and weekly', () => {
  const holidays = ['1969-12-31', '2024-02-29', '2025-12-25']
  for (const [startMs, stepMs, length] of [
    [Date.UTC(1968, 11, 30, 5), hour, 4 * 366 * 24],
    [Date.UTC(2022, 0, 3), 7 * 24 * hour, 200],
    [Date.UTC(2024, 1, 28, 23, 30), 30 * 60_000, 500],
  ]) {
    const features = calendarFeatures(startMs, stepMs, length, holidays)
    for (let i = 0; i < length; i++) {
      const date = new Date(startMs + i * stepMs)
      const at = `${date.toISOString()} (step ${i})`
      assert.equal(features.hourOfDay[i], date.getUTCHours(), at)
      assert.equal(features.dayOfWeek[i], date.getUTCDay(), at)
      assert.equal(features.isWeekend[i], date.getUTCDay() % 6 === 0 ? 1 : 0, at)
      assert.equal(features.isHoliday[i], holidays.includes(date.toISOString().slice(0, 10)) ? 1 : 0, at)
    }
  }
})
