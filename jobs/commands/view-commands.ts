/**
 * Commands that show what runs produced, for a person or a program: `predictions`, `models`,
 * `report`, `backtest`, `accuracy`, and `--version`. Registered on the program by cli.ts, which
 * hands in its context opener. Those that print a table take --json (an array of objects) and
 * --csv (RFC 4180 with a header row) instead. None creates anything on a mistyped local lake.
 */
import { readFileSync } from 'node:fs'
import { Option, type Command } from 'commander'
import { hourMs, parseInstant, toIsoSeconds } from '../core/time.js'
import { ModelRegistry } from '../io/model-registry.js'
import { assertLakeHasMetric, checkRequestedId, resolveMetrics } from '../runtime/resolve-metrics.js'
import { settingsFor } from '../runtime/config-schema.js'
import { readAccuracy, readApprovedBacktest } from '../report/read-parts.js'
import { lastRunId } from '../report/last-run.js'
import { frequencies } from '../core/ids.js'
import { metricOfSeries } from '../core/series-id.js'
import { neuralRegistryId, silverFeaturesRoot } from '../core/lake-layout.js'
import { InputMissingError, UsageError } from '../core/errors.js'
import type { OpenedContext } from '../runtime/job-context.js'
import { printAccuracy } from './accuracy.js'
import { printBacktest } from './backtest.js'
import { rowFormatOf } from './format-table.js'
import { approveVersion, listModels, printModelListings, rollbackVersion } from './models.js'
import { fetchPredictions, printPredictions, stepStartMs } from './predictions.js'
import { publishReport } from './report.js'

/** `lakeMustExist`: a read-only command, which refuses a missing local lake (66) rather than create beside it. */
export type WithContext = (command: Command, fd: 1 | 2, body: (context: OpenedContext) => Promise<void>, run?: { runId?: string; asOfMs?: number; lakeMustExist?: boolean }) => Promise<void>

const runIdPattern = /^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/
const readOnly = { lakeMustExist: true }
/** approve and rollback write the registry of a lake that must be there: a typo is 66, not a new registry. */
const lakeMustExist = readOnly

/** The version in package.json (two folders up from jobs/commands, three from dist/jobs/commands). */
export function packageVersion(): string {
  for (const up of ['../../package.json', '../../../package.json']) {
    try {
      const parsed = JSON.parse(readFileSync(new URL(up, import.meta.url), 'utf8')) as { name?: string; version?: string }
      if (parsed.name === 'gras-forecast' && parsed.version) return parsed.version
    } catch {
      // Not this layout: try the next.
    }
  }
  return 'unknown'
}

/** A `--metric` value, a metric or series id, checked before anything is opened (exit 64 naming the flag). */
export function checkMetricId(id: string): string {
  return checkRequestedId(id, '--metric')
}

/**
 * Refuses (64) a metric with dimensions where one series is meant: its forecasts, models and
 * accuracy are its series', each under its own id, which the message lists.
 */
async function assertOneSeries(context: OpenedContext, command: string, id: string): Promise<void> {
  if (metricOfSeries(id) !== id || settingsFor(context.config, id).dimensions.length === 0) return
  const series = (await resolveMetrics(context.lake, silverFeaturesRoot, [id])).metrics
  throw new UsageError(`${command}: --metric ${id}: the metric has dimensions; give one of its series (${series.length > 0 ? series.join(', ') : 'none with features yet'})`)
}

/** `YYYY-MM-DD` of a date or ISO-8601 time given to `flag`. */
function dayOf(text: string, flag: string): string {
  const ms = /^\d{4}-\d{2}-\d{2}$/.test(text) ? Date.parse(`${text}T00:00:00Z`) : parseInstant(text)
  if (Number.isNaN(ms)) throw new UsageError(`${flag}: ${JSON.stringify(text)} is not a date (expected e.g. 2024-01-29 or 2024-01-29T14:00:00Z)`)
  return new Date(ms).toISOString().slice(0, 10)
}

/** Epoch ms of an ISO-8601 time given to `flag`. */
function instantOf(text: string, flag: string): number {
  const ms = parseInstant(text)
  if (Number.isNaN(ms)) throw new UsageError(`${flag}: ${JSON.stringify(text)} is not an ISO-8601 time (expected e.g. 2024-01-29T14:00:00Z)`)
  return ms
}

/** --json and --csv, one or the other. */
function withRowFormats(command: Command): Command {
  return command
    .addOption(new Option('--json', 'print a JSON array of objects, one per row').conflicts('csv'))
    .addOption(new Option('--csv', 'print CSV (RFC 4180) with a header row'))
}

