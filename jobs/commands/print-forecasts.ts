/** `gras pipeline --print`: a forecast table per metric the run's infer job forecast, read back from DynamoDB. */
import { hourMs, toIsoSeconds } from '../core/time.js'
import type { JobReport } from '../runtime/metric-outcome.js'
import type { JobContext } from '../runtime/job-context.js'
import { fetchPredictions, formatPredictions } from './predictions.js'

export async function printRunForecasts(context: JobContext, reports: readonly JobReport[], out: NodeJS.WritableStream): Promise<void> {
  const infer = reports.find((r) => r.job === 'infer')
  for (const outcome of infer?.outcomes ?? []) {
    if (!outcome.ok) continue
    const items = await fetchPredictions(context.dynamo, context.config.dynamodb.predictionsTable, outcome.metricId, toIsoSeconds(context.asOfMs - 2 * hourMs), '9999', context.now())
    out.write(formatPredictions(outcome.metricId, items.filter((i) => i.runId === context.runId)) + '\n\n')
  }
}
