/**
 * The loop every job runs: resolve the metrics under a lake root, run each unit with its own
 * child logger, keep going past a failure, report every outcome (in the resolved order), and push
 * the run's Prometheus metrics at the end (a failed push is logged, never fatal). A unit is a
 * metric (forEachMetric: features, one bronze read per metric) or a group of series of one metric
 * (forEachGroup: train, infer, monitor, one lease and one set of objects per group). With
 * `context.workers` above one and a worker entry, the units run on that many threads: this one
 * and worker threads (metric-pool.ts) running the job's own code; the results are those of one.
 */
import { pino, type DestinationStream } from 'pino'
import type { JobContext } from './job-context.js'
import type { Logger } from './logger.js'
import { groupOutcome, type JobReport, type MetricOutcome, type SeriesResult } from './metric-outcome.js'
import { RunMetrics } from './run-metrics.js'
import { RecordingMetrics, replay, type MetricsCall } from './recording-metrics.js'
import { startWorkers, type SentOutcome, type WorkerEntry } from './metric-pool.js'
import { sendError } from './metric-errors.js'
import { beginRun, endRun } from './active-runs.js'
import { activeTerminal } from './terminal.js'
import { noMetricsError, resolveMetrics } from './resolve-metrics.js'
import { metricOfSeries } from '../core/series-id.js'
import { groupSeries, type SeriesGroup } from '../core/series-groups.js'
import { groupsOfSlices, type MetricSlices } from '../core/shard-slices.js'
import { runCutoffMs, settingsFor } from './config-schema.js'

export type MetricWork = (metricId: string, log: Logger, metrics: RunMetrics) => Promise<Record<string, unknown>>

/**
 * The work of one group: every series of `group` gets a result (a series that fails does not
 * stop the others); an error thrown fails the whole group. `log` is the group's logger (`group`:
 * the group id); a series' own lines belong on a child with `metric`: its series id.
 */
export type GroupWork = (group: SeriesGroup, log: Logger, metrics: RunMetrics) => Promise<ReadonlyMap<string, SeriesResult>>

/** What forEachGroup runs: the groups' work, and optionally what narrows the series before grouping. */
export interface GroupJob {
  /**
   * Keeps the series to work on (`train --only drifted`: the flagged ones), in the main thread,
   * before grouping; each series left out is reported with the result given (a series whose
   * check failed, as that failure).
   */
  scope?: (seriesIds: readonly string[], log: Logger) => Promise<{ series: string[]; left: ReadonlyMap<string, SeriesResult> }>
  /** Series per group (`train.seriesPerGroup`). */
  seriesPerGroup: number
  work: GroupWork
}

/**
 * One step of one series of a group's work: its value, or undefined after recording the series'
 * failure in `results` (and logging it, unless the series is the group itself, whose failure the
 * loop logs as the metric's).
 */
export async function seriesStep<T>(group: SeriesGroup, results: Map<string, SeriesResult>, seriesLog: Logger, seriesId: string, body: () => Promise<T>): Promise<T | undefined> {
  try {
    return await body()
  } catch (error) {
    if (seriesId !== group.id) seriesLog.error({ err: error }, 'series failed')
    results.set(seriesId, { ok: false, error })
    return undefined
  }
}

/** Where a worker's loop takes its units from and sends its outcomes to (metric-worker.ts). */
export interface MetricSource {
  next(): Promise<SeriesGroup | undefined>
  report(outcome: SentOutcome, calls: MetricsCall[]): void
}

let served: MetricSource | undefined

/** Makes every forEachMetric and forEachGroup of this thread take its units from `source`: called once, by a metric worker. */
export function serveMetrics(source: MetricSource): void {
  served = source
}

/** Runs one unit; its outcome, whatever it throws. */
type UnitRunner = (unit: SeriesGroup, log: Logger, metrics: RunMetrics) => Promise<MetricOutcome>

/**
 * Runs `work` for each metric under `root` (or each of `requested`). `entry` names the job function
 * a worker thread calls to get the same `work`; without it the metrics run in this thread.
 */
export async function forEachMetric(
  context: JobContext,
  job: JobReport['job'],
  root: string,
  requested: readonly string[] | undefined,
  work: MetricWork,
  entry?: WorkerEntry,
): Promise<JobReport> {
  const runUnit: UnitRunner = async (unit, log, metrics) => {
    const metricLog = log.child({ metric: unit.id })
    const started = context.now()
    try {
      return { metricId: unit.id, ok: true, detail: await work(unit.id, metricLog, metrics), durationMs: context.now() - started }
    } catch (error) {
      metricLog.error({ err: error }, 'metric failed')
      return { metricId: unit.id, ok: false, error, durationMs: context.now() - started }
    }
  }
  const unitsOf = async (ids: readonly string[]) => ({ units: ids.map((id) => ({ id, metricId: id, index: 1, count: 1, series: [id] })), left: [] })
  return forEachUnit(context, job, root, requested, unitsOf, runUnit, entry)
}

