#!/usr/bin/env node
/**
 * The `gras` command line: commander wiring, and the one place that turns errors into exit codes
 * (README "Exit codes"). Every option can also come from a GRAS_* environment variable.
 */
import './runtime/quiet-node-warnings.js'
import { randomBytes } from 'node:crypto'
import { availableParallelism } from 'node:os'
import { realpathSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { Command, Option, CommanderError } from 'commander'
import { writeDemoData, lakeIsEmpty } from './demo/run.js'
import { runFeatures } from './features/run.js'
import { runInfer } from './infer/run.js'
import { runTrain } from './train/run.js'
import { runMonitor } from './monitor/run.js'
import type { BackendName } from './neural/backend.js'
import { gracefulStopEnabled, requestStop } from './runtime/termination.js'
import { runPipeline } from './pipeline/run.js'
import { writeRunForecasts } from './commands/print-forecasts.js'
import { rowFormatOf } from './commands/format-table.js'
import { submitExitCode, submitWorkflow } from './commands/submit.js'
import { addViewCommands } from './commands/view-commands.js'
import { publishRunReport } from './commands/report.js'
import { latestPlanId } from './io/shard-plans.js'
import { parseShardSelection } from './core/shard-plan.js'
import { connectWorkflows } from './io/k8s-workflows.js'
import { loadShardScope } from './runtime/resolve-metrics.js'
import { compactTimestamp, parseInstant, toIsoSeconds } from './core/time.js'
import { loadConfig, mergeSettings, resolveConfigDir } from './runtime/config-load.js'
import { ExitCode, exitCodeOf, TransientError, UsageError, type ExitCodeValue } from './core/errors.js'
import { openJobContext, type OpenedContext } from './runtime/job-context.js'
import { createLogger, type LogFormat, type Logger } from './runtime/logger.js'
import { formatSummaryTable, neuralSummary, shardPlanSummary, summariseRun, type RunSummary } from './runtime/run-summary.js'
import { runPlan, type ShardItem } from './plan/run.js'
import { activeTerminal } from './runtime/terminal.js'
import { jobExitCode, type JobReport } from './runtime/metric-outcome.js'
import { activeRuns } from './runtime/active-runs.js'
import { pushRunMetrics } from './runtime/metric-loop.js'
import type { GrasConfig } from './runtime/config-schema.js'
import { passwordInUrl, redactText, registerSecrets, secretsInEnvironment } from './core/redact.js'

interface GlobalOptions {
  pushgateway?: string
  config?: string
  lake?: string
  dynamodb?: 'auto' | 'embedded' | 'aws'
  logLevel: string
  logFormat?: LogFormat
}

interface RunOptions {
  metrics?: string
  runId?: string
  asOf?: string
  shard?: string
  workers?: string
  plan?: string
}

const runIdPattern = /^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/

/** Builds the program; exported so tests (and manifest checks) parse argv with the real definitions. */
export function buildProgram(): Command {
  const program = new Command('gras')
    .description('gras-forecast: forecasts with prediction intervals for the GRAS business metrics')
    .addOption(new Option('--config <dir>', 'folder of *.yaml settings').env('GRAS_CONFIG'))
    .addOption(new Option('--lake <uri>', 'lake location: s3://bucket/prefix or a local folder').env('GRAS_LAKE'))
    .addOption(new Option('--dynamodb <mode>', 'DynamoDB: embedded dynalite, aws (SDK endpoint resolution), or auto').choices(['auto', 'embedded', 'aws']).env('GRAS_DYNAMODB_MODE'))
    .addOption(new Option('--pushgateway <url>', 'Prometheus Pushgateway that each job pushes its metrics to').env('GRAS_PUSHGATEWAY_URL'))
    .addOption(new Option('--log-level <level>', 'log level').choices(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info').env('GRAS_LOG_LEVEL'))
    .addOption(new Option('--log-format <format>', 'json lines, or pretty (human-readable); default: pretty when the log output is a terminal, JSON otherwise').choices(['json', 'pretty']).env('GRAS_LOG_FORMAT'))
    .exitOverride()
  addJobCommands(program)
  addPipelineCommand(program)
  addPlanCommand(program)
  addTrainNeuralCommand(program)
  addSubmitCommand(program)
  addDemoDataCommand(program)
  addViewCommands(program, withContext)
  return program
}

function withRunOptions(command: Command): Command {
  return command
    .addOption(new Option('--metrics <ids>', 'comma-separated metric ids, or series ids of metrics with dimensions (default: every metric in the lake)').env('GRAS_METRICS'))
    .addOption(new Option('--run-id <id>', 'run id recorded with every output (Argo passes the workflow name)').env('GRAS_RUN_ID'))
    .addOption(new Option('--as-of <time>', 'logical time of the run, ISO-8601 (default: now)').env('GRAS_AS_OF'))
}

/** The four jobs and the pipeline run one shard of a plan when given --shard; train-neural is global. */
/** The jobs and the pipeline run their metrics on worker threads (runtime/metric-loop.ts). */
function withWorkers(command: Command): Command {
  return command.addOption(new Option('--workers <n>', 'threads the metrics run on (default: the available parallelism, here ' + availableParallelism() + '; 1: in the main thread)').env('GRAS_WORKERS'))
}

function withShardOptions(command: Command): Command {
  return command
    .addOption(new Option('--shard <i/K>', 'run only shard i of K of the shard plan (gras plan); default: every metric').env('GRAS_SHARD'))
    .addOption(new Option('--plan <id>', 'the shard plan --shard refers to: a plan id (its run id) or latest').default(latestPlanId).env('GRAS_PLAN'))
}

/** features, infer, monitor and train: one job each over the requested metrics. */
function addJobCommands(program: Command): void {
  withWorkers(withShardOptions(withRunOptions(program.command('features').description('bronze Parquet -> silver features (aggregate, grid, gaps, calendar)'))))
    .addOption(new Option('--full', 'ignore the day caches in silver: read every bronze file of the window').env('GRAS_FEATURES_FULL'))
    .action(async (options: RunOptions & { full?: boolean }, command: Command) => {
      await withJob(command, options, logFd(false), async (context, metrics) => [await runFeatures(context, metrics, { full: options.full === true })])
    })
  withWorkers(withShardOptions(withRunOptions(program.command('infer').description('forecast with the approved models; write DynamoDB and Parquet')))).action(async (options: RunOptions, command: Command) => {
    await withJob(command, options, logFd(false), async (context, metrics) => [await runInfer(context, metrics)])
  })
  withWorkers(withShardOptions(withRunOptions(program.command('monitor').description('realised accuracy of served forecasts per metric and day; flag drift for retraining'))))
    .addOption(new Option('--full', "ignore the served runs and written items monitor keeps under monitor/: read every copy, write every accuracy item").env('GRAS_MONITOR_FULL'))
    .action(async (options: RunOptions & { full?: boolean }, command: Command) => {
      await withJob(command, options, logFd(false), async (context, metrics) => {
        const report = await runMonitor(context, metrics, { full: options.full === true })
        await publishUnlessShard(context, metrics)
        return [report]
      })
    })
  withWorkers(withShardOptions(withRunOptions(program.command('train').description('fit candidates, backtest, select, register and promote models'))))
    .addOption(new Option('--only <scope>', 'all metrics, or only those the monitor flagged for drift (clearing the flag)').choices(['all', 'drifted']).default('all').env('GRAS_TRAIN_ONLY'))
    .addOption(new Option('--cutoff <which>', "the silver trained on: exact (only the run's cutoff; a series without fails, 66) or at-most (else the newest older)").choices(['exact', 'at-most']).default('at-most').env('GRAS_TRAIN_CUTOFF'))
    .action(async (options: RunOptions & { only: 'all' | 'drifted'; cutoff: 'exact' | 'at-most' }, command: Command) => {
      await withJob(command, options, logFd(false), async (context, metrics) => {
        const report = await runTrain(context, metrics, options.only, options.cutoff)
        await publishUnlessShard(context, metrics)
        return [report]
      })
    })
}

function addPipelineCommand(program: Command): void {
  withWorkers(withShardOptions(withRunOptions(program.command('pipeline').description('features, train and infer in one run'))))
    .addOption(new Option('--demo-if-empty', 'write sample data first when the lake has no bronze data').env('GRAS_DEMO_IF_EMPTY'))
    .addOption(new Option('--print', 'print a forecast table per metric at the end').env('GRAS_PRINT'))
    .addOption(new Option('--json', 'print the forecasts as one JSON array of objects instead (implies --print)').conflicts('csv'))
    .addOption(new Option('--csv', 'print the forecasts as CSV (RFC 4180) with a header row instead (implies --print)'))
    .action(async (options: RunOptions & { demoIfEmpty?: boolean; print?: boolean; json?: boolean; csv?: boolean }, command: Command) => {
      options.print ||= options.json || options.csv
      await withJob(command, options, logFd(Boolean(options.print)), async (context, metrics) => {
        if (options.demoIfEmpty && (await lakeIsEmpty(context.lake))) {
          await writeDemoData(context.lake, { endMs: context.asOfMs, days: 42, seed: 7 }, context.logger)
        }
        const reports = await runPipeline(context, metrics)
        const report = await publishUnlessShard(context, metrics)
        if (report && options.print) process.stderr.write(`report: ${report}\n`)
        if (options.print) await writeRunForecasts(context, reports, rowFormatOf(options), process.stdout)
        return reports
      })
    })
}

function addPlanCommand(program: Command): void {
  withRunOptions(program.command('plan').description('split the bronze metrics into shards balanced by input size; write the plan to the lake and print one JSON item per shard (for Argo withParam)'))
    .addOption(new Option('--shards <n>', 'number of shards; 0 or unset: plan.shards in config, or from plan.targetShardBytes').env('GRAS_SHARDS'))
    .action(async (options: RunOptions & { shards?: string }, command: Command) => {
      const shards = options.shards === undefined ? undefined : parseInteger(options.shards, '--shards', 0, 10_000) || undefined
      let planned: ShardItem[] = []
      await withJob(command, options, 2, async (context, metrics) => {
        planned = (await runPlan(context, metrics, shards)).items
        process.stdout.write(JSON.stringify(planned) + '\n')
        return []
      }, { summarise: () => shardPlanSummary(planned) })
    })
}

function addTrainNeuralCommand(program: Command): void {
  withRunOptions(program.command('train-neural').description('train the global neural model (TensorFlow.js) with checkpoints; resumes a run id from its checkpoint'))
    .addOption(new Option('--backend <name>', 'force a backend').choices(['tensorflow-gpu', 'tensorflow', 'wasm', 'cpu']).env('GRAS_NEURAL_BACKEND'))
    .addOption(new Option('--epochs <n>', 'epochs of each network (default: neural.epochs in config)'))
    .addOption(new Option('--members <n>', 'networks per ensemble (default: neural.members)'))
    .addOption(new Option('--checkpoint-every <n>', 'epochs between checkpoints (default: neural.checkpointEvery)'))
    .addOption(new Option('--seed <n>', 'seed of initial weights and shuffles (default: neural.seed)'))
    .addOption(new Option('--workers <n>', 'threads the networks train on side by side with the wasm and cpu backends (default: the available parallelism, here ' + availableParallelism() + '; 1: one after another in the main thread)').env('GRAS_WORKERS'))
    .action(async (options: RunOptions & { backend?: BackendName; epochs?: string; members?: string; checkpointEvery?: string; seed?: string }, command: Command) => {
      // Checked by the config schema with the `neural` settings they override: a bad value is exit 78 naming the flag.
      const neural = flagSettings('neural', { epochs: ['--epochs', options.epochs], members: ['--members', options.members], checkpointEvery: ['--checkpoint-every', options.checkpointEvery], seed: ['--seed', options.seed] })
      let trained: { version: string; backtestMase: number; durationMs: number } | undefined
      await withJob(command, options, logFd(false), async (context, metrics) => {
        // Loaded on use: TensorFlow.js is large and only this command needs it.
        const { runTrainNeural } = await import('./neural/run.js')
        const settings = context.config.neural
        const started = context.now()
        const result = await runTrainNeural(context, metrics, {
          backend: options.backend,
          epochs: settings.epochs,
          members: settings.members,
          batchSize: settings.batchSize,
          checkpointEvery: settings.checkpointEvery,
          seed: settings.seed,
        })
        trained = { ...result, durationMs: context.now() - started }
        return []
      }, { summarise: () => neuralSummary(trained), settings: neural })
    })
}

function addSubmitCommand(program: Command): void {
  program
    .command('submit')
    .description('start a run of the installed WorkflowTemplate (as argo submit --from workflowtemplate/...); --watch follows it')
    .addOption(new Option('--template <name>', 'WorkflowTemplate name').default('gras-pipeline').env('GRAS_WORKFLOW_TEMPLATE'))
    .addOption(new Option('--entrypoint <name>', 'pipeline (features, train, infer), refresh (infer) or backtest (train)').choices(['pipeline', 'refresh', 'backtest']).default('pipeline'))
    .addOption(new Option('--namespace <ns>', 'namespace of the template').default('gras').env('GRAS_NAMESPACE'))
    .addOption(new Option('--metrics <ids>', 'comma-separated metric ids (default: the template default)').env('GRAS_METRICS'))
    .addOption(new Option('--as-of <time>', 'logical time of the run, ISO-8601 (default: the workflow creation time)'))
    .addOption(new Option('--kubeconfig <file>', 'kubeconfig to use (default: in-cluster, else KUBECONFIG or ~/.kube/config)'))
    .option('--watch', 'follow the workflow until it ends; the exit code reflects its outcome')
    .addOption(new Option('--poll-seconds <n>', 'seconds between phase checks with --watch').default('10'))
    .addOption(new Option('--timeout-minutes <n>', 'stop watching after this long (exit 75)').default('360'))
    .action(async (options: { template: string; entrypoint: string; namespace: string; metrics?: string; asOf?: string; kubeconfig?: string; watch?: boolean; pollSeconds: string; timeoutMinutes: string }, command: Command) => {
      const globals = command.optsWithGlobals() as GlobalOptions
      const logger = createLogger({ level: globals.logLevel, fd: 1, format: globals.logFormat })
      activeLogger = logger
      const config = loadConfig(resolveConfigDir(globals.config), settingsOverrides(globals))
      const parameters: Record<string, string> = {}
      if (options.metrics) parameters.metrics = (splitMetrics(options.metrics) ?? []).join(',')
      if (options.asOf) parameters['as-of'] = toIsoSeconds(parseTime(options.asOf, '--as-of'))
      const result = await submitWorkflow(
        await connectWorkflows(options.kubeconfig, config.network.requestTimeoutMs),
        { namespace: options.namespace, template: options.template, entrypoint: options.entrypoint, parameters, generateName: `gras-${options.entrypoint}-` },
        { enabled: Boolean(options.watch), pollMs: parseInteger(options.pollSeconds, '--poll-seconds', 1, 3600) * 1000, timeoutMs: parseInteger(options.timeoutMinutes, '--timeout-minutes', 1, 10080) * 60_000 },
        logger.child({ job: 'submit' }),
      )
      const code = submitExitCode(result, Boolean(options.watch), logger)
      if (code !== ExitCode.ok) process.exitCode = code
    })
}

function addDemoDataCommand(program: Command): void {
  program
    .command('demo-data')
    .description('write realistic sample bronze data (G, R, A, S: daily and weekly cycles, trend, noise, a gap, an outlier)')
    .addOption(new Option('--days <n>', 'days of data').default('42').env('GRAS_DEMO_DAYS'))
    .addOption(new Option('--seed <n>', 'random seed').default('7').env('GRAS_DEMO_SEED'))
    .addOption(new Option('--end <time>', 'end of the data, ISO-8601 (default: now)').env('GRAS_DEMO_END'))
    .action(async (options: { days: string; seed: string; end?: string }, command: Command) => {
      const days = parseInteger(options.days, '--days', 1, 3660)
      const seed = parseInteger(options.seed, '--seed', 0, 2 ** 31)
      await withContext(command, 1, async (context) => {
        const endMs = options.end ? parseTime(options.end, '--end') : context.now()
        await writeDemoData(context.lake, { endMs, days, seed }, context.logger)
      })
    })
}

/** The run's report (a failure is a warning), except in a shard: shards of one run share its run id, so the workflow reports once, after them all. */
const publishUnlessShard = (context: OpenedContext, metrics?: string[]) => (context.shard ? Promise.resolve(undefined) : publishRunReport(context, metrics))

const logFd = (dataOnStdout: boolean): 1 | 2 => (dataOnStdout ? 2 : 1)

function parseTime(text: string, flag: string): number {
  const ms = parseInstant(text)
  if (Number.isNaN(ms)) throw new UsageError(`${flag}: ${JSON.stringify(text)} is not an ISO-8601 time (expected e.g. 2024-01-29T14:00:00Z)`)
  return ms
}

function parseInteger(text: string, flag: string, min: number, max: number): number {
  const n = Number(text)
  if (!Number.isInteger(n) || n < min || n > max) throw new UsageError(`${flag}: ${JSON.stringify(text)} is not an integer in [${min}, ${max}]`)
  return n
}

function splitMetrics(text: string | undefined): string[] | undefined {
  const ids = text?.split(',').map((s) => s.trim()).filter(Boolean)
  return ids && ids.length > 0 ? ids : undefined
}

/** Settings given as flags: values for config-load's overrides, and which flag each came from. */
interface FlagSettings {
  values: Record<string, unknown>
  flags: Record<string, string>
}

/** The given numeric flags of one config `section`, as overrides the config schema checks. */
function flagSettings(section: string, given: Record<string, [flag: string, text: string | undefined]>): FlagSettings {
  const values: Record<string, unknown> = {}
  const flags: Record<string, string> = {}
  for (const [key, [flag, text]] of Object.entries(given)) {
    if (text === undefined) continue
    values[key] = text.trim() === '' ? Number.NaN : Number(text)
    flags[`${section}.${key}`] = flag
  }
  return { values: Object.keys(values).length > 0 ? { [section]: values } : {}, flags }
}

function settingsOverrides(globals: GlobalOptions): Partial<GrasConfig> & Record<string, unknown> {
  const overrides: Record<string, unknown> = {}
  if (globals.lake !== undefined) overrides.lake = globals.lake
  if (globals.dynamodb) overrides.dynamodb = { mode: globals.dynamodb }
  return overrides
}

let activeLogger: Logger | undefined
let pushgatewayUrl: string | undefined

/** Opens the job context for a command, runs `body`, closes it. */
async function withContext(
  command: Command,
  fd: 1 | 2,
  body: (context: OpenedContext) => Promise<void>,
  run: { runId?: string; asOfMs?: number; settings?: FlagSettings; lakeMustExist?: boolean; workers?: number } = {},
): Promise<void> {
  const globals = command.optsWithGlobals() as GlobalOptions
  const logger = createLogger({ level: globals.logLevel, fd, format: globals.logFormat })
  activeLogger = logger
  pushgatewayUrl = globals.pushgateway
  registerSecrets([passwordInUrl(globals.pushgateway)])
  const config = loadConfig(resolveConfigDir(globals.config), mergeSettings(settingsOverrides(globals), run.settings?.values ?? {}), run.settings?.flags)
  const now = Date.now()
  const runId = run.runId ?? `local-${compactTimestamp(now)}-${randomBytes(2).toString('hex')}`
  const context = await openJobContext({ config, logger, runId, asOfMs: run.asOfMs ?? now, env: process.env, pushgatewayUrl: globals.pushgateway, lakeMustExist: run.lakeMustExist, workers: run.workers })
  try {
    await body(context)
  } finally {
    await context.close()
  }
}

/** Runs job(s), sets the exit code from their per-metric outcomes and ends with the run summary. */
async function withJob(
  command: Command,
  options: RunOptions,
  fd: 1 | 2,
  body: (context: OpenedContext, metrics?: string[]) => Promise<JobReport[]>,
  { summarise = (reports) => summariseRun(reports), settings }: { summarise?: (reports: JobReport[]) => RunSummary; settings?: FlagSettings } = {},
): Promise<void> {
  if (options.runId !== undefined && !runIdPattern.test(options.runId)) {
    throw new UsageError(`--run-id: ${JSON.stringify(options.runId)} is not a valid run id (expected ${runIdPattern.source})`)
  }
  const asOfMs = options.asOf ? parseTime(options.asOf, '--as-of') : undefined
  const metrics = splitMetrics(options.metrics)
  const shard = options.shard === undefined ? undefined : parseShardSelection(options.shard)
  const planId = options.plan ?? latestPlanId
  const workers = options.workers === undefined ? availableParallelism() : parseInteger(options.workers, '--workers', 1, 1024)
  if (planId !== latestPlanId && !runIdPattern.test(planId)) throw new UsageError(`--plan: ${JSON.stringify(planId)} is not a plan id (a run id, or ${latestPlanId})`)
  await withContext(
    command,
    fd,
    async (context) => {
      if (shard) context.shard = await loadShardScope(context.lake, shard, planId, context.asOfMs, context.logger)
      const reports = await body(context, metrics)
      const codes = reports.map(jobExitCode).filter((code) => code !== ExitCode.ok)
      process.exitCode = codes[0] ?? ExitCode.ok
      const summary = summarise(reports)
      // At warn level when something needs a look, so `--log-level warn` still reports it.
      const level = summary.failed > 0 || summary.warned > 0 ? 'warn' : 'info'
      context.logger[level]({ job: command.name(), run_id: context.runId, ...summary }, 'run summary')
      activeTerminal()?.write(formatSummaryTable(summary))
      for (const report of reports) {
        const line = failureSummary(report)
        if (line) writeStderrLine(line)
      }
    },
    { runId: options.runId, asOfMs, settings, workers },
  )
}

/** Parses argv and runs; returns the exit code. Only `main` ends the process. */
export async function runCli(argv: string[]): Promise<ExitCodeValue> {
  registerSecrets(secretsInEnvironment(process.env))
  const program = buildProgram()
  // Commander's own errors (unknown option, missing argument) as our one line, with where to look.
  const usageOutput = { outputError: (text: string) => writeStderrLine(`gras: ${text.trim().replace(/^error: /, '').split('\n')[0]} (see gras --help, or gras <command> --help)`) }
  program.configureOutput(usageOutput)
  for (const command of allCommands(program)) command.configureOutput(usageOutput)
  try {
    await program.parseAsync(argv)
    return (process.exitCode as ExitCodeValue | undefined) ?? ExitCode.ok
  } catch (error) {
    if (error instanceof CommanderError) {
      if (error.code === 'commander.helpDisplayed' || error.code === 'commander.version' || error.exitCode === 0) return ExitCode.ok
      return ExitCode.usage
    }
    return reportFailure(error)
  }
}

function allCommands(command: Command): Command[] {
  return command.commands.flatMap((child) => [child, ...allCommands(child)])
}

/** Logs the error once (JSON) and prints its one stderr line; returns its exit code. */
function reportFailure(error: unknown): ExitCodeValue {
  const logger = activeLogger ?? createLogger({ fd: 2 })
  const code = exitCodeOf(error)
  // A usage error is the person's typo, not an event with a stack: the one line says it all, as commander's own do.
  if (code !== ExitCode.usage) logger.error({ err: error, exitCode: code }, 'command failed')
  writeStderrLine(`gras: ${failureLine(error, code)}`)
  return code
}

/** `<what failed>: <why> (<hint>)` on one line; our messages carry their subsystem and hint already. */
function failureLine(error: unknown, code: ExitCodeValue): string {
  const message = oneLine(error instanceof Error ? error.message : String(error))
  if (code === ExitCode.internal) return `internal error: ${message} (a bug: the JSON log line "command failed" has the stack; please report it)`
  return message
}

const oneLine = (text: string) => text.split('\n').map((part) => part.trim()).filter(Boolean).join('; ')

/** Failed metrics named on the stderr line; with thousands of metrics the rest are counted (the JSON log has each). */
const summaryMetrics = 20

/** One line per job naming each failed metric and why, besides the JSON "metric failed" lines. */
function failureSummary(report: JobReport): string | undefined {
  const failed = report.outcomes.filter((o): o is Extract<typeof o, { ok: false }> => !o.ok)
  if (failed.length === 0) return undefined
  const reasons = failed.slice(0, summaryMetrics).map((o) => `${o.metricId}: ${oneLine(o.error instanceof Error ? o.error.message : String(o.error))}`)
  if (failed.length > summaryMetrics) reasons.push(`and ${failed.length - summaryMetrics} more`)
  return `gras: ${report.job}: ${failed.length} of ${report.outcomes.length} metric(s) failed: ${reasons.join('; ')} (exit ${jobExitCode(report)}; the JSON log lines "metric failed" have the details)`
}

function writeStderrLine(line: string): void {
  process.stderr.write(redactText(line.replace(/\s*\n\s*/g, '; ')) + '\n')
}

async function main(): Promise<void> {
  // Spot termination and `kubectl delete`: stop now; writes are atomic, so a rerun resumes cleanly.
  process.on('SIGTERM', () => {
    if (gracefulStopEnabled()) {
      // The job finishes its batch, checkpoints and exits 75 itself.
      ;(activeLogger ?? createLogger({ fd: 2 })).warn({}, 'SIGTERM received: stopping after the current batch')
      requestStop()
      return
    }
    const error = new TransientError('signal: SIGTERM received; stopping (rerun to resume)')
    const logger = activeLogger ?? createLogger({ fd: 2 })
    logger.error({ err: error, exitCode: ExitCode.transient }, 'terminated')
    writeStderrLine(`gras: ${error.message}`)
    // Within the grace period: record the interrupted runs as failed, push (bounded), exit.
    const pushes = activeRuns().map((run) => {
      run.finish({ ok: false, metricsOk: 0, metricsFailed: 1 }, Date.now())
      return pushgatewayUrl ? pushRunMetrics({ pushgatewayUrl }, run, logger) : Promise.resolve()
    })
    void Promise.race([Promise.all(pushes), new Promise((resolve) => setTimeout(resolve, 5000))]).finally(() => process.exit(ExitCode.transient))
  })
  // Whatever escapes (a library's stray rejection) still ends as one logged error, one line and exit 70.
  const crash = (error: unknown) => process.exit(reportFailure(error))
  process.on('unhandledRejection', crash)
  process.on('uncaughtException', crash)
  const code = await runCli(process.argv)
  process.exit(code)
}

function isEntryPoint(): boolean {
  try {
    return process.argv[1] !== undefined && realpathSync(process.argv[1]) === fileURLToPath(import.meta.url)
  } catch {
    return false
  }
}

if (isEntryPoint()) void main()
