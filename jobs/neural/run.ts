/**
 * The `train-neural` job: the global model over every metric's silver series, trained on the best
 * TensorFlow.js backend available (the GPU one on GPU nodes) in two phases: backtest networks on the
 * data before the backtest cutoff (training-plan.ts), which `gras train` scores leak-free beside the
 * statistical models, and final networks on all data, which `infer` forecasts with; each phase is an
 * ensemble of `members` networks with consecutive seeds. Each network is checkpointed to the lake
 * every N epochs and on SIGTERM and resumed from its newest checkpoint of the same run id; a network
 * already saved is not trained again. With the wasm and CPU backends, which train a network on one
 * core, the networks train side by side on the run's worker threads (network-pool.ts). The version is registered and approved
 * under the registry id `_neural`; each metric's selection then decides whether to use it.
 */
import * as tf from '@tensorflow/tfjs'
import { backtestForecasts, backtestTruth, type BacktestPlan } from '../core/backtest.js'
import { mase } from '../core/accuracy.js'
import type { ModelContext, ModelFamily } from '../core/models/model.js'
import { networkKeys, neuralMetaKey, neuralModelPrefix, neuralRegistryId, silverFeaturesRoot, type NeuralPhase } from '../core/lake-layout.js'
import { seasonalPeriods } from '../core/models/catalog.js'
import { createNeuralFamily } from '../core/models/neural.js'
import { compactTimestamp } from '../core/time.js'
import { ModelRegistry } from '../io/model-registry.js'
import { SilverReads } from '../io/silver-reader.js'
import { checkRunShapes } from './run-shapes.js'
import { resolveMetrics } from '../runtime/resolve-metrics.js'
import { versionId } from '../io/model-artifacts.js'
import { runCutoffMs, settingsFor } from '../runtime/config-schema.js'
import { InputMissingError, TransientError } from '../core/errors.js'
import type { JobContext } from '../runtime/job-context.js'
import { disableGracefulStop, enableGracefulStop, stopRequested } from '../runtime/termination.js'
import { showEpochProgress } from '../runtime/terminal.js'
import { selectBackend, type BackendName } from './backend.js'
import type { NeuralLoss } from './global-mlp.js'
import { trainOnWorkers, type NetworkOutcome, type NetworkWorkerData } from './network-pool.js'
import { trainNetwork, windowsOfTask, type NetworkEvent, type NetworkRun, type NetworkTask, type NetworkWindows } from './network-training.js'
import { loadNetworks, neuralPredictor, type NeuralMeta } from './predictor.js'
import { planNeuralTraining, type NeuralTrainingPlan } from './training-plan.js'
import { neuralTrainingSetup } from './training-setup.js'
import { pushRunMetrics } from '../runtime/metric-loop.js'
import { RunMetrics } from '../runtime/run-metrics.js'
import { beginRun, endRun } from '../runtime/active-runs.js'

export interface NeuralRunOptions {
  backend?: BackendName
  epochs: number
  members: number
  batchSize: number
  checkpointEvery: number
  seed: number
  /** Input lengths and losses the members cycle through (training-setup.ts); default: config neural.lookbacks, neural.losses. */
  lookbacks?: readonly number[]
  losses?: readonly NeuralLoss[]
}

/**
 * Trains, then pushes the run's metrics (job `train-neural`; also when the run fails or is stopped
 * by SIGTERM, so the Pushgateway shows the failure and the epochs done before it).
 */
export async function runTrainNeural(context: JobContext, requested: readonly string[] | undefined, run: NeuralRunOptions): Promise<{ version: string; backtestMase: number }> {
  enableGracefulStop()
  const log = context.logger.child({ job: 'train-neural', run_id: context.runId })
  const metrics = new RunMetrics('train-neural', context.now(), context.config.observability.maxMetricGroups)
  beginRun(metrics)
  const counts = { used: 0, requested: requested?.length ?? 0 }
  let ok = false
  try {
    const result = await trainNeural(context, log, requested, run, { metrics, counts })
    ok = true
    return result
  } finally {
    endRun(metrics)
    disableGracefulStop()
    const succeeded = ok && !stopRequested()
    // The global model is one piece of work over all its metrics: they succeed or fail together.
    metrics.finish({ ok: succeeded, metricsOk: succeeded ? counts.used : 0, metricsFailed: succeeded ? 0 : Math.max(1, counts.used, counts.requested) }, context.now())
    await pushRunMetrics(context, metrics, log)
    // A SIGTERM that came after the last batch: the work is saved, but the pod is going away.
    if (stopRequested()) throw new TransientError('neural: SIGTERM received; the model is saved, stopping')
  }
}