/**
 * Runs `job.work` for each group of the series under `root` (or of `requested`): the series the
 * lake (and the shard) holds, narrowed by `job.scope`, grouped by core/series-groups.ts. The
 * report has one outcome per group (groupOutcome), per series left out of scope, and per
 * requested id the lake lacks.
 */
export async function forEachGroup(
  context: JobContext,
  name: JobReport['job'],
  root: string,
  requested: readonly string[] | undefined,
  job: GroupJob,
  entry?: WorkerEntry,
): Promise<JobReport> {
  const runUnit: UnitRunner = async (group, log, metrics) => {
    const groupLog = log.child({ metric: group.id })
    const started = context.now()
    try {
      const results = await job.work(group, log.child({ group: group.id }), metrics)
      const outcome = groupOutcome(group, results, context.now() - started)
      if (!outcome.ok) groupLog.error({ err: outcome.error, series: group.series.length }, 'metric failed')
      return outcome
    } catch (error) {
      groupLog.error({ err: error, series: group.series.length }, 'metric failed')
      return { metricId: group.id, ok: false, error, durationMs: context.now() - started }
    }
  }
  const unitsOf = async (ids: readonly string[], log: Logger, slices: ReadonlyMap<string, MetricSlices>) => {
    // A metric cut into slices is grouped over every series found, before the scope narrows it:
    // each shard so computes the same groups and runs only its slices' (core/shard-slices.ts).
    const cut = ids.filter((id) => slices.has(metricOfSeries(id)))
    const sliced = groupsOfSlices(groupSeries(cut, job.seriesPerGroup), slices)
    for (const { metricId, slices: of, groups } of sliced.idle) log.info({ metric: metricId, slices: of.owned, sliceCount: of.count, groups }, 'no group of the metric in this shard\'s slices: nothing to do')
    const whole = ids.filter((id) => !slices.has(metricOfSeries(id)))
    const candidates = [...whole, ...sliced.groups.flatMap((g) => g.series)]
    const scoped = job.scope ? await job.scope(candidates, log) : { series: candidates, left: new Map<string, SeriesResult>() }
    const left: MetricOutcome[] = [...scoped.left].map(([metricId, result]) => {
      if (!result.ok) log.error({ metric: metricId, err: result.error }, 'metric failed')
      return { metricId, ...result }
    })
    const kept = new Set(scoped.series)
    const ofSlices = sliced.groups.map((g) => ({ ...g, series: g.series.filter((id) => kept.has(id)) })).filter((g) => g.series.length > 0)
    const units = [...groupSeries(scoped.series.filter((id) => !slices.has(metricOfSeries(id))), job.seriesPerGroup), ...ofSlices]
    units.sort((a, b) => (a.metricId < b.metricId ? -1 : a.metricId > b.metricId ? 1 : a.index - b.index))
    return { units, left, idle: sliced.idle.length > 0 }
  }
  return forEachUnit(context, name, root, requested, unitsOf, runUnit, entry)
}

/** The units of the resolved ids (of a sharded run, with the slices it runs), and the outcomes of ids that need no work. */
type UnitsOf = (ids: readonly string[], log: Logger, slices: ReadonlyMap<string, MetricSlices>) => Promise<{ units: SeriesGroup[]; left: MetricOutcome[]; idle?: boolean }>

