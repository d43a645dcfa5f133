/**
 * The `train` job: per group of series (core/series-groups.ts), under one lease, per series:
 * backtest every candidate and select by MASE; then the group's models pack (every series'
 * artifact and backtest report, one object); then per series: register the version, and promote
 * it only if it beats the approved one and was not trained on older data than it (a backfill's
 * version is registered and kept). A series that fails does not stop the others of its group.
 */
import { backtestFamily } from '../core/backtest.js'
import { artifactSchemaVersion, type ModelArtifact } from '../core/artifact.js'
import { modelsPackKey, neuralRegistryId, silverFeaturesRoot } from '../core/lake-layout.js'
import { NeuralOnDemand } from '../neural/on-demand.js'
import { modelCatalog, seasonalPeriods } from '../core/models/catalog.js'
import type { ModelContext, ModelFamily } from '../core/models/model.js'
import { selectModel, type CandidateReport, type Selection } from '../core/select.js'
import { compactTimestamp, toIsoSeconds } from '../core/time.js'
import { InputMissingError } from '../core/errors.js'
import { ModelRegistry, type ApprovedPointer } from '../io/model-registry.js'
import { clearDrift, isDrifted } from '../io/accuracy-table.js'
import { acquireLease, withLease } from '../io/lease-lock.js'
import { runCutoffMs, settingsFor, type MetricSettings } from '../runtime/config-schema.js'
import type { JobContext } from '../runtime/job-context.js'
import type { JobReport, SeriesResult } from '../runtime/metric-outcome.js'
import type { RunMetrics } from '../runtime/run-metrics.js'
import { modelCutoffMs, modelsPackSchemaVersion, readArtifact, versionId, writeModelsPack, type ModelsPack } from '../io/model-artifacts.js'
import { SilverReads, type SilverSeries } from '../io/silver-reader.js'
import { forEachGroup, seriesStep } from '../runtime/metric-loop.js'
import type { SeriesGroup } from '../core/series-groups.js'
import { decidePromotion, type PromotionDecision } from './promotion.js'

/** Longer than any training of one group (train.seriesPerGroup is bounded for it); a run killed mid-training blocks the next for at most this. */
const trainLeaseMs = 2 * 3_600_000

/** Drift flags read at once by `--only drifted`. */
const driftReads = 16

/**
 * `only: 'drifted'` trains just the series the monitor flagged, and clears each flag after training.
 * `cutoff: 'exact'` (a run whose own features step came first) fails a series (66) that has no
 * features of the run's cutoff, rather than train it on the newest older ones as `at-most` does.
 */
export async function runTrain(context: JobContext, requested?: readonly string[], only: 'all' | 'drifted' = 'all', cutoff: TrainCutoff = 'at-most'): Promise<JobReport> {
  const registry = new ModelRegistry(context.dynamo, context.config.dynamodb.modelsTable)
  const table = context.config.monitor.accuracyTable
  // Loaded by the first group that trains: a main thread whose groups run on workers never loads it.
  let neural: Promise<NeuralCandidate> | undefined
  const scope = async (seriesIds: readonly string[]) => {
    const series: string[] = []
    const left = new Map<string, SeriesResult>()
    for (let i = 0; i < seriesIds.length; i += driftReads) {
      const batch = seriesIds.slice(i, i + driftReads)
      // A flag that cannot be read fails its series (a malformed item: 65; throttled: 75), not the job.
      const flags = await Promise.allSettled(batch.map((id) => isDrifted(context.dynamo, table, id)))
      batch.forEach((id, k) => {
        const flag = flags[k]
        if (flag.status === 'rejected') left.set(id, { ok: false, error: flag.reason })
        else if (flag.value) series.push(id)
        else left.set(id, { ok: true, detail: { skipped: 'not flagged for drift' } })
      })
    }
    return { series, left }
  }
  return forEachGroup(context, 'train', silverFeaturesRoot, requested, {
    seriesPerGroup: context.config.train.seriesPerGroup,
    scope: only === 'drifted' ? scope : undefined,
    work: async (group, log, metrics) => {
      const lock = acquireLease(context.dynamo, { table: context.config.dynamodb.modelsTable, metricId: group.id, job: 'train', owner: context.runId, nowMs: context.now(), leaseMs: trainLeaseMs })
      return withLease(lock, async () => trainGroup(context, registry, await (neural ??= neuralCandidate(context, registry)), group, log, metrics, only, cutoff))
    },
  }, { module: import.meta.url, name: 'runTrain', args: [only, cutoff] })
}

/** Which silver train takes: that of the run's cutoff only, or the newest not after it. */
export type TrainCutoff = 'exact' | 'at-most'

