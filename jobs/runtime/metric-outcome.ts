/**
 * What a job did for each metric. A job keeps going past a failed metric and reports every
 * outcome; its exit code is decided once, from the outcomes, in jobExitCode.
 */
import { ExitCode, exitCodeOf, type ExitCodeValue } from '../core/errors.js'
import type { JobName } from './run-metrics.js'

/** `durationMs`: wall time of the metric's work in this job (absent when it never started). */
export type MetricOutcome =
  | { metricId: string; ok: true; detail: Record<string, unknown>; durationMs?: number }
  | { metricId: string; ok: false; error: unknown; durationMs?: number }

export interface JobReport {
  job: JobName
  outcomes: MetricOutcome[]
}

/** 0 when every metric succeeded; otherwise the code of the most retry-worthy failure (transient first). */
export function jobExitCode(report: JobReport): ExitCodeValue {
  const codes = report.outcomes.filter((o) => !o.ok).map((o) => exitCodeOf((o as { error: unknown }).error))
  if (codes.length === 0) return ExitCode.ok
  for (const preferred of [ExitCode.transient, ExitCode.internal, ExitCode.dataError, ExitCode.noInput, ExitCode.config]) {
    if (codes.includes(preferred)) return preferred
  }
  return codes[0]
}

export function succeededMetrics(report: JobReport): string[] {
  return report.outcomes.filter((o) => o.ok).map((o) => o.metricId)
}
