/**
 * Prometheus metrics of one job run (prom-client, a registry per run, never the global one), pushed
 * to a Pushgateway at the end (also on failure and SIGTERM), since batch jobs end before any scrape.
 *
 * Grouping keys: `job` for job-wide series, `job` + `shard` for those of one shard of a plan of more
 * than one (`--shard i/K`: `shard="<i>of<K>"`, so the shards of one run do not overwrite each other),
 * `job` + `metric` for per-metric ones (a metric, or a series of a cut metric, is run by one shard of
 * a run, so these need no shard). Never the pod or the run id, so a rerun (a retried shard too)
 * replaces its predecessor's series instead of adding new ones. A shard group whose index left the
 * plan (8 shards, then 4) stays on the Pushgateway: every job-wide group carries `gras_job_shards`,
 * by which the alerts and dashboards read only a job's current groups (charts/gras-forecast/files/
 * alerts.yaml says which). Cardinality: per-metric groups are pushed for at most
 * `maxMetricGroups` metrics (the first by name); with thousands of metrics the rest appear only in
 * job-wide aggregates (counts and a MASE histogram).
 */
import { Gauge, Histogram, Pushgateway, Registry } from 'prom-client'
import type { ShardSelection } from '../core/shard-plan.js'

/** The jobs, named as the CLI subcommand, the Argo template and the Pushgateway's `job` label. */
export type JobName = 'features' | 'train' | 'train-neural' | 'infer' | 'monitor'

interface PerMetric {
  registry: Registry
  gauges: Map<string, Gauge>
}

export class RunMetrics {
  readonly registry = new Registry()
  private readonly gauges = new Map<string, Gauge>()
  private readonly perMetric = new Map<string, PerMetric>()
  private readonly maseHistogram: Histogram
  private readonly startedMs: number
  /** The job-wide group's labels besides `job`, and the plan's shard count (1: unsharded). */
  private readonly grouping: Record<string, string>
  private readonly shards: number

  constructor(
    readonly job: JobName,
    nowMs: number,
    private readonly maxMetricGroups = 500,
    shard?: ShardSelection,
  ) {
    this.startedMs = nowMs
    // One shard of one is every metric, as an unsharded run: the same group. `<i>of<K>` is the same
    // for every retry of the shard, and letters and digits only, a path segment as it stands.
    this.shards = shard?.count ?? 1
    this.grouping = this.shards > 1 ? { shard: `${shard!.index}of${this.shards}` } : {}
    this.maseHistogram = new Histogram({
      name: 'gras_backtest_mase_distribution',
      help: 'Backtest MASE of the models trained in the run, over all metrics',
      buckets: [0.25, 0.5, 0.75, 1, 1.5, 2, 3, 5],
      registers: [this.registry],
    })
  }

  private gauge(name: string, help: string, labelNames: string[] = []): Gauge {
    let gauge = this.gauges.get(name)
    if (!gauge) {
      gauge = new Gauge({ name, help, labelNames, registers: [this.registry] })
      this.gauges.set(name, gauge)
    }
    return gauge
  }

  /** Adds to a job-wide gauge (counts of the run). */
  add(name: string, help: string, value: number, labels: Record<string, string> = {}): void {
    this.gauge(name, help, Object.keys(labels)).inc(labels, value)
  }

  /** Sets a job-wide gauge (a figure of the run, such as a final loss). */
  set(name: string, help: string, value: number, labels: Record<string, string> = {}): void {
    this.gauge(name, help, Object.keys(labels)).set(labels, value)
  }

  /** Sets a per-metric gauge, if this metric is among the ones that get their own group. */
  setForMetric(metricId: string, name: string, help: string, value: number, labels: Record<string, string> = {}): void {
    if (name === 'gras_backtest_mase' && Number.isFinite(value)) this.maseHistogram.observe(value)
    let entry = this.perMetric.get(metricId)
    if (!entry) {
      if (this.perMetric.size >= this.maxMetricGroups) return
      entry = { registry: new Registry(), gauges: new Map() }
      this.perMetric.set(metricId, entry)
    }
    let gauge = entry.gauges.get(name)
    if (!gauge) {
      gauge = new Gauge({ name, help, labelNames: Object.keys(labels), registers: [entry.registry] })
      entry.gauges.set(name, gauge)
    }
    gauge.set(labels, value)
  }

  /** Records the end of the run: duration, failure flag and, on success, the success time. */
  finish(outcome: { ok: boolean; metricsOk: number; metricsFailed: number }, nowMs: number): void {
    this.gauge('gras_job_duration_seconds', 'Wall time of the last run').set((nowMs - this.startedMs) / 1000)
    this.gauge('gras_job_failed', '1 when the last run failed (any metric), else 0').set(outcome.ok ? 0 : 1)
    this.gauge('gras_job_last_run_timestamp_seconds', 'End time of the last run').set(nowMs / 1000)
    this.gauge('gras_job_shards', 'Shards of the plan the last run was one shard of (1: unsharded)').set(this.shards)
    const perOutcome = this.gauge('gras_job_metrics', 'Metrics processed by the last run, by outcome', ['outcome'])
    perOutcome.set({ outcome: 'ok' }, outcome.metricsOk)
    perOutcome.set({ outcome: 'failed' }, outcome.metricsFailed)
    // Only a success moves this; on failure the Pushgateway keeps the previous value (POST semantics).
    if (outcome.ok) this.gauge('gras_job_last_success_timestamp_seconds', 'End time of the last successful run').set(nowMs / 1000)
  }

  /** Pushes every group; returns the errors instead of throwing (a failed push never fails the job). */
  async push(url: string, timeoutMs = 5000): Promise<Error[]> {
    const errors: Error[] = []
    const send = async (registry: Registry, groupings: Record<string, string>) => {
      try {
        await new Pushgateway(url, { timeout: timeoutMs }, registry).pushAdd({ jobName: this.job, groupings })
      } catch (error) {
        errors.push(error as Error)
      }
    }
    await send(this.registry, this.grouping)
    for (const [metricId, entry] of this.perMetric) await send(entry.registry, { metric: metricId })
    return errors
  }
}