/** Where a run records what it did: the Prometheus metrics it pushes, and how many metrics it covered. */
interface NeuralRunRecord {
  metrics: RunMetrics
  counts: { used: number; requested: number }
}

async function trainNeural(context: JobContext, log: JobContext['logger'], requested: readonly string[] | undefined, run: NeuralRunOptions, record: NeuralRunRecord): Promise<{ version: string; backtestMase: number }> {
  const backend = await selectBackend(run.backend, (skipped) => log.debug({ skipped }, 'optional backends not available'))
  log.info({ backend: backend.backend }, 'backend selected')
  record.metrics.set('gras_neural_backend', 'TensorFlow.js backend of the last train-neural run (1 for the one used)', 1, { backend: backend.backend })
  for (const phase of ['backtest', 'final'] as const) recordNetwork(record.metrics, phase, { epochsTrained: 0, completed: false, resumed: false })
  const { metrics } = await resolveMetrics(context.lake, silverFeaturesRoot, requested)
  record.counts.requested = metrics.length
  if (metrics.length === 0) throw new InputMissingError('neural: no metrics with features: run gras features first')
  const reads = new SilverReads(context.lake)
  // Features of the run's own cutoff, as train reads them: a backfill never trains on newer data.
  const silver = await Promise.all(metrics.map((m) => reads.read(m, runCutoffMs(settingsFor(context.config, m), context.asOfMs))))
  const plan = planNeuralTraining(
    silver.map((s, i) => {
      const settings = settingsFor(context.config, metrics[i])
      const periods = seasonalPeriods(s.series.stepMs)
      const selection = { horizon: settings.horizon, originCount: context.config.train.backtestOrigins, level: settings.intervalLevel, maseLag: periods[0] }
      return { metricId: metrics[i], series: s.series, selection, periods }
    }),
  )
  record.counts.used = plan.used.length
  if (plan.skipped.length > 0) log.warn({ skipped: plan.skipped, stepMs: plan.stepMs }, 'metrics with another step length left out of the global model')
  const series = plan.used.map((p) => p.series.values)
  // Residuals on the daily seasonal naive forecast: corrections to "same hour the day before" are an
  // easier target than the level itself (windows.ts).
  const baselinePeriod = seasonalPeriods(plan.stepMs)[0]
  const setup = neuralTrainingSetup(series, plan.backtestEnds, { horizon: plan.horizon, baselinePeriod, epochs: run.epochs, batchSize: run.batchSize, seed: run.seed, members: run.members, lookbacks: run.lookbacks ?? context.config.neural.lookbacks, losses: run.losses ?? context.config.neural.losses })
  // The member reading the longest window: its length and windows are the model's `inputSteps` and `windows`.
  const { options, shape, windows } = setup.members.reduce((a, b) => (b.options.inputSteps > a.options.inputSteps ? b : a))
  if (windows.final.count === 0) throw new InputMissingError(`neural: series too short for one window of ${options.inputSteps} + ${options.horizon} steps`)
  const version = versionId(compactTimestamp(plan.finalThroughMs), context.runId)

  await checkRunShapes(context.lake, context.runId, setup.members.map((m) => m.options))
  const tasks: NetworkTask[] = []
  for (const phase of ['backtest', 'final'] as const) {
    for (let member = 0; member < run.members; member++) {
      const prefix = neuralModelPrefix(version, phase, member)
      if (await context.lake.get(networkKeys(prefix).topology)) {
        log.info({ phase, member, version }, 'network already saved by this run: not trained again')
        continue
      }
      tasks.push({ phase, member, prefix, options: setup.members[member].options })
    }
  }
  // Too little history before the cutoff: the backtest network learns from the final windows
  // instead of nothing, and the cutoff recorded below then makes `gras train` refuse its backtest.
  const sets: NetworkWindows = {}
  for (const own of setup.members) sets[own.options.inputSteps] = { backtest: own.windows.backtest.count > 0 ? own.windows.backtest : own.windows.final, final: own.windows.final }
  const outcomes = await trainNetworks(context, log, backend.backend, tasks, sets, run, record.metrics)
  for (const phase of ['backtest', 'final'] as const) {
    const losses = outcomes.filter((o) => o.task.phase === phase && Number.isFinite(o.finalLoss)).map((o) => o.finalLoss)
    if (losses.length > 0) {
      record.metrics.set('gras_neural_training_loss', "Last epoch's training loss (each network's own: neural.losses, MASE units or sMAPE), averaged over the networks the last run trained", mean(losses), { phase })
    }
  }

  const networks = await loadNetworks(context.lake, version, run.members)
  const meta: NeuralMeta = {
    version,
    runId: context.runId,
    inputSteps: options.inputSteps,
    horizon: options.horizon,
    baselinePeriod,
    normalisation: shape.normalisation,
    stepMs: plan.stepMs,
    seed: setup.options.seed,
    epochs: options.epochs,
    batchSize: options.batchSize,
    members: run.members,
    ...(setup.members.every((m) => m.options.inputSteps === options.inputSteps && (m.options.loss ?? 'mase') === 'mase') ? {} : { ensemble: setup.members.map((m) => ({ inputSteps: m.options.inputSteps, loss: m.options.loss ?? 'mase' })) }),
    windows: { backtest: windows.backtest.count, final: windows.final.count },
    backtestCutoffMs: windows.backtest.count > 0 ? plan.backtestCutoffMs : plan.finalThroughMs,
    finalThroughMs: plan.finalThroughMs,
    backtestMase: Number.NaN,
    // No creation time: a rerun of the run writes the same bytes (the registry records when).
    metrics: plan.used.map((p) => p.metricId),
  }
  meta.backtestMase = meanBacktestMase(meta, networks, plan)
  record.metrics.set('gras_neural_backtest_mase', "Backtest MASE of the last run's neural version on each metric's held-out origins, averaged (its validation error)", meta.backtestMase)
  await context.lake.put(neuralMetaKey(version), JSON.stringify(meta, null, 2) + '\n')
  await registerAndApprove(context, meta)
  log.info({ version, epochs: meta.epochs, windows: meta.windows, backtestMase: meta.backtestMase, backtestCutoff: new Date(meta.backtestCutoffMs).toISOString() }, 'neural model saved')
  return { version, backtestMase: meta.backtestMase }
}