function splitIds(text: string | undefined): string[] | undefined {
  const ids = text?.split(',').map((s) => s.trim()).filter(Boolean)
  return ids && ids.length > 0 ? ids : undefined
}

export function addViewCommands(program: Command, withContext: WithContext): void {
  program.version(packageVersion(), '-V, --version', 'print the version of gras-forecast')

  withRowFormats(
    program
      .command('predictions')
      .description('show stored forecasts of a metric in a time range')
      .requiredOption('--metric <id>', 'metric id, or series id of a metric with dimensions (G~region=eu)')
      .addOption(new Option('--from <time>', "first timestamp, ISO-8601 (default: the start of the metric's step that holds now, e.g. today 00:00Z for a daily metric)"))
      .addOption(new Option('--to <time>', 'last timestamp, ISO-8601 (default: from + 7 days)')),
  ).action(async (options: { metric: string; from?: string; to?: string; json?: boolean; csv?: boolean }, command: Command) => {
    // Checked before anything is opened: DynamoDB would answer a bad range with a ValidationException.
    checkMetricId(options.metric)
    const fromGiven = options.from === undefined ? undefined : instantOf(options.from, '--from')
    const toGiven = options.to === undefined ? undefined : instantOf(options.to, '--to')
    const checkRange = (fromMs: number, toMs: number) => {
      if (toMs < fromMs) throw new UsageError(`predictions: --to ${toIsoSeconds(toMs)} is before --from ${toIsoSeconds(fromMs)} (give --to at or after --from)`)
    }
    if (fromGiven !== undefined && toGiven !== undefined) checkRange(fromGiven, toGiven)
    await withContext(
      command,
      2,
      async (context) => {
        await assertOneSeries(context, 'predictions', options.metric)
        const fromMs = fromGiven ?? stepStartMs(context.now(), frequencies[settingsFor(context.config, options.metric).frequency])
        const toMs = toGiven ?? fromMs + 7 * 24 * hourMs
        checkRange(fromMs, toMs)
        const items = await fetchPredictions(context.dynamo, context.config.dynamodb.forecastsTable, options.metric, toIsoSeconds(fromMs), toIsoSeconds(toMs), context.now())
        // No stored forecast is an answer for a metric the lake has; for any other id it is an error.
        if (items.length === 0) await assertLakeHasMetric(context.lake, 'predictions', options.metric)
        process.stdout.write(printPredictions(options.metric, items, rowFormatOf(options)))
      },
      readOnly,
    )
  })

  const models = program.command('models').description('list, approve or roll back model versions')
  withRowFormats(
    models
      .command('list')
      .description('registered versions per metric (shortest unique version prefixes, as every version argument accepts), with the approved one marked')
      .addOption(new Option('--metrics <ids>', 'comma-separated metric ids (default: every metric with features)').env('GRAS_METRICS')),
  ).action(async (options: { metrics?: string; json?: boolean; csv?: boolean }, command: Command) => {
    const requested = splitIds(options.metrics)
    for (const id of requested ?? []) {
      if (id !== neuralRegistryId) checkRequestedId(id, '--metrics')
    }
    await withContext(
      command,
      2,
      async (context) => {
        for (const id of requested ?? []) if (id !== neuralRegistryId) await assertLakeHasMetric(context.lake, 'models', id)
        // Without --metrics: every series with features, and the global neural model's versions. A
        // metric with dimensions stands for its series.
        const expand = async (id: string) => (id === neuralRegistryId || settingsFor(context.config, id).dimensions.length === 0 || metricOfSeries(id) !== id ? [id] : (await resolveMetrics(context.lake, silverFeaturesRoot, [id])).metrics)
        const metricIds = requested ? (await Promise.all(requested.map(expand))).flat() : [...(await resolveMetrics(context.lake, silverFeaturesRoot, undefined)).metrics, neuralRegistryId]
        const listings = await listModels(new ModelRegistry(context.dynamo, context.config.dynamodb.modelsTable), metricIds)
        process.stdout.write(printModelListings(listings, rowFormatOf(options)))
      },
      readOnly,
    )
  })
  models
    .command('approve <metric> <version>')
    .description('make <version> (its id or a unique prefix, as models list shows) the approved model of <metric>, overriding the backtest rule')
    .action(async (metric: string, version: string, _options: object, command: Command) => {
      await withContext(command, 2, async (context) => {
        const full = await approveVersion(new ModelRegistry(context.dynamo, context.config.dynamodb.modelsTable), metric, version, 'cli', new Date(context.now()).toISOString())
        context.logger.info({ metric, version: full }, 'version approved')
      }, lakeMustExist)
    })
  models
    .command('rollback <metric>')
    .description('re-approve the version that was approved before the current one')
    .action(async (metric: string, _options: object, command: Command) => {
      await withContext(command, 2, async (context) => {
        const version = await rollbackVersion(new ModelRegistry(context.dynamo, context.config.dynamodb.modelsTable), metric, 'cli', new Date(context.now()).toISOString())
        context.logger.info({ metric, version }, 'rolled back')
      }, lakeMustExist)
    })

  program
    .command('report')
    .description('write the HTML report (per metric: history, forecast and interval, model choice, realised accuracy, data quality) to --out and to the lake under reports/<run id>/')
    .addOption(new Option('--metrics <ids>', 'comma-separated metric ids (default: every metric with features)').env('GRAS_METRICS'))
    .addOption(new Option('--run-id <id>', 'run id the report is of and stored under (default: the last run: the newest that wrote predictions or trained)').env('GRAS_RUN_ID'))
    .addOption(new Option('--out <dir>', 'local folder for index.html and one page per metric (default: .gras/reports/<run id>)'))
    .action(async (options: { metrics?: string; runId?: string; out?: string }, command: Command) => {
      if (options.runId !== undefined && !runIdPattern.test(options.runId)) {
        throw new UsageError(`--run-id: ${JSON.stringify(options.runId)} is not a valid run id (expected ${runIdPattern.source})`)
      }
      const metrics = splitIds(options.metrics)
      await withContext(
        command,
        1,
        async (context) => {
          const registry = new ModelRegistry(context.dynamo, context.config.dynamodb.modelsTable)
          const resolved = await resolveMetrics(context.lake, silverFeaturesRoot, metrics)
          const runId = options.runId ?? (resolved.metrics.length > 0 && resolved.missing.length === 0 ? await lastRunId(context.lake, registry, resolved.metrics) : context.runId)
          if (runId === undefined) throw new InputMissingError(`report: no run has written predictions or trained a model in ${context.lake.uri} (run gras pipeline, or give --run-id)`)
          // Unknown or missing metrics: buildReport refuses them, naming what the lake has.
          await publishReport(context, metrics, options.out, runId)
        },
        readOnly,
      )
    })

  withRowFormats(
    program
      .command('backtest')
      .description("the approved version's candidate table: backtest MASE, sMAPE and interval coverage of every candidate, and the one chosen")
      .requiredOption('--metric <id>', 'metric id, or series id of a metric with dimensions (G~region=eu)'),
  ).action(async (options: { metric: string; json?: boolean; csv?: boolean }, command: Command) => {
    checkMetricId(options.metric)
    await withContext(
      command,
      2,
      async (context) => {
        await assertOneSeries(context, 'backtest', options.metric)
        await assertLakeHasMetric(context.lake, 'backtest', options.metric)
        const { backtest, model } = await readApprovedBacktest(context.lake, new ModelRegistry(context.dynamo, context.config.dynamodb.modelsTable), options.metric)
        process.stdout.write(printBacktest(options.metric, backtest, model, rowFormatOf(options)))
      },
      readOnly,
    )
  })

  withRowFormats(
    program
      .command('accuracy')
      .description('realised accuracy of served forecasts per day (the accuracy table written by gras monitor) and the drift flag')
      .requiredOption('--metric <id>', 'metric id, or series id of a metric with dimensions (G~region=eu)')
      .addOption(new Option('--from <date>', 'first day, YYYY-MM-DD or ISO-8601 (default: the earliest)'))
      .addOption(new Option('--to <date>', 'last day, YYYY-MM-DD or ISO-8601 (default: the latest)')),
  ).action(async (options: { metric: string; from?: string; to?: string; json?: boolean; csv?: boolean }, command: Command) => {
    checkMetricId(options.metric)
    const from = options.from ? dayOf(options.from, '--from') : '0000'
    const to = options.to ? dayOf(options.to, '--to') : '9999'
    if (to < from) throw new UsageError(`accuracy: --to ${to} is before --from ${from} (give --to at or after --from)`)
    await withContext(
      command,
      2,
      async (context) => {
        await assertOneSeries(context, 'accuracy', options.metric)
        await assertLakeHasMetric(context.lake, 'accuracy', options.metric)
        const { days, drift } = await readAccuracy(context.dynamo, context.config.monitor.accuracyTable, options.metric, from, to)
        process.stdout.write(printAccuracy(options.metric, days, drift, rowFormatOf(options)))
      },
      readOnly,
    )
  })
}
