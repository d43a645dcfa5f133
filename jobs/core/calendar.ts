/** Calendar features of a regular grid (UTC): hour of day, day of week, weekend, holiday. */

export interface CalendarFeatures {
  hourOfDay: Int32Array
  dayOfWeek: Int32Array
  isWeekend: Uint8Array
  isHoliday: Uint8Array
}

const hourMs = 3_600_000
const dayMs = 24 * hourMs

/**
 * Features for `length` steps from `startMs`; `holidays` are ISO dates (YYYY-MM-DD). Computed from
 * the UTC day number (days since the epoch, which was a Thursday) rather than a Date per step: the
 * same fields, without formatting an ISO string for every step of every series.
 */
export function calendarFeatures(startMs: number, stepMs: number, length: number, holidays: readonly string[]): CalendarFeatures {
  const holidayDays = new Set<number>()
  for (const iso of holidays) {
    const ms = Date.parse(`${iso}T00:00:00Z`)
    if (Number.isFinite(ms)) holidayDays.add(Math.floor(ms / dayMs))
  }
  const features: CalendarFeatures = {
    hourOfDay: new Int32Array(length),
    dayOfWeek: new Int32Array(length),
    isWeekend: new Uint8Array(length),
    isHoliday: new Uint8Array(length),
  }
  for (let i = 0; i < length; i++) {
    const ms = startMs + i * stepMs
    const dayNumber = Math.floor(ms / dayMs)
    const day = (((dayNumber + 4) % 7) + 7) % 7
    features.hourOfDay[i] = Math.floor((ms - dayNumber * dayMs) / hourMs)
    features.dayOfWeek[i] = day
    features.isWeekend[i] = day === 0 || day === 6 ? 1 : 0
    features.isHoliday[i] = holidayDays.has(dayNumber) ? 1 : 0
  }
  return features
}