interface NeuralCandidate {
  models: NeuralOnDemand
  /** The approved global model version, loaded; undefined when there is none or it failed to load. */
  current?: string
}

/**
 * The approved global model, loaded once for all metrics of the run when `neural` is a candidate.
 * Without one (or unreadable), the candidate is a recorded fallback of every metric, not a failure.
 */
async function neuralCandidate(context: JobContext, registry: ModelRegistry): Promise<NeuralCandidate> {
  const log = context.logger.child({ job: 'train', run_id: context.runId })
  const models = new NeuralOnDemand(context.lake, log)
  if (!context.config.train.candidates.includes('neural')) return { models }
  const approved = await registry.getApproved(neuralRegistryId)
  if (!approved) return { models }
  try {
    await models.family([approved.version])
    return { models, current: approved.version }
  } catch (error) {
    log.warn({ err: error, neuralVersion: approved.version }, 'approved neural model could not be loaded: neural left out of this run')
    return { models }
  }
}

/**
 * One group: select each series on its features, write the group's models pack (before any
 * registry record names it), then register each series' version and promote it if it wins.
 */
async function trainGroup(context: JobContext, registry: ModelRegistry, neural: NeuralCandidate, group: SeriesGroup, log: JobContext['logger'], metrics: RunMetrics, only: 'all' | 'drifted', cutoff: TrainCutoff): Promise<Map<string, SeriesResult>> {
  const results = new Map<string, SeriesResult>()
  const selected: { trained: TrainedMetric; artifact: ModelArtifact; log: JobContext['logger'] }[] = []
  const silver = new SilverReads(context.lake)
  await silver.prefetch(group.series, runCutoffMs(settingsFor(context.config, group.metricId), context.asOfMs))
  for (const seriesId of group.series) {
    const seriesLog = log.child({ metric: seriesId })
    const trained = await seriesStep(group, results, seriesLog, seriesId, () => selectForMetric(context, neural, seriesId, silver, cutoff))
    if (trained) selected.push({ trained, artifact: artifactOf(context, trained), log: seriesLog })
  }
  if (selected.length === 0) return results
  const packKey = modelsPackKey(group.metricId, context.runId, group)
  const pack: ModelsPack = {
    schemaVersion: modelsPackSchemaVersion,
    metricId: group.metricId,
    runId: context.runId,
    group: group.id,
    series: Object.fromEntries(selected.map(({ trained, artifact }) => [trained.metricId, { artifact, backtest: backtestReportOf(context, trained) }])),
  }
  await writeModelsPack(context.lake, packKey, pack)
  for (const { trained, artifact, log: seriesLog } of selected) {
    const detail = await seriesStep(group, results, seriesLog, trained.metricId, async () => {
      const detail = await registerSeries(context, registry, neural, trained, artifact, packKey, seriesLog, metrics)
      if (only === 'drifted') await clearDrift(context.dynamo, context.config.monitor.accuracyTable, trained.metricId, context.runId, new Date(context.now()).toISOString())
      return detail
    })
    if (detail) results.set(trained.metricId, { ok: true, detail })
  }
  return results
}

/** One series whose artifact is in the pack at `packKey`: its version registered, promoted if it wins. */
async function registerSeries(context: JobContext, registry: ModelRegistry, neural: NeuralCandidate, trained: TrainedMetric, artifact: ModelArtifact, packKey: string, log: JobContext['logger'], metrics: RunMetrics): Promise<Record<string, unknown>> {
  const { selection, chosen, version } = trained
  recordSelection(log, metrics, trained, artifact.backtestMase)
  const comparison = await compareWithApproved(registry, neural, trained, artifact.backtestMase, context, log)
  const decision = await decideAndRegister(context, registry, trained, artifact, comparison, packKey)
  const { approved } = comparison
  const detail = {
    version,
    dataCutoff: artifact.dataCutoff,
    model: selection.label,
    backtestMase: artifact.backtestMase,
    promoted: decision.promote,
    approved: decision.promote ? version : approved?.version,
    candidates: selection.candidates.length,
    fallbacks: selection.fallbacks.length,
    fitMs: trained.fitMs,
    coverage: chosen?.coverage ?? Number.NaN,
    ...intervalAgainstRange(selection.halfWidths, trained.series.values),
  }
  log.info({ ...detail, reason: decision.reason }, 'model trained')
  return detail
}

/** What selection made of one metric's features, and what the later steps need to go on. */
interface TrainedMetric {
  metricId: string
  settings: MetricSettings
  series: SilverSeries['series']
  manifest: SilverSeries['manifest']
  periods: number[]
  modelContext: ModelContext
  catalog: ReturnType<typeof modelCatalog>
  selection: Selection
  /** The winner's backtest report. */
  chosen?: CandidateReport
  version: string
  trainedThroughMs: number
  /** Wall time of the selection (backtests and final fits). */
  fitMs: number
}

