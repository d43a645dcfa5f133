/** `gras pipeline --print`: the forecasts of the run's infer job, read back from DynamoDB, as a table per metric, JSON or CSV. */
import { hourMs, toIsoSeconds } from '../core/time.js'
import type { JobReport } from '../runtime/metric-outcome.js'
import type { JobContext } from '../runtime/job-context.js'
import type { RowFormat } from './format-table.js'
import { fetchPredictions, printRunForecasts } from './predictions.js'

export async function writeRunForecasts(context: JobContext, reports: readonly JobReport[], format: RowFormat, out: NodeJS.WritableStream): Promise<void> {
  const infer = reports.find((r) => r.job === 'infer')
  const forecasts = []
  for (const outcome of infer?.outcomes ?? []) {
    if (!outcome.ok) continue
    const items = await fetchPredictions(context.dynamo, context.config.dynamodb.forecastsTable, outcome.metricId, toIsoSeconds(context.asOfMs - 2 * hourMs), '9999', context.now())
    forecasts.push({ metricId: outcome.metricId, items: items.filter((i) => i.runId === context.runId) })
  }
  out.write(printRunForecasts(forecasts, format))
}