async function forEachUnit(
  context: JobContext,
  job: JobReport['job'],
  root: string,
  requested: readonly string[] | undefined,
  unitsOf: UnitsOf,
  runUnit: UnitRunner,
  entry?: WorkerEntry,
): Promise<JobReport> {
  const log = context.logger.child({ job, run_id: context.runId })
  if (served) return serveWorkerMetrics(served, context, job, log, runUnit)
  const started = context.now()
  const metrics = new RunMetrics(job, started, context.config.observability.maxMetricGroups, context.shard?.selection)
  beginRun(metrics)
  const outcomes: MetricOutcome[] = []
  const terminal = activeTerminal()
  let idle = false
  try {
    // The run's own cutoff lists a cut metric's series: its shards then group the same list.
    const packCutoff = (metricId: string) => runCutoffMs(settingsFor(context.config, metricId), context.asOfMs)
    const resolved = await resolveMetrics(context.lake, root, requested, context.shard, packCutoff)
    // No success without work: an empty or missing lake is an error, not a run over zero metrics.
    // A planned shard may have none for this job (only slices whose metric's features run in the
    // shard of slice 0, or none of the requested metrics): that is the other shards' work.
    if (resolved.metrics.length === 0 && resolved.missing.length === 0) {
      const planned = context.shard?.plan.shards[context.shard.selection.index]
      if (!planned || planned.metrics.length + (planned.slices?.length ?? 0) === 0) throw await noMetricsError(context.lake, job, root)
      idle = true
      log.info({ shard: `${context.shard!.selection.index}/${context.shard!.selection.count}`, plan: context.shard!.plan.planId }, 'nothing for this job in this shard: its planned metrics are run here by other shards (a cut metric\'s features by the shard of its slice 0)')
    }
    if (resolved.invalidPartitions.length > 0) log.warn({ partitions: resolved.invalidPartitions }, 'skipped partitions with invalid metric ids')
    if (resolved.unplanned.length > 0) log.warn({ plan: context.shard?.plan.planId, metrics: resolved.unplanned }, 'metrics not in the shard plan: placed in this shard by their id; run gras plan to rebalance')
    for (const { metricId, error } of resolved.missing) {
      log.error({ metric: metricId, err: error }, 'metric failed')
      outcomes.push({ metricId, ok: false, error })
    }
    const { units, left, idle: idleSlices } = await unitsOf(resolved.metrics, log, resolved.slices)
    // Slices that own no group this run (fewer groups than slices): the other shards' work, not a failure.
    if (idleSlices && units.length === 0 && left.length === 0 && outcomes.length === 0) idle = true
    outcomes.push(...left)
    // Progress counts series (a metric's unit of features is one): a group moves it by its size.
    const sizes = new Map(units.map((unit) => [unit.id, unit.series.length]))
    let seriesDone = 0
    terminal?.beginTask(job, units.reduce((n, unit) => n + unit.series.length, 0), 'metrics')
    const done: MetricOutcome[] = []
    const record = (outcome: MetricOutcome) => {
      done.push(outcome)
      seriesDone += sizes.get(outcome.metricId) ?? 1
      terminal?.stepTask(seriesDone, outcome.metricId)
    }
    // The main thread is one of the workers: it takes units from the same queue while the others
    // start, so a run of few units is never slower than one thread.
    const queue = [...units]
    const threads = entry ? Math.min(context.workers ?? 1, units.length) - 1 : 0
    if (threads > 0) log.info({ workers: threads + 1, metrics: units.length }, 'metrics on worker threads')
    const pool =
      threads > 0
        ? startWorkers(threads, workerData(context, job, entry!), queue, {
            writeLog: rootStreamOf(context.logger),
            onOutcome(outcome, calls) {
              replay(calls, metrics)
              record(outcome)
            },
            onWorkerFailed: (error) => log.error({ err: error }, 'metric worker failed: its metrics run on the others'),
          })
        : undefined
    for (let unit = queue.shift(); unit !== undefined; unit = queue.shift()) record(await runUnit(unit, log, metrics))
    await pool?.finish()
    const order = new Map(units.map((unit, i) => [unit.id, i]))
    outcomes.push(...done.sort((a, b) => order.get(a.metricId)! - order.get(b.metricId)!))
  } finally {
    terminal?.endTask()
    endRun(metrics)
    const failed = outcomes.filter((o) => !o.ok).length
    const ok = failed === 0 && (outcomes.length > 0 || idle)
    metrics.finish({ ok, metricsOk: outcomes.length - failed, metricsFailed: failed }, context.now())
    // `ok` is what gras_job_failed reports (0 or 1): the alert's reason, in the log too.
    log.info({ metrics: outcomes.length, failed, ok, durationMs: context.now() - started }, 'job finished')
    await pushRunMetrics(context, metrics, log)
  }
  return { job, outcomes }
}

function workerData(context: JobContext, job: JobReport['job'], entry: WorkerEntry) {
  return { entry, job, config: context.config, runId: context.runId, asOfMs: context.asOfMs, logLevel: context.logger.level, dynamoEndpoint: context.dynamoEndpoint }
}

/** Writes a finished log line (a worker's, already carrying its run id, job and metric) to the root logger's destination. */
function rootStreamOf(logger: Logger): (line: string) => void {
  const stream = (logger as unknown as Record<symbol, DestinationStream>)[pino.symbols.streamSym]
  return (line) => stream.write(line)
}

/** A metric worker's loop: units from the main thread, one at a time; outcomes and metric calls back to it. */
async function serveWorkerMetrics(source: MetricSource, context: JobContext, job: JobReport['job'], log: Logger, runUnit: UnitRunner): Promise<JobReport> {
  const metrics = new RecordingMetrics(job, context.now())
  // AWS retries recorded against this worker's run are sent with the unit they happened in.
  beginRun(metrics)
  try {
    for (let unit = await source.next(); unit !== undefined; unit = await source.next()) {
      const outcome = await runUnit(unit, log, metrics)
      const durationMs = outcome.durationMs ?? 0
      source.report(outcome.ok ? { ...outcome, durationMs } : { ...outcome, durationMs, error: sendError(outcome.error) }, metrics.take())
    }
  } finally {
    endRun(metrics)
  }
  return { job, outcomes: [] }
}

/** Pushes to the configured Pushgateway, if any; logs and swallows failures. */
export async function pushRunMetrics(context: Pick<JobContext, 'pushgatewayUrl'>, metrics: RunMetrics, log: Logger): Promise<void> {
  if (!context.pushgatewayUrl) return
  const errors = await metrics.push(context.pushgatewayUrl)
  if (errors.length > 0) log.warn({ pushgateway: context.pushgatewayUrl, failures: errors.length, err: errors[0] }, 'metrics push failed')
  else log.debug({ pushgateway: context.pushgatewayUrl }, 'metrics pushed')
}
