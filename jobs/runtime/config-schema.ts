/**
 * The one settings schema: it gives both the TypeScript type and the check. Defaults live here,
 * visible in one place; `config/*.yaml` overrides them; environment variables and CLI flags
 * override the files (see config-load.ts).
 */
import { z } from 'zod'
import { frequencies, metricIdPattern, modelNames } from '../core/ids.js'
import { dimensionNamePattern, metricOfSeries, reservedDimensionNames } from '../core/series-id.js'
import { dayMs, floorToStep } from '../core/time.js'


const isoDate = z.string().regex(/^\d{4}-\d{2}-\d{2}$/, 'expected an ISO date YYYY-MM-DD')

export const metricSettingsSchema = z
  .object({
    frequency: z.enum(['hourly', 'daily']),
    horizon: z.number().int().min(1).max(24 * 31),
    aggregation: z.enum(['sum', 'mean', 'last']),
    intervalLevel: z.number().gt(0.5).lt(1),
    gapPolicy: z.enum(['interpolate', 'zero', 'seasonal']),
    historyDays: z.number().int().min(2).max(3660),
    holidays: z.array(isoDate),
    nonNegative: z.boolean(),
    /**
     * Bronze columns whose distinct value combinations split the metric into series (core/series-id.ts);
     * empty: the metric is one series.
     */
    dimensions: z
      .array(
        z
          .string()
          .regex(dimensionNamePattern, `dimension name must match ${dimensionNamePattern.source}`)
          .refine((name) => !reservedDimensionNames.includes(name), { error: (issue) => `dimension name ${JSON.stringify(issue.input)} is reserved (the bronze columns ${reservedDimensionNames.join(', ')})` }),
      )
      .refine((names) => new Set(names).size === names.length, { error: (issue) => `dimension names must be unique (got ${(issue.input as string[]).join(', ')})` }),
  })
  .strict()

export type MetricSettings = z.infer<typeof metricSettingsSchema>

/** Unset in `defaults`, historyDays follows the metric's frequency (historyDaysByFrequency). */
const defaultSettingsSchema = metricSettingsSchema.extend({ historyDays: metricSettingsSchema.shape.historyDays.optional() })


