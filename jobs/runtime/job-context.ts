/**
 * Everything a job touches, opened once: settings, the lake, DynamoDB (embedded or cloud), the
 * logger, the run id and the as-of time. Jobs receive it; they never read the environment.
 */
import { existsSync } from 'node:fs'
import { resolve } from 'node:path'
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb'
import { createDynamoClient, hasCustomEndpoint, type Environment } from '../io/aws-clients.js'
import { accuracyTableDefinition, ensureTable, forecastsTableDefinition, modelsTableDefinition, predictionsTableDefinition } from '../io/dynamo-tables.js'
import { embeddedDynamoDir, startEmbeddedDynamo, type EmbeddedDynamo } from '../io/embedded-dynamo.js'
import { openLake, parseLakeUri } from '../io/lake.js'
import { InputMissingError } from '../core/errors.js'
import type { ObjectStore } from '../io/object-store.js'
import type { GrasConfig } from './config-schema.js'
import type { Logger } from './logger.js'
import { recordAwsRetry } from './active-runs.js'
import type { ShardScope } from './resolve-metrics.js'

export interface JobContext {
  config: Readonly<GrasConfig>
  lake: ObjectStore
  dynamo: DynamoDBClient
  logger: Logger
  runId: string
  /** The run's logical time (epoch ms): windows end here, so a rerun sees the same data. */
  asOfMs: number
  /** Wall clock, for timestamps that describe when something happened rather than what. */
  now: () => number
  /** Where each job pushes its Prometheus metrics; undefined: no push. */
  pushgatewayUrl?: string
  /** The shard of a sharded run (`--shard i/K`): the metric loop touches only its metrics. */
  shard?: ShardScope
  /** Worker threads a job runs its metrics on (metric-loop.ts); unset: one, in this thread. */
  workers?: number
  /** The embedded DynamoDB's endpoint, which metric workers connect to; undefined under `aws`. */
  dynamoEndpoint?: string
}

export interface OpenedContext extends JobContext {
  close(): Promise<void>
}

/** `embedded` when asked, or under `auto` when the environment names no DynamoDB endpoint and no region. */
export function chooseDynamoMode(mode: GrasConfig['dynamodb']['mode'], env: Environment): 'embedded' | 'aws' {
  if (mode !== 'auto') return mode
  return hasCustomEndpoint(env, 'DYNAMODB') || env.AWS_REGION || env.AWS_DEFAULT_REGION ? 'aws' : 'embedded'
}

/** Throws InputMissingError naming the folder when `lakeUri` is a local folder that does not exist. */
export function assertLocalLakeExists(lakeUri: string): void {
  const location = parseLakeUri(lakeUri)
  if (location.kind !== 'local') return
  const path = resolve(location.path!)
  if (!existsSync(path)) throw new InputMissingError(`lake: no lake at ${path}: the folder does not exist (check --lake / GRAS_LAKE, or write sample data with gras demo-data)`)
}

export async function openJobContext(options: {
  config: Readonly<GrasConfig>
  logger: Logger
  runId: string
  asOfMs: number
  env: Environment
  pushgatewayUrl?: string
  /** Read-only commands: a local lake folder that is not there is an error (66), and nothing is created beside it. */
  lakeMustExist?: boolean
  workers?: number
  /** An embedded DynamoDB another thread of this process runs: used instead of starting one. */
  embeddedEndpoint?: string
}): Promise<OpenedContext> {
  const { config, env } = options
  if (options.lakeMustExist) assertLocalLakeExists(config.lake)
  const clientOptions = { network: config.network, onRetry: recordAwsRetry }
  const lake = openLake(config.lake, env, clientOptions)
  const mode = chooseDynamoMode(config.dynamodb.mode, env)
  let embedded: EmbeddedDynamo | undefined
  if (mode === 'embedded' && !options.embeddedEndpoint) {
    embedded = await startEmbeddedDynamo(embeddedDynamoDir(config.lake, config.dynamodb.embeddedDir, env), {
      lockWaitMs: config.dynamodb.embeddedLockWaitMs,
      onWait: (dir) => options.logger.warn({ dir, waitMs: config.dynamodb.embeddedLockWaitMs }, 'embedded DynamoDB in use by another gras run: waiting for it to finish'),
    })
  }
  const dynamoEndpoint = mode === 'embedded' ? (embedded?.endpoint ?? options.embeddedEndpoint) : undefined
  const dynamo = createDynamoClient(env, dynamoEndpoint, clientOptions)
  if (config.dynamodb.createTables && (mode === 'embedded' || hasCustomEndpoint(env, 'DYNAMODB'))) {
    await ensureTable(dynamo, config.dynamodb.predictionsTable, predictionsTableDefinition)
    await ensureTable(dynamo, config.dynamodb.forecastsTable, forecastsTableDefinition)
    await ensureTable(dynamo, config.dynamodb.modelsTable, modelsTableDefinition)
    await ensureTable(dynamo, config.monitor.accuracyTable, accuracyTableDefinition)
  }
  options.logger.debug({ lake: lake.uri, dynamodb: mode, embeddedDir: embedded?.dir }, 'context opened')
  const { embeddedEndpoint: _, ...rest } = options
  return {
    ...rest,
    dynamoEndpoint,
    lake,
    dynamo,
    now: Date.now,
    async close() {
      dynamo.destroy()
      await embedded?.close()
    },
  }
}