/**
 * Trains the networks: side by side on worker threads when the backend runs a network on one core
 * (wasm, cpu) and the run has more than one worker and network, else one after another here (the
 * native backends use every core for one network). The same networks either way.
 */
async function trainNetworks(context: JobContext, log: JobContext['logger'], backend: BackendName, tasks: readonly NetworkTask[], windows: NetworkWindows, run: NeuralRunOptions, metrics: RunMetrics): Promise<NetworkOutcome[]> {
  // Epochs done per network: networks on threads report in any order, so progress is their sum.
  const epochs = new Map<string, number>()
  const onEvent = (event: NetworkEvent) => logNetworkEvent(log, event, run, tasks.length, epochs)
  const threads = singleCoreBackends.includes(backend) ? Math.min(context.workers ?? 1, tasks.length) : 1
  if (threads > 1) {
    log.info({ workers: threads, networks: tasks.length }, 'networks on worker threads')
    const data: NetworkWorkerData = { backend, lakeUri: context.config.lake, network: context.config.network, runId: context.runId, checkpointEvery: run.checkpointEvery, windows }
    return trainOnWorkers(threads, data, tasks, { onEvent, onNetworkEnd: (task, done) => recordNetwork(metrics, task.phase, done), shouldStop: stopRequested })
  }
  const env = { lake: context.lake, runId: context.runId, checkpointEvery: run.checkpointEvery, now: context.now, shouldStop: stopRequested, onEvent }
  const outcomes: NetworkOutcome[] = []
  for (const task of tasks) {
    const done: NetworkRun = { epochsTrained: 0, completed: false, resumed: false }
    // Recorded however the training ends: the epochs a failed or stopped run did still show.
    try {
      outcomes.push({ task, finalLoss: await trainNetwork(env, task, windowsOfTask(windows, task), done), run: done })
    } finally {
      recordNetwork(metrics, task.phase, done)
    }
  }
  return outcomes
}

