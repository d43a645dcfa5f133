/**
 * Commands that show what runs produced, for a person: `report`, `backtest`, `accuracy`, and
 * `--version`. Registered on the program by cli.ts, which hands in its context opener.
 */
import { readFileSync } from 'node:fs'
import { Option, type Command } from 'commander'
import { parseInstant } from '../core/time.js'
import { ModelRegistry } from '../io/model-registry.js'
import { assertLakeHasMetric } from '../runtime/resolve-metrics.js'
import { readAccuracy, readApprovedBacktest } from '../report/read-parts.js'
import { metricIdPattern } from '../core/ids.js'
import { UsageError } from '../core/errors.js'
import type { OpenedContext } from '../runtime/job-context.js'
import { formatAccuracy } from './accuracy.js'
import { formatBacktest } from './backtest.js'
import { publishReport } from './report.js'

export type WithContext = (command: Command, fd: 1 | 2, body: (context: OpenedContext) => Promise<void>, run?: { runId?: string; asOfMs?: number }) => Promise<void>

const runIdPattern = /^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/

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

/** Checked before anything is opened, so a typo is a usage error rather than an empty answer. */
/** A `--metric` value checked before anything is opened (exit 64 naming the flag). */
export function checkMetricId(id: string): string {
  if (!metricIdPattern.test(id)) throw new UsageError(`--metric: ${JSON.stringify(id)} is not a valid metric id (expected ${metricIdPattern.source})`)
  return id
}

/** `YYYY-MM-DD` of a date or ISO-8601 time given to `flag`. */
function dayOf(text: string, flag: string): string {
  const ms = /^\d{4}-\d{2}-\d{2}$/.test(text) ? Date.parse(`${text}T00:00:00Z`) : parseInstant(text)
  if (Number.isNaN(ms)) throw new UsageError(`${flag}: ${JSON.stringify(text)} is not a date (expected e.g. 2024-01-29 or 2024-01-29T14:00:00Z)`)
  return new Date(ms).toISOString().slice(0, 10)
}

export function addViewCommands(program: Command, withContext: WithContext): void {
  program.version(packageVersion(), '-V, --version', 'print the version of gras-forecast')

  program
    .command('report')
    .description('write the HTML report (per metric: history, forecast and interval, model choice, realised accuracy, data quality) to --out and to the lake under reports/<run id>/')
    .addOption(new Option('--metrics <ids>', 'comma-separated metric ids (default: every metric with features)').env('GRAS_METRICS'))
    .addOption(new Option('--run-id <id>', 'run id the report is stored under (default: a new local-... id)').env('GRAS_RUN_ID'))
    .addOption(new Option('--out <dir>', 'local folder for index.html and one page per metric (default: .gras/reports/<run id>)'))
    .action(async (options: { metrics?: string; runId?: string; out?: string }, command: Command) => {
      if (options.runId !== undefined && !runIdPattern.test(options.runId)) {
        throw new UsageError(`--run-id: ${JSON.stringify(options.runId)} is not a valid run id (expected ${runIdPattern.source})`)
      }
      const metrics = options.metrics?.split(',').map((s) => s.trim()).filter(Boolean)
      await withContext(
        command,
        1,
        async (context) => {
          await publishReport(context, metrics && metrics.length > 0 ? metrics : undefined, options.out)
        },
        { runId: options.runId },
      )
    })

  program
    .command('backtest')
    .description("the approved version's candidate table: backtest MASE, sMAPE and interval coverage of every candidate, and the one chosen")
    .requiredOption('--metric <id>', 'metric id')
    .option('--json', 'print the backtest report as JSON')
    .action(async (options: { metric: string; json?: boolean }, command: Command) => {
      checkMetricId(options.metric)
      await withContext(command, 2, async (context) => {
        await assertLakeHasMetric(context.lake, 'backtest', options.metric)
        const { backtest, model } = await readApprovedBacktest(context.lake, new ModelRegistry(context.dynamo, context.config.dynamodb.modelsTable), options.metric)
        process.stdout.write((options.json ? JSON.stringify({ metricId: options.metric, ...backtest, reason: model?.reason }, null, 2) : formatBacktest(options.metric, backtest, model)) + '\n')
      })
    })

  program
    .command('accuracy')
    .description('realised accuracy of served forecasts per day (the accuracy table written by gras monitor) and the drift flag')
    .requiredOption('--metric <id>', 'metric id')
    .addOption(new Option('--from <date>', 'first day, YYYY-MM-DD or ISO-8601 (default: the earliest)'))
    .addOption(new Option('--to <date>', 'last day, YYYY-MM-DD or ISO-8601 (default: the latest)'))
    .option('--json', 'print JSON')
    .action(async (options: { metric: string; from?: string; to?: string; json?: boolean }, command: Command) => {
      checkMetricId(options.metric)
      const from = options.from ? dayOf(options.from, '--from') : '0000'
      const to = options.to ? dayOf(options.to, '--to') : '9999'
      if (to < from) throw new UsageError(`accuracy: --to ${to} is before --from ${from} (give --to at or after --from)`)
      await withContext(command, 2, async (context) => {
        await assertLakeHasMetric(context.lake, 'accuracy', options.metric)
        const { days, drift } = await readAccuracy(context.dynamo, context.config.monitor.accuracyTable, options.metric, from, to)
        process.stdout.write((options.json ? JSON.stringify({ metricId: options.metric, days, drift }, null, 2) : formatAccuracy(options.metric, days, drift)) + '\n')
      })
    })
}
