/**
 * `gras pipeline`: features -> train-neural -> train -> infer in one process. Each stage runs on the
 * metrics the previous one produced; a metric that failed is reported and does not stop the others.
 * The global neural model is trained only when `neural` is a candidate, and a failure to train it
 * leaves train with the previously approved version (or without one), as in the workflow.
 */
import { runFeatures } from '../features/run.js'
import { runInfer } from '../infer/run.js'
import type { JobContext } from '../runtime/job-context.js'
import { succeededMetrics, type JobReport } from '../runtime/metric-outcome.js'
import { runTrain } from '../train/run.js'
import { TransientError, UsageError } from '../core/errors.js'
import { metricOfSeries } from '../core/series-id.js'

export async function runPipeline(context: JobContext, requested?: readonly string[]): Promise<JobReport[]> {
  refuseSlices(context)
  const features = await runFeatures(context, requested)
  // features reports metrics; the later jobs take the requested series of the metrics it built.
  const built = succeededMetrics(features)
  const featured = requested && requested.length > 0 ? requested.filter((id) => built.includes(metricOfSeries(id))) : built
  if (featured.length === 0) return [features]
  if (context.config.train.candidates.includes('neural')) await trainNeuralOrWarn(context, featured)
  const train = await runTrain(context, featured)
  const trained = succeededMetrics(train)
  if (trained.length === 0) return [features, train]
  const infer = await runInfer(context, trained)
  return [features, train, infer]
}

/**
 * A shard holding slices of a metric trains series whose features another shard builds: in one
 * process it would find none of this run's, so it is refused (64) rather than run short.
 */
function refuseSlices(context: JobContext): void {
  const shard = context.shard
  const slices = shard?.plan.shards[shard.selection.index]?.slices ?? []
  if (slices.length === 0) return
  const metrics = [...new Set(slices.map((s) => s.metricId))].join(', ')
  throw new UsageError(
    `pipeline --shard ${shard!.selection.index}/${shard!.selection.count}: plan ${shard!.plan.planId} cuts ${metrics} into slices, whose features run in one shard and training in several: run features --shard i/K for every shard first, then train and infer per shard (as the WorkflowTemplate's pipeline does)`,
  )
}

async function trainNeuralOrWarn(context: JobContext, metrics: string[]): Promise<void> {
  try {
    // Loaded on use: TensorFlow.js is large.
    const { runTrainNeural } = await import('../neural/run.js')
    await runTrainNeural(context, metrics, context.config.neural)
  } catch (error) {
    if (error instanceof TransientError) throw error
    context.logger.warn({ err: error, job: 'train-neural', run_id: context.runId }, 'global neural model not trained: train goes on with the approved one, if any')
  }
}