export const configSchema = z
  .object({
    lake: z.string().min(1),
    dynamodb: z
      .object({
        /** `embedded` starts dynalite in-process; `aws` uses the SDK's own endpoint resolution; `auto` picks embedded when no cloud endpoint or region is configured. */
        mode: z.enum(['auto', 'embedded', 'aws']),
        /** Where the embedded server keeps its files; unset: beside the lake (embedded-dynamo.ts), so every working directory sees the lake's registry. */
        embeddedDir: z.string().min(1).optional(),
        /** How long a run waits for another local run to release the embedded server's files before it gives up (exit 75). */
        embeddedLockWaitMs: z.number().int().min(0).max(3_600_000),
        /** Contract version 1: one item per metric and forecast step (docs/contracts.md). */
        predictionsTable: z.string().regex(/^[A-Za-z0-9_.-]{3,255}$/),
        /** Contract version 2: one item per series and run holding the whole horizon. */
        forecastsTable: z.string().regex(/^[A-Za-z0-9_.-]{3,255}$/),
        /** Also write version 1 (series without dimensions only); off once no reader needs it: it is most of the write cost. */
        writePredictionsV1: z.boolean(),
        modelsTable: z.string().regex(/^[A-Za-z0-9_.-]{3,255}$/),
        createTables: z.boolean(),
      })
      .strict(),
    /** Deadlines of every network call (S3, DynamoDB, STS and IMDS, the Kubernetes API): none waits forever. */
    network: z
      .object({
        connectTimeoutMs: z.number().int().min(1).max(600_000),
        /** To the response headers of one request, and the longest a socket may sit idle; the SDK retries a timed-out request (AWS_MAX_ATTEMPTS). */
        requestTimeoutMs: z.number().int().min(1).max(3_600_000),
      })
      .strict(),
    defaults: defaultSettingsSchema,
    /** Days of bronze `features` reads when neither the metric nor `defaults` sets historyDays. */
    historyDaysByFrequency: z.object({ hourly: z.number().int().min(2).max(3660), daily: z.number().int().min(2).max(3660) }).strict(),
    metrics: z.record(z.string().regex(metricIdPattern, 'metric id must match ' + metricIdPattern.source), metricSettingsSchema.partial()),
    train: z
      .object({
        candidates: z.array(z.enum(modelNames)).min(1),
        backtestOrigins: z.number().int().min(1).max(50),
        /** A new version is approved only if its backtest MASE is below approved * (1 - margin). */
        promotionMargin: z.number().min(0).max(1),
        /** A single model is selected over a combination only if its backtest MASE is lower by this fraction. */
        combinationMargin: z.number().min(0).max(0.5),
        arimaMaxLength: z.number().int().min(50),
        /** Largest p and q of AutoARIMA's order search (R's max.p, max.q). */
        arimaMaxOrder: z.number().int().min(0).max(5),
        /** AutoARIMA's final model keeps the order its backtest searched instead of searching again on all the data. */
        arimaSearchOnce: z.boolean(),
        /**
         * Series of one metric that train, infer and monitor take as one unit (core/series-groups.ts):
         * one lease, one models pack and one predictions copy per group. At most 2,000, so a group
         * trains (about a series a second on a core) well inside train's 2-hour lease.
         */
        seriesPerGroup: z.number().int().min(1).max(2000),
      })
      .strict(),
    neural: z
      .object({
        /** Epochs of each of the two networks (backtest, final) `gras train-neural` trains. */
        epochs: z.number().int().min(1).max(10_000),
        /** Networks per ensemble (seeds seed, seed + 1, ...), averaged: an average of a few networks varies less with the seed than one. */
        members: z.number().int().min(1).max(20),
        /**
         * Input windows (steps) the members cycle through: member k reads lookbacks[k mod L]
         * (jobs/neural/training-setup.ts); each is shortened to the shortest series. N-BEATS
         * ensembles lookbacks of 2h to 7h; measured on M4 Hourly in docs/accuracy.md.
         */
        lookbacks: z.array(z.number().int().min(1).max(100_000)).min(1).max(20),
        /**
         * Losses the members cycle through, once per round of lookbacks (member k:
         * losses[floor(k / L) mod M]): `mase`, the absolute error in MASE units, or `smape`, the M4
         * sMAPE of the forecast in the series' units (jobs/neural/global-mlp.ts).
         */
        losses: z.array(z.enum(['mase', 'smape'])).min(1).max(20),
        /**
         * Windows per gradient step. Smaller batches, more steps per epoch: large ones leave the
         * networks undertrained in a fixed number of epochs, and with few metrics a batch of
         * several hundred windows would be one step per epoch.
         */
        batchSize: z.number().int().min(1).max(65_536),
        /** Epochs between checkpoints (a SIGTERM checkpoints at once regardless). */
        checkpointEvery: z.number().int().min(1).max(10_000),
        /** Seed of the initial weights and the shuffles: same seed, same data, same model. */
        seed: z.number().int().min(0).max(2 ** 31),
      })
      .strict(),
    /** How `gras plan` splits the metrics into shards for Argo to run side by side. */
    plan: z
      .object({
        /** A fixed shard count; 0: from the input size and targetShardBytes. */
        shards: z.number().int().min(0).max(10_000),
        /** Bronze bytes (in the history windows) one shard should hold. */
        targetShardBytes: z.number().int().min(1),
        maxShards: z.number().int().min(1).max(10_000),
        /** Series one shard should run at most: a metric of more is cut into ceil(n / this) slices. */
        maxSeriesPerShard: z.number().int().min(1),
      })
      .strict(),
    infer: z
      .object({
        ttlDays: z.number().int().min(1).max(3650),
      })
      .strict(),
    observability: z
      .object({
        /** Per-metric Pushgateway groups are pushed for at most this many metrics (label cardinality). */
        maxMetricGroups: z.number().int().min(0).max(100_000),
      })
      .strict(),
    monitor: z
      .object({
        /** A metric is flagged for retraining when its realised MASE exceeds its backtest MASE by this factor. */
        driftFactor: z.number().gt(1),
        /** Days of realised accuracy `gras monitor` computes (ending yesterday). */
        lookbackDays: z.number().int().min(1).max(90),
        accuracyTable: z.string().regex(/^[A-Za-z0-9_.-]{3,255}$/),
      })
      .strict(),
  })
  .strict()

