/**
 * The `infer` job: per group of series (core/series-groups.ts), under one lease, per series:
 * forecast from the silver data of the run's cutoff (the newest, unless `--as-of` asks for the
 * past) with the approved model's parameters, then write the predictions tables (contract
 * version 2, and version 1 while configured; never over a newer forecast); then one Parquet copy
 * of the group's forecasts under predictions/ (one per first-step day, normally one). A series
 * that fails does not stop the others of its group.
 */
import { forecastFromArtifact, type ModelArtifact } from '../core/artifact.js'
import { predictionsKey, silverFeaturesRoot } from '../core/lake-layout.js'
import { modelCatalog } from '../core/models/catalog.js'
import { NeuralOnDemand } from '../neural/on-demand.js'
import { compactDate, toIsoSeconds } from '../core/time.js'
import { markLateRun } from '../io/served-runs.js'
import { ModelRegistry, type ApprovedPointer } from '../io/model-registry.js'
import { writeForecastContracts } from '../io/forecast-writes.js'
import type { PredictionItem } from '../io/predictions-table.js'
import { runCutoffMs, settingsFor } from '../runtime/config-schema.js'
import { InputMissingError } from '../core/errors.js'
import type { JobContext } from '../runtime/job-context.js'
import type { JobReport, SeriesResult } from '../runtime/metric-outcome.js'
import { artifactRef, modelCutoffMs, readArtifact } from '../io/model-artifacts.js'
import { SilverReads } from '../io/silver-reader.js'
import { readRows } from '../io/parquet-read.js'
import { seriesIdOfManifest } from '../io/silver-manifest.js'
import { forEachGroup, seriesStep } from '../runtime/metric-loop.js'
import type { SeriesGroup } from '../core/series-groups.js'
import { acquireLease, withLease } from '../io/lease-lock.js'
import type { Logger } from '../runtime/logger.js'
import type { RunMetrics } from '../runtime/run-metrics.js'
import { copiedSeriesOfRows, encodePredictionsCopy, toForecastItem, toPredictionItems, type CopiedSeries } from './prediction-items.js'

/** Longer than any infer of one group (about 0.1 s a series: docs/capacity.md). */
const inferLeaseMs = 15 * 60_000

