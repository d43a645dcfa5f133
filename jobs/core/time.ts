/** Time as epoch milliseconds (UTC) throughout, microseconds as the fraction; these helpers convert at the edges. */

export const hourMs = 3_600_000
export const dayMs = 86_400_000

/** `2024-01-29T14:00:00Z`: the predictions table's sort key format (no milliseconds). */
export function toIsoSeconds(ms: number): string {
  return new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z')
}

/** `2024-01-29T14:00:00.000800Z`: an event time to the microsecond, for messages about single events. */
export function toIsoMicros(ms: number): string {
  const wholeMs = Math.floor(ms)
  const micros = Math.round((ms - wholeMs) * 1000)
  return new Date(wholeMs).toISOString().replace(/Z$/, `${String(Math.min(micros, 999)).padStart(3, '0')}Z`)
}

/** Floors a time to a multiple of `stepMs` since the epoch. */
export function floorToStep(ms: number, stepMs: number): number {
  return Math.floor(ms / stepMs) * stepMs
}

/** `YYYYMMDD` of a UTC day. */
export function compactDate(ms: number): string {
  return new Date(ms).toISOString().slice(0, 10).replaceAll('-', '')
}

/** `YYYYMMDDTHHMMSSZ`: sortable, safe in keys. */
export function compactTimestamp(ms: number): string {
  return new Date(ms).toISOString().replace(/[-:]/g, '').replace(/\.\d{3}Z$/, 'Z')
}

/** Parses an ISO-8601 instant; returns NaN when it is not one. */
export function parseInstant(text: string): number {
  if (!/^\d{4}-\d{2}-\d{2}(T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})?)?$/.test(text)) return Number.NaN
  const withZone = /T/.test(text) && !/(Z|[+-]\d{2}:?\d{2})$/.test(text) ? `${text}Z` : text
  return Date.parse(withZone)
}
