/**
 * What a job did for each metric, or for each group of series (core/series-groups.ts). A job keeps
 * going past a failed unit and reports every outcome; its exit code is decided once, from the
 * outcomes, in jobExitCode.
 */
import { ExitCode, exitCodeOf, GrasError, type ExitCodeValue } from '../core/errors.js'
import type { SeriesGroup } from '../core/series-groups.js'
import type { JobName } from './run-metrics.js'

/**
 * `durationMs`: wall time of the unit's work in this job (absent when it never started). A group's
 * detail holds its series' own details under `series` (by series id), and a failed group's detail
 * also the failed series' messages under `failedSeries`.
 */
export type MetricOutcome =
  | { metricId: string; ok: true; detail: Record<string, unknown>; durationMs?: number }
  | { metricId: string; ok: false; error: unknown; durationMs?: number; detail?: Record<string, unknown> }

export interface JobReport {
  job: JobName
  outcomes: MetricOutcome[]
}

/** One series' result inside its group. */
export type SeriesResult = { ok: true; detail: Record<string, unknown> } | { ok: false; error: unknown }

/** Codes in the order a job that meets several exits with them: the most retry-worthy first. */
const preferredCodes = [ExitCode.transient, ExitCode.internal, ExitCode.dataError, ExitCode.noInput, ExitCode.config]

function mostRetryWorthy(codes: readonly ExitCodeValue[]): ExitCodeValue {
  for (const preferred of preferredCodes) if (codes.includes(preferred)) return preferred
  return codes[0]
}

/** 0 when every metric succeeded; otherwise the code of the most retry-worthy failure (transient first). */
export function jobExitCode(report: JobReport): ExitCodeValue {
  const codes = report.outcomes.filter((o) => !o.ok).map((o) => exitCodeOf((o as { error: unknown }).error))
  return codes.length === 0 ? ExitCode.ok : mostRetryWorthy(codes)
}

/**
 * What succeeded, as the next job takes it: the metrics of `features` (its unit; a metric stands
 * for all its series), and of a job working on groups the series that succeeded, those of a group
 * where others failed included (a group id is no id a job takes).
 */
export function succeededMetrics(report: JobReport): string[] {
  if (report.job === 'features') return report.outcomes.filter((o) => o.ok).map((o) => o.metricId)
  return report.outcomes.flatMap((o) => {
    const series = o.detail?.series
    if (series && typeof series === 'object' && !Array.isArray(series)) return Object.keys(series)
    return o.ok ? [o.metricId] : []
  })
}

/** Some series of a group failed: the exit code of the most retry-worthy of theirs, the message naming each. */
export class SeriesFailedError extends GrasError {}

/** Failed series named in a group's message; the rest are counted (the detail has each). */
const namedFailures = 5

/**
 * A group's outcome from its series' results. A dimensionless metric's group (its one series is
 * the group) reports that series' result itself, as a unit of one series always did; any other
 * group succeeds when all its series did, and otherwise fails with a SeriesFailedError naming them.
 * A series without a result is a bug of the job, reported as one.
 */
export function groupOutcome(group: SeriesGroup, results: ReadonlyMap<string, SeriesResult>, durationMs: number): MetricOutcome {
  const resultOf = (id: string): SeriesResult => results.get(id) ?? { ok: false, error: new GrasError(`${group.id}: series ${id} ended without a result`, ExitCode.internal) }
  if (group.series.length === 1 && group.series[0] === group.id) {
    const only = resultOf(group.id)
    return only.ok ? { metricId: group.id, ok: true, detail: only.detail, durationMs } : { metricId: group.id, ok: false, error: only.error, durationMs }
  }
  const series: Record<string, Record<string, unknown>> = {}
  const failedSeries: Record<string, string> = {}
  const codes: ExitCodeValue[] = []
  for (const id of group.series) {
    const result = resultOf(id)
    if (result.ok) series[id] = result.detail
    else {
      failedSeries[id] = result.error instanceof Error ? result.error.message : String(result.error)
      codes.push(exitCodeOf(result.error))
    }
  }
  if (codes.length === 0) return { metricId: group.id, ok: true, detail: { series }, durationMs }
  const failed = Object.entries(failedSeries)
  const named = failed.slice(0, namedFailures).map(([id, message]) => `${id}: ${message.split('\n')[0]}`)
  if (failed.length > namedFailures) named.push(`and ${failed.length - namedFailures} more`)
  const error = new SeriesFailedError(`${failed.length} of ${group.series.length} series failed: ${named.join('; ')}`, mostRetryWorthy(codes))
  return { metricId: group.id, ok: false, error, durationMs, detail: { series, failedSeries } }
}