export async function runInfer(context: JobContext, requested?: readonly string[]): Promise<JobReport> {
  const registry = new ModelRegistry(context.dynamo, context.config.dynamodb.modelsTable)
  const catalog = modelCatalog({ arimaMaxLength: context.config.train.arimaMaxLength })
  const neural = new NeuralOnDemand(context.lake, context.logger.child({ job: 'infer', run_id: context.runId }))
  return forEachGroup(context, 'infer', silverFeaturesRoot, requested, {
    seriesPerGroup: context.config.train.seriesPerGroup,
    work: (group, log, metrics) => {
      // One infer per group at a time: the pre-query and the batch write of writePredictions are then
      // not raced by another run, so a newer forecast is never overwritten by an older one.
      const lock = acquireLease(context.dynamo, { table: context.config.dynamodb.modelsTable, metricId: group.id, job: 'infer', owner: context.runId, nowMs: context.now(), leaseMs: inferLeaseMs })
      return withLease(lock, () => inferGroup(group, log, metrics))
    },
  }, { module: import.meta.url, name: 'runInfer' })

  /** Every series' forecast into DynamoDB, then the group's copies: a series is done once its rows are in a copy. */
  async function inferGroup(group: SeriesGroup, log: Logger, metrics: RunMetrics): Promise<Map<string, SeriesResult>> {
    const results = new Map<string, SeriesResult>()
    const byDate = new Map<string, { copied: CopiedSeries; detail: Record<string, unknown>; log: Logger }[]>()
    const silver = new SilverReads(context.lake)
    await silver.prefetch(group.series, runCutoffMs(settingsFor(context.config, group.metricId), context.asOfMs))
    for (const seriesId of group.series) {
      const seriesLog = log.child({ metric: seriesId })
      const forecast = await seriesStep(group, results, seriesLog, seriesId, () => inferMetric(seriesId, seriesLog, metrics, silver))
      if (!forecast) continue
      const day = byDate.get(forecast.date) ?? []
      day.push({ copied: { seriesId, items: forecast.items }, detail: forecast.detail, log: seriesLog })
      byDate.set(forecast.date, day)
    }
    for (const [date, written] of byDate) {
      const key = predictionsKey(group.metricId, date, context.runId, group)
      await context.lake.put(key, encodePredictionsCopy([...(await earlierCopy(key, group.metricId, written.map((w) => w.copied.seriesId))), ...written.map((w) => w.copied)]))
      // A copy of a day that has ended (a backfill, a run finishing after midnight) may change which
      // run served that day: monitor's kept served runs walked before now are read again.
      if (date < compactDate(context.now())) await markLateRun(context.lake, group.metricId, context.runId, date, context.now())
      for (const { copied, detail, log: seriesLog } of written) {
        seriesLog.info({ ...detail, parquet: key }, 'forecast written')
        results.set(copied.seriesId, { ok: true, detail: { ...detail, parquet: key } })
      }
    }
    return results
  }

  /**
   * The series an earlier attempt of the same run wrote into the copy at `key` and this one did
   * not (a retry after a crash, a series that failed now, a narrower `--metrics`): kept, so a
   * forecast already served stays in its run's copy.
   */
  async function earlierCopy(key: string, metricId: string, now: readonly string[]): Promise<CopiedSeries[]> {
    // Asked by a listing first: a GET of a missing key is retried by the S3 store.
    const bytes = (await context.lake.exists(key)) ? await context.lake.get(key) : undefined
    if (!bytes) return []
    const rewritten = new Set(now)
    const rows = await readRows(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer, key)
    return copiedSeriesOfRows(rows, metricId).filter((s) => !rewritten.has(s.seriesId))
  }

  /** One series' forecast, written to DynamoDB; its copy's rows and day, and its detail. */
  async function inferMetric(metricId: string, log: Logger, metrics: RunMetrics, silver: SilverReads): Promise<{ date: string; items: PredictionItem[]; detail: Record<string, unknown> }> {
    const approved = await registry.getApproved(metricId)
    if (!approved) throw new InputMissingError(`infer: metric ${metricId} has no approved model: run gras train (or gras models approve)`)
    const { series, manifest } = await silver.read(metricId, runCutoffMs(settingsFor(context.config, metricId), context.asOfMs))
    const artifact = await modelAsOf(metricId, approved, Date.parse(manifest.window.end), log)
    await neural.prepare(catalog, artifact.model, artifact.params)
    const points = forecastFromArtifact(artifact, catalog[artifact.model], series)
    // The unit of the loop is a series; its metric and dimension values are in its silver manifest.
    const forecast = toForecastItem(points, {
      seriesId: seriesIdOfManifest(manifest),
      metricId: manifest.metricId,
      dimensions: Object.fromEntries(Object.entries(manifest.dimensions ?? {}).map(([name, value]) => [name, value ?? ''])),
      modelVersion: artifact.version,
      runId: context.runId,
      generatedAtMs: points.startMs,
      ttlDays: context.config.infer.ttlDays,
    })
    const items = toPredictionItems(forecast)
    const { v1, v2 } = await writeForecastContracts(context.dynamo, context.config.dynamodb, forecast, items)
    if (v2.outcome === 'replaced') log.warn({ generatedAt: forecast.generatedAt, replacedRunId: v2.replacedRunId }, "forecast replaced: another run's forecast of the same cutoff")
    // Both contracts: the series' version 2 item and its version 1 steps.
    metrics.add('gras_dynamodb_items_written', 'Prediction items written to DynamoDB in the last run', 1 + (v1?.written ?? 0))
    metrics.add('gras_rows_written', 'Rows written in the last run', items.length)
    if (v1 && v1.batchRetries > 0) metrics.add('gras_aws_retries', 'AWS SDK request retries in the last run, by operation', v1.batchRetries, { operation: 'BatchWriteItem.UnprocessedItems' })
    if (v2.outcome === 'replaced') metrics.add('gras_forecasts_replaced', 'Forecasts of another run at the same cutoff replaced in the last run', 1)
    for (const bound of ['value', 'lower', 'upper'] as const) {
      metrics.setForMetric(metricId, 'gras_forecast_next', 'Forecast of the next step and its interval bounds', items[0][bound], { bound })
    }
    metrics.setForMetric(metricId, 'gras_forecast_next_timestamp_seconds', 'Time of the step gras_forecast_next is for', Date.parse(items[0].timestamp) / 1000)
    const detail = { version: artifact.version, model: artifact.model, cutoff: manifest.window.end, steps: items.length, forecast: v2.outcome, ...v1 }
    return { date: compactDate(points.startMs), items, detail }
  }

  /**
   * The approved model; for a run as of the past whose silver is older than the data it was
   * trained on, the newest model approved before it that was not, so a backfill's forecast does
   * not use data from after its cutoff.
   */
  async function modelAsOf(metricId: string, approved: ApprovedPointer, cutoffMs: number, log: Logger): Promise<ModelArtifact> {
    const current = await readArtifact(context.lake, await artifactRef(registry, metricId, approved.version))
    if (!(modelCutoffMs(current.version, current) > cutoffMs)) return current
    for (const version of approved.previous) {
      const earlier = await artifactRef(registry, metricId, version)
        .then((ref) => readArtifact(context.lake, ref))
        .catch(() => undefined)
      if (earlier && !(modelCutoffMs(version, earlier) > cutoffMs)) {
        log.info({ approved: approved.version, version, cutoff: toIsoSeconds(cutoffMs) }, 'model approved before the cutoff used')
        return earlier
      }
    }
    log.warn({ approved: approved.version, cutoff: toIsoSeconds(cutoffMs) }, 'no model approved before the cutoff: the approved one, trained on later data, forecasts it')
    return current
  }
}
