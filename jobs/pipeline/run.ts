/**
 * `gras pipeline`: features -> train -> infer in one process. Each stage runs on the metrics the
 * previous one produced; a metric that failed is reported and does not stop the others.
 */
import { runFeatures } from '../features/run.js'
import { runInfer } from '../infer/run.js'
import type { JobContext } from '../runtime/job-context.js'
import { succeededMetrics, type JobReport } from '../runtime/metric-outcome.js'
import { runTrain } from '../train/run.js'

export async function runPipeline(context: JobContext, requested?: readonly string[]): Promise<JobReport[]> {
  const features = await runFeatures(context, requested)
  const featured = succeededMetrics(features)
  if (featured.length === 0) return [features]
  const train = await runTrain(context, featured)
  const trained = succeededMetrics(train)
  if (trained.length === 0) return [features, train]
  const infer = await runInfer(context, trained)
  return [features, train, infer]
}
