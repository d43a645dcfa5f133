/**
 * Realistic sample bronze data: what the Java app would write for G, R, A and S. Hourly business
 * metrics with a daily cycle, a weekday/weekend cycle, a slow trend and noise, sampled as events
 * several times an hour; R has an outage (a gap of several hours), A has one outlier. O has the
 * dimensions `region` and `channel`: four series, all in one file per day. Pure and seeded.
 */
import { normal, seededRandom, type Random } from '../core/random.js'
import { dayMs, hourMs } from '../core/time.js'

export interface DemoMetric {
  id: string
  level: number
  /** Relative amplitude of the daily cycle. */
  daily: number
  /** Relative drop on Saturdays and Sundays. */
  weekend: number
  /** Relative growth per week. */
  trendPerWeek: number
  /** Relative noise per event. */
  noise: number
  eventsPerHour: number
  /** How the reading is meant to be aggregated (informs how each event's value is scaled). */
  kind: 'count' | 'gauge'
  /** For a metric with dimensions: its series, each a tuple of dimension values and a share of `level`. */
  series?: { dimensions: Record<string, string>; share: number }[]
  /** At most this many days are written: the metric's historyDays in config/metrics.yaml, so none of its history is cut. */
  maxDays?: number
}

export const demoMetrics: DemoMetric[] = [
  { id: 'G', level: 1200, daily: 0.45, weekend: 0.3, trendPerWeek: 0.02, noise: 0.08, eventsPerHour: 4, kind: 'count' },
  { id: 'R', level: 300, daily: 0.35, weekend: 0.2, trendPerWeek: 0.01, noise: 0.1, eventsPerHour: 4, kind: 'count' },
  { id: 'A', level: 55, daily: 0.2, weekend: 0.1, trendPerWeek: 0.0, noise: 0.05, eventsPerHour: 12, kind: 'gauge' },
  { id: 'S', level: 5000, daily: 0.1, weekend: 0.05, trendPerWeek: 0.005, noise: 0.01, eventsPerHour: 6, kind: 'gauge' },
  {
    id: 'O',
    level: 800,
    daily: 0.4,
    weekend: 0.25,
    trendPerWeek: 0.01,
    noise: 0.1,
    eventsPerHour: 2,
    kind: 'count',
    maxDays: 21,
    series: [
      { dimensions: { region: 'eu', channel: 'web' }, share: 0.4 },
      { dimensions: { region: 'eu', channel: 'app' }, share: 0.2 },
      { dimensions: { region: 'us', channel: 'web' }, share: 0.3 },
      { dimensions: { region: 'us', channel: 'app' }, share: 0.1 },
    ],
  },
]

export interface DemoFile {
  metricId: string
  dayStartMs: number
  part: number
  tsMs: Float64Array
  values: Float64Array
  /** For a metric with dimensions: each dimension column, one value per row. */
  dimensions?: Record<string, string[]>
}

export interface DemoOptions {
  /** Exclusive end; data covers the `days` whole UTC days before it, up to the last full hour. */
  endMs: number
  days: number
  seed: number
}

/** The expected hourly value of a metric at `tMs` (the "truth" the noise is added to). */
export function demoHourlyMean(metric: DemoMetric, tMs: number, originMs: number): number {
  const date = new Date(tMs)
  const hour = date.getUTCHours() + date.getUTCMinutes() / 60
  const day = date.getUTCDay()
  const dailyShape = Math.sin(((hour - 9) / 24) * 2 * Math.PI) + 0.3 * Math.sin(((hour - 9) / 12) * 2 * Math.PI)
  const weekendFactor = day === 0 || day === 6 ? 1 - metric.weekend : 1
  const trend = 1 + (metric.trendPerWeek * (tMs - originMs)) / (7 * dayMs)
  return metric.level * trend * weekendFactor * (1 + metric.daily * dailyShape)
}

/**
 * Two files per metric and day (morning and afternoon parts), as a batch writer would flush them;
 * one per day, holding every series, for a metric with dimensions.
 */
export function generateDemoFiles(options: DemoOptions, metrics: DemoMetric[] = demoMetrics): DemoFile[] {
  const files: DemoFile[] = []
  const endMs = Math.floor(options.endMs / hourMs) * hourMs
  const firstDay = Math.floor((endMs - 1) / dayMs) * dayMs - (options.days - 1) * dayMs
  const originMs = firstDay
  const gapStart = firstDay + Math.floor(options.days / 2) * dayMs + 9 * hourMs
  const outlierAt = firstDay + Math.floor(options.days * 0.7) * dayMs + 14 * hourMs
  metrics.forEach((metric, metricIndex) => {
    const random = seededRandom(options.seed * 1000 + metricIndex)
    if (metric.series) {
      const from = Math.max(firstDay, firstDay + (options.days - (metric.maxDays ?? options.days)) * dayMs)
      for (let day = from; day < endMs; day += dayMs) files.push(...seriesDay(metric, day, Math.min(day + dayMs, endMs), originMs, random))
      return
    }
    for (let day = firstDay; day < endMs; day += dayMs) {
      for (let part = 0; part < 2; part++) {
        const ts: number[] = []
        const values: number[] = []
        const partStart = day + part * 12 * hourMs
        const partEnd = Math.min(partStart + 12 * hourMs, endMs)
        const spacing = hourMs / metric.eventsPerHour
        for (let t = partStart; t < partEnd; t += spacing) {
          if (metric.id === 'R' && t >= gapStart && t < gapStart + 7 * hourMs) continue
          const mean = demoHourlyMean(metric, t, originMs)
          let value = mean * (1 + metric.noise * normal(random))
          if (metric.kind === 'count') value /= metric.eventsPerHour
          if (metric.id === 'A' && t >= outlierAt && t < outlierAt + hourMs) value *= 6
          ts.push(t)
          values.push(Math.max(0, Math.round(value * 100) / 100))
        }
        if (ts.length > 0) files.push({ metricId: metric.id, dayStartMs: day, part, tsMs: Float64Array.from(ts), values: Float64Array.from(values) })
      }
    }
  })
  return files
}

/** One day of a metric with dimensions: every series' events in one file, in time order. */
function seriesDay(metric: DemoMetric, dayStartMs: number, endMs: number, originMs: number, random: Random): DemoFile[] {
  const series = metric.series!
  const names = Object.keys(series[0].dimensions)
  const ts: number[] = []
  const values: number[] = []
  const columns: Record<string, string[]> = Object.fromEntries(names.map((name) => [name, []]))
  const spacing = hourMs / metric.eventsPerHour
  for (let t = dayStartMs; t < endMs; t += spacing) {
    for (const { dimensions, share } of series) {
      const mean = demoHourlyMean(metric, t, originMs) * share
      ts.push(t)
      values.push(Math.max(0, Math.round(((mean * (1 + metric.noise * normal(random))) / metric.eventsPerHour) * 100) / 100))
      for (const name of names) columns[name].push(dimensions[name])
    }
  }
  return ts.length > 0 ? [{ metricId: metric.id, dayStartMs, part: 0, tsMs: Float64Array.from(ts), values: Float64Array.from(values), dimensions: columns }] : []
}
