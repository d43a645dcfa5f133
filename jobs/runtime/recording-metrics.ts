/**
 * The run metrics of a metric worker: every `add` and `setForMetric` is kept as a call and sent to
 * the main thread with the metric's outcome, which replays it on the run's one RunMetrics (so the
 * pushed groups and counts are those of a run in one thread).
 */
import { RunMetrics, type JobName } from './run-metrics.js'

export type MetricsCall = { kind: 'add'; args: Parameters<RunMetrics['add']> } | { kind: 'setForMetric'; args: Parameters<RunMetrics['setForMetric']> }

export class RecordingMetrics extends RunMetrics {
  private calls: MetricsCall[] = []

  constructor(job: JobName, nowMs: number) {
    super(job, nowMs)
  }

  override add(...args: Parameters<RunMetrics['add']>): void {
    this.calls.push({ kind: 'add', args })
  }

  override setForMetric(...args: Parameters<RunMetrics['setForMetric']>): void {
    this.calls.push({ kind: 'setForMetric', args })
  }

  /** The calls since the last take. */
  take(): MetricsCall[] {
    const out = this.calls
    this.calls = []
    return out
  }
}

export function replay(calls: readonly MetricsCall[], metrics: RunMetrics): void {
  for (const call of calls) {
    if (call.kind === 'add') metrics.add(...call.args)
    else metrics.setForMetric(...call.args)
  }
}