/** Reads the metric's features at the run's cutoff and selects among the candidates. */
async function selectForMetric(context: JobContext, neural: NeuralCandidate, metricId: string, silver: SilverReads, cutoff: TrainCutoff): Promise<TrainedMetric> {
  const settings = settingsFor(context.config, metricId)
  // Features of the run's own cutoff: a backfill trains on what was known then, never on newer data.
  const cutoffMs = runCutoffMs(settings, context.asOfMs)
  const { series, manifest } = await silver.read(metricId, cutoffMs)
  if (cutoff === 'exact' && Date.parse(manifest.window.end) !== cutoffMs) {
    // The run's features step failed for it (or never ran): older features would pass for this run's.
    throw new InputMissingError(`train: no features of ${metricId} as of ${toIsoSeconds(cutoffMs)} (the newest, to ${manifest.window.end}, is older): features of this run failed or did not run for it (--cutoff exact); run gras features --as-of ${toIsoSeconds(cutoffMs)}`)
  }
  const periods = seasonalPeriods(series.stepMs)
  const modelContext: ModelContext = { periods, phase0: Math.round(series.startMs / series.stepMs), stepMs: series.stepMs }
  const neuralFamily = neural.current ? await neural.models.family([neural.current], neural.current) : undefined
  const catalog = modelCatalog({ arimaMaxLength: context.config.train.arimaMaxLength, arimaSearch: { maxOrder: context.config.train.arimaMaxOrder, searchOnce: context.config.train.arimaSearchOnce }, neural: neuralFamily })
  const names = new Set(['snaive' as const, ...context.config.train.candidates])
  const families = [...names].map((name) => catalog[name])
  const train = context.config.train
  const options = { horizon: settings.horizon, originCount: train.backtestOrigins, level: settings.intervalLevel, maseLag: periods[0], combinationMargin: train.combinationMargin }
  const fitStartedMs = context.now()
  const selection = selectModel(series.values, families, modelContext, options)
  const trainedThroughMs = series.startMs + series.values.length * series.stepMs
  const version = versionId(compactTimestamp(trainedThroughMs), context.runId)
  const chosen = selection.candidates.find((c) => c.model === selection.label)
  return { metricId, settings, series, manifest, periods, modelContext, catalog, selection, chosen, version, trainedThroughMs, fitMs: context.now() - fitStartedMs }
}

function artifactOf(context: JobContext, trained: TrainedMetric): ModelArtifact {
  const { metricId, version, selection, periods, series, settings, chosen } = trained
  return {
    schemaVersion: artifactSchemaVersion,
    metricId,
    version,
    runId: context.runId,
    model: selection.model,
    label: selection.label,
    params: selection.params,
    periods,
    stepMs: series.stepMs,
    horizon: settings.horizon,
    intervalLevel: settings.intervalLevel,
    nonNegative: settings.nonNegative,
    halfWidths: Array.from(selection.halfWidths),
    backtestMase: chosen?.mase ?? Number.NaN,
    candidates: selection.candidates,
    fallbacks: selection.fallbacks,
    trainedThrough: toIsoSeconds(trained.trainedThroughMs),
    dataCutoff: trained.manifest.window.end,
  }
}

function backtestReportOf(context: JobContext, { metricId, version, selection, series, settings }: TrainedMetric): Record<string, unknown> {
  return {
    metricId,
    version,
    runId: context.runId,
    chosen: selection.label,
    origins: selection.origins.map((i) => toIsoSeconds(series.startMs + i * series.stepMs)),
    horizon: settings.horizon,
    intervalLevel: settings.intervalLevel,
    candidates: selection.candidates,
    fallbacks: selection.fallbacks,
  }
}

/** The fallbacks as log lines and counters, and the winner's scores as per-metric gauges. */
function recordSelection(log: JobContext['logger'], metrics: RunMetrics, { metricId, selection, chosen }: TrainedMetric, backtestMase: number): void {
  for (const fallback of selection.fallbacks) {
    log.warn({ model: fallback.model, reason: fallback.reason, detail: fallback.detail }, 'model fallback')
    metrics.add('gras_model_fallbacks', 'Candidate models that failed and were skipped in the last run, by reason', 1, { reason: fallback.reason })
  }
  metrics.add('gras_series_trained', 'Series trained in the last run', 1)
  metrics.setForMetric(metricId, 'gras_backtest_mase', 'Backtest MASE of the model trained last', backtestMase)
  metrics.setForMetric(metricId, 'gras_backtest_coverage', 'Backtest interval coverage of the model trained last', chosen?.coverage ?? Number.NaN)
  metrics.setForMetric(metricId, 'gras_chosen_model', 'Model chosen by the last training (1 for the chosen one)', 1, { model: selection.label })
}