/** Backends that train a network on one core (wasm without threads under Node: docs/models.md). */
const singleCoreBackends: readonly BackendName[] = ['wasm', 'cpu']

function logNetworkEvent(log: JobContext['logger'], event: NetworkEvent, run: NeuralRunOptions, networks: number, epochs: Map<string, number>): void {
  const { type: _type, ...fields } = event
  if (event.type === 'resumed') return log.info(fields, 'resumed from checkpoint')
  if (event.type === 'stopped') return log.warn(fields, 'stopped by SIGTERM after checkpointing')
  log.info(fields, 'epoch done')
  epochs.set(`${event.phase} ${event.member}`, event.epoch)
  const done = [...epochs.values()].reduce((a, b) => a + b, 0)
  showEpochProgress({ done, total: networks * run.epochs, label: `${event.phase} net ${event.member + 1}/${run.members} epoch ${event.epoch}/${run.epochs} loss ${event.loss.toPrecision(3)}` })
}

/** Adds one network's run to the phase's counts (a zero-valued call makes the series exist). */
function recordNetwork(metrics: RunMetrics, phase: NeuralPhase, network: NetworkRun): void {
  metrics.add('gras_neural_epochs_trained', 'Epochs the last train-neural run trained, summed over the networks of the phase (epochs restored from a checkpoint not counted)', network.epochsTrained, { phase })
  metrics.add('gras_neural_members_trained', 'Ensemble networks of the phase the last run trained to the end (networks already saved by the run id not counted)', network.completed ? 1 : 0, { phase })
  metrics.add('gras_neural_members_resumed', 'Ensemble networks of the phase the last run resumed from a checkpoint', network.resumed ? 1 : 0, { phase })
}

function mean(values: readonly number[]): number {
  return values.reduce((a, b) => a + b, 0) / values.length
}

/** The backtest network scored on each metric's own selection origins, averaged: the registry's figure. */
function meanBacktestMase(meta: NeuralMeta, networks: Record<NeuralPhase, tf.LayersModel[]>, plan: NeuralTrainingPlan): number {
  const family = createNeuralFamily(new Map([[meta.version, neuralPredictor(meta, networks)]]), meta.version)
  const scores = plan.used.flatMap((p, k) => {
    const origins = plan.origins[k]
    if (origins.length === 0) return []
    const context = { periods: p.periods, phase0: Math.round(p.series.startMs / p.series.stepMs), stepMs: p.series.stepMs }
    try {
      return [backtestMase(family, p.series.values, { ...p.selection, origins }, context)]
    } catch {
      return []
    }
  })
  return scores.length > 0 ? mean(scores) : Number.NaN
}

/** The mean MASE over the plan's origins, as scoreBacktest computes it (without its coverage, which nothing here reads). */
function backtestMase(family: ModelFamily, y: Float64Array, plan: BacktestPlan, context: ModelContext): number {
  const truth = backtestTruth(y, plan)
  const forecasts = backtestForecasts(family, y, plan, context)
  const { horizon, origins } = plan
  let sum = 0
  for (let o = 0; o < origins.length; o++) sum += mase(truth.actual.subarray(o * horizon, (o + 1) * horizon), forecasts.subarray(o * horizon, (o + 1) * horizon), truth.scales[o])
  return sum / origins.length
}

async function registerAndApprove(context: JobContext, meta: NeuralMeta): Promise<void> {
  const registry = new ModelRegistry(context.dynamo, context.config.dynamodb.modelsTable)
  const nowIso = new Date(context.now()).toISOString()
  if (!(await registry.getVersion(neuralRegistryId, meta.version))) {
    await registry.register({
      metricId: neuralRegistryId,
      version: meta.version,
      runId: meta.runId,
      model: 'neural',
      backtestMase: meta.backtestMase,
      artifactKey: neuralMetaKey(meta.version),
      createdAt: nowIso,
      decision: 'promoted',
      reason: "newest global model; each metric's backtest decides whether it is used",
    })
  }
  const approved = await registry.getApproved(neuralRegistryId)
  if (approved?.version !== meta.version) await registry.approve(neuralRegistryId, meta.version, approved, `train-neural:${meta.runId}`, nowIso)
}
