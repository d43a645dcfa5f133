/**
 * The job runs in progress in this process, so that process-level events (an AWS SDK retry, a
 * SIGTERM) are recorded against the right run and a terminated run still pushes its metrics.
 */
import type { RunMetrics } from './run-metrics.js'

const active = new Set<RunMetrics>()

export function beginRun(metrics: RunMetrics): void {
  active.add(metrics)
}

export function endRun(metrics: RunMetrics): void {
  active.delete(metrics)
}

export function activeRuns(): RunMetrics[] {
  return [...active]
}

/** Counts a retry of an AWS operation against every run in progress (normally exactly one). */
export function recordAwsRetry(operation: string, retries: number): void {
  for (const run of active) run.add('gras_aws_retries', 'AWS SDK request retries in the last run, by operation', retries, { operation })
}
