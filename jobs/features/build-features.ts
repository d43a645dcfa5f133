/**
 * Events of one metric -> the silver feature table: aggregated to the metric's frequency on a
 * regular grid, trimmed to the span that has data, gaps filled by the declared policy, calendar
 * features added. Pure.
 */
import { aggregateToGrid } from '../core/aggregate.js'
import { calendarFeatures, type CalendarFeatures } from '../core/calendar.js'
import { fillGaps } from '../core/gaps.js'
import { seasonalPeriods } from '../core/models/catalog.js'
import type { EventBatch, RegularSeries } from '../core/series.js'
import type { MetricSettings } from '../runtime/config-schema.js'

export interface FeatureTable {
  series: RegularSeries
  observed: Uint8Array
  eventCounts: Uint32Array
  calendar: CalendarFeatures
  filledSteps: number
}

/**
 * Builds the table for steps in [windowStartMs, windowEndMs); returns undefined when no step in the
 * window has an event. Leading and trailing empty steps are dropped: a metric that started late or
 * whose newest hour has not arrived yet is not padded with invented values. `windowCalendar`, the
 * calendar features of every step of the window (windowCalendarFeatures), spares computing them
 * again for each series of a metric: a series' are a part of them.
 */
export function buildFeatures(
  metricId: string,
  events: EventBatch,
  windowStartMs: number,
  windowEndMs: number,
  stepMs: number,
  settings: Pick<MetricSettings, 'aggregation' | 'gapPolicy' | 'holidays'>,
  windowCalendar?: CalendarFeatures,
): FeatureTable | undefined {
  const grid = aggregateToGrid(events, { startMs: windowStartMs, endMs: windowEndMs, stepMs }, settings.aggregation)
  let first = 0
  while (first < grid.counts.length && grid.counts[first] === 0) first++
  if (first === grid.counts.length) return undefined
  let last = grid.counts.length - 1
  while (grid.counts[last] === 0) last--
  const raw = grid.values.subarray(first, last + 1)
  // The seasonal gap policy copies the value one shortest season back: a day for hourly data, a week for daily.
  const filled = fillGaps(raw, settings.gapPolicy, seasonalPeriods(stepMs)[0])
  const startMs = windowStartMs + first * stepMs
  return {
    series: { metricId, startMs, stepMs, values: filled.values },
    observed: filled.observed,
    eventCounts: grid.counts.slice(first, last + 1),
    calendar: windowCalendar?.hourOfDay.length === grid.counts.length ? sliceCalendar(windowCalendar, first, last + 1) : calendarFeatures(startMs, stepMs, raw.length, settings.holidays),
    filledSteps: filled.filledCount,
  }
}

/** The calendar features of every step in [windowStartMs, windowEndMs), for buildFeatures. */
export function windowCalendarFeatures(windowStartMs: number, windowEndMs: number, stepMs: number, holidays: readonly string[]): CalendarFeatures {
  // As many steps as aggregateToGrid's grid of the window.
  return calendarFeatures(windowStartMs, stepMs, Math.max(0, Math.ceil((windowEndMs - windowStartMs) / stepMs)), holidays)
}

function sliceCalendar(calendar: CalendarFeatures, from: number, to: number): CalendarFeatures {
  return { hourOfDay: calendar.hourOfDay.subarray(from, to), dayOfWeek: calendar.dayOfWeek.subarray(from, to), isWeekend: calendar.isWeekend.subarray(from, to), isHoliday: calendar.isHoliday.subarray(from, to) }
}