interface Comparison {
  approved?: ApprovedPointer
  candidateMase: number
  approvedMase?: number
  approvedCutoffMs?: number
}

/**
 * Promotion weighs the candidate's backtest MASE (the number its artifact, the registry and every
 * command show) against the approved model's fixed parameters scored on today's origins.
 */
async function compareWithApproved(registry: ModelRegistry, neural: NeuralCandidate, trained: TrainedMetric, backtestMase: number, context: JobContext, log: JobContext['logger']): Promise<Comparison> {
  const { metricId, version, settings, selection, periods, series, modelContext, catalog } = trained
  const approved = await registry.getApproved(metricId)
  if (!approved || approved.version === version) return { approved, candidateMase: backtestMase }
  const plan = { horizon: settings.horizon, origins: selection.origins, maseLag: periods[0], level: settings.intervalLevel }
  const scoreFixed = (family: ModelFamily, params: unknown): number =>
    plan.origins.length > 0 ? backtestFamily(family, series.values, plan, modelContext, params).mase : Number.NaN
  const candidateMase = backtestMase
  let approvedMase: number
  let approvedCutoffMs: number | undefined
  const record = await registry.getVersion(metricId, approved.version)
  try {
    const current = await readArtifact(context.lake, { metricId, version: approved.version, artifactKey: record?.artifactKey })
    approvedCutoffMs = modelCutoffMs(approved.version, current)
    // The approved model may use an older global model: its backtest networks are re-scored too.
    await neural.models.prepare(catalog, current.model, current.params, neural.current)
    approvedMase = current.horizon === settings.horizon ? scoreFixed(catalog[current.model], current.params) : Number.NaN
  } catch (error) {
    log.warn({ err: error, approved: approved.version }, 'approved model could not be re-scored')
    approvedMase = Number.NaN
  }
  approvedCutoffMs ??= modelCutoffMs(approved.version, record)
  return { approved, candidateMase, approvedMase, approvedCutoffMs }
}

/**
 * Decides promotion, registers the version and moves the pointer. A rerun of the same run (a retried
 * step, a rerun after a kill) keeps the decision it recorded first and only completes what is
 * missing (the pointer); it never decides again.
 */
async function decideAndRegister(context: JobContext, registry: ModelRegistry, { metricId, version, selection, manifest }: TrainedMetric, artifact: ModelArtifact, comparison: Comparison, packKey: string): Promise<PromotionDecision> {
  const { approved, candidateMase, approvedMase, approvedCutoffMs } = comparison
  const recorded = await registry.getVersion(metricId, version)
  const nowIso = new Date(context.now()).toISOString()
  const decision = recorded
    ? { promote: recorded.decision === 'promoted' && approved?.version !== version, reason: recorded.reason }
    : decidePromotion(candidateMase, approvedMase, context.config.train.promotionMargin, {
        candidateMs: Date.parse(manifest.window.end),
        approvedMs: Number.isFinite(approvedCutoffMs) ? approvedCutoffMs : undefined,
      })
  // A rerun whose groups came out otherwise (the series of the metric changed) wrote the version
  // into another pack: the record is moved to it, its decision and time kept.
  if (!recorded || recorded.artifactKey !== packKey) {
    await registry.register({
      metricId,
      version,
      runId: context.runId,
      model: selection.label,
      backtestMase: artifact.backtestMase,
      artifactKey: packKey,
      createdAt: recorded?.createdAt ?? nowIso,
      decision: recorded?.decision ?? (decision.promote ? 'promoted' : 'kept'),
      reason: decision.reason,
      dataCutoff: artifact.dataCutoff,
    })
  }
  if (decision.promote) await registry.approve(metricId, version, approved, `train:${context.runId}`, nowIso)
  return decision
}

/** The widest interval of the forecast beside the range of the history, for the run summary's check. */
function intervalAgainstRange(halfWidths: ArrayLike<number>, values: ArrayLike<number>): { intervalWidth: number; seriesRange: number } {
  let width = 0
  let low = Infinity
  let high = -Infinity
  for (let i = 0; i < halfWidths.length; i++) width = Math.max(width, 2 * halfWidths[i])
  for (let i = 0; i < values.length; i++) {
    low = Math.min(low, values[i])
    high = Math.max(high, values[i])
  }
  return { intervalWidth: width, seriesRange: high - low }
}