export type GrasConfig = z.infer<typeof configSchema>

export const defaultConfig: GrasConfig = {
  lake: '.gras/lake',
  dynamodb: {
    mode: 'auto',
    embeddedLockWaitMs: 300_000,
    predictionsTable: 'gras-predictions',
    forecastsTable: 'gras-forecasts',
    writePredictionsV1: true,
    modelsTable: 'gras-models',
    createTables: true,
  },
  // An hourly job: a dead endpoint costs at most a few minutes (attempts x requestTimeoutMs), never the run.
  network: { connectTimeoutMs: 5_000, requestTimeoutMs: 60_000 },
  defaults: {
    frequency: 'hourly',
    horizon: 48,
    aggregation: 'sum',
    intervalLevel: 0.95,
    gapPolicy: 'interpolate',
    holidays: [],
    nonNegative: true,
    dimensions: [],
  },
  // Hourly: six weeks give the weekly cycle six times. Daily: two years give the yearly one twice.
  historyDaysByFrequency: { hourly: 42, daily: 730 },
  metrics: {},
  train: {
    candidates: ['snaive', 'ets', 'theta', 'dotm', 'arima', 'neural'],
    backtestOrigins: 8,
    promotionMargin: 0.02,
    combinationMargin: 0.05,
    arimaMaxLength: 336,
    arimaMaxOrder: 5,
    arimaSearchOnce: false,
    // docs/capacity.md: 0.01 object requests per series instead of 5, a group trains in minutes.
    seriesPerGroup: 500,
  },
  neural: { epochs: 20, members: 3, lookbacks: [168], losses: ['mase'], batchSize: 64, checkpointEvery: 2, seed: 7 },
  // Larger shards spend less on pod start-up, smaller ones finish sooner; docs/capacity.md has the rates to size them.
  plan: { shards: 0, targetShardBytes: 256 * 1024 * 1024, maxShards: 256, maxSeriesPerShard: 5_000 },
  infer: { ttlDays: 90 },
  observability: { maxMetricGroups: 500 },
  monitor: { driftFactor: 1.5, lookbackDays: 7, accuracyTable: 'gras-accuracy' },
}

/**
 * A run's data cutoff for a metric: the as-of floored to the metric's step. Features end their
 * window there, and train, infer and train-neural read the silver of exactly that cutoff.
 */
export function runCutoffMs(settings: MetricSettings, asOfMs: number): number {
  return floorToStep(asOfMs, frequencies[settings.frequency])
}

/** The bronze a run reads for a metric: historyDays ending at the run's cutoff. */
export function historyWindow(settings: MetricSettings, asOfMs: number): { startMs: number; endMs: number } {
  const endMs = runCutoffMs(settings, asOfMs)
  return { startMs: endMs - settings.historyDays * dayMs, endMs }
}

/**
 * The effective settings of one metric, or of one series of it (a series id takes its metric's):
 * defaults with the metric's overrides applied, historyDays by frequency unless set.
 */
export function settingsFor(config: GrasConfig, metricOrSeriesId: string): MetricSettings {
  const merged = { ...config.defaults, ...config.metrics[metricOfSeries(metricOrSeriesId)] }
  return { ...merged, historyDays: merged.historyDays ?? config.historyDaysByFrequency[merged.frequency] }
}
