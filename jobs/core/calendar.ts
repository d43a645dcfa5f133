/** Calendar features of a regular grid (UTC): hour of day, day of week, weekend, holiday. */

export interface CalendarFeatures {
  hourOfDay: Int32Array
  dayOfWeek: Int32Array
  isWeekend: Uint8Array
  isHoliday: Uint8Array
}

/** Features for `length` steps from `startMs`; `holidays` are ISO dates (YYYY-MM-DD). */
export function calendarFeatures(startMs: number, stepMs: number, length: number, holidays: readonly string[]): CalendarFeatures {
  const holidaySet = new Set(holidays)
  const features: CalendarFeatures = {
    hourOfDay: new Int32Array(length),
    dayOfWeek: new Int32Array(length),
    isWeekend: new Uint8Array(length),
    isHoliday: new Uint8Array(length),
  }
  for (let i = 0; i < length; i++) {
    const date = new Date(startMs + i * stepMs)
    const day = date.getUTCDay()
    features.hourOfDay[i] = date.getUTCHours()
    features.dayOfWeek[i] = day
    features.isWeekend[i] = day === 0 || day === 6 ? 1 : 0
    features.isHoliday[i] = holidaySet.has(date.toISOString().slice(0, 10)) ? 1 : 0
  }
  return features
}
