/**
 * The model registry table. One item per trained version (`version` = its id), plus one pointer
 * item per metric (`version` = "~approved") naming the approved version and the ones approved
 * before it. The pointer is the single source of truth for "approved", and every change to it is a
 * conditional write on its current value, so two writers can never both win.
 */
import {
  GetItemCommand,
  PutItemCommand,
  type AttributeValue,
  type DynamoDBClient,
} from '@aws-sdk/client-dynamodb'
import { z } from 'zod'
import { GrasError, ExitCode } from '../core/errors.js'
import { approvedPointerKey, isModelVersionKey } from '../core/registry-keys.js'
import { isConditionFailure } from './aws-clients.js'
import { queryAll } from './dynamo-query.js'
import { parseDynamoItem } from './dynamo-item.js'

const historyLength = 20

export interface ModelVersionRecord {
  metricId: string
  version: string
  runId: string
  model: string
  backtestMase: number
  artifactKey: string
  createdAt: string
  /** What train decided: promoted (became approved) or kept (the approved one stayed). */
  decision: 'promoted' | 'kept'
  reason: string
  /** ISO data cutoff of the features it was trained on; absent on versions registered before cutoffs were recorded. */
  dataCutoff?: string
}

export interface ApprovedPointer {
  version: string
  previous: string[]
  updatedAt: string
  updatedBy: string
}

/** Raised when the pointer changed under us: someone else approved or rolled back meanwhile. */
export class RegistryConflictError extends GrasError {
  constructor(message: string) {
    super(message, ExitCode.transient)
  }
}

export class ModelRegistry {
  constructor(
    private readonly client: DynamoDBClient,
    private readonly table: string,
  ) {}

  /** Records a version; rerunning the same run rewrites the same item. */
  async register(record: ModelVersionRecord): Promise<void> {
    await this.client.send(
      new PutItemCommand({
        TableName: this.table,
        Item: {
          metric_id: { S: record.metricId },
          version: { S: record.version },
          run_id: { S: record.runId },
          model: { S: record.model },
          backtest_mase: { N: String(Number.isFinite(record.backtestMase) ? record.backtestMase : -1) },
          artifact_key: { S: record.artifactKey },
          created_at: { S: record.createdAt },
          decision: { S: record.decision },
          reason: { S: record.reason },
          ...(record.dataCutoff ? { data_cutoff: { S: record.dataCutoff } } : {}),
        },
      }),
    )
  }

  async getVersion(metricId: string, version: string): Promise<ModelVersionRecord | undefined> {
    const response = await this.client.send(
      new GetItemCommand({ TableName: this.table, Key: { metric_id: { S: metricId }, version: { S: version } }, ConsistentRead: true }),
    )
    return response.Item && isModelVersionKey(version) ? toRecord(response.Item, this.table) : undefined
  }

  /** Every version of a metric, oldest first. */
  async listVersions(metricId: string): Promise<ModelVersionRecord[]> {
    const items = await queryAll(this.client, {
      TableName: this.table,
      KeyConditionExpression: 'metric_id = :m',
      ExpressionAttributeValues: { ':m': { S: metricId } },
      ConsistentRead: true,
    })
    // The approved pointer and the locks share the metric's partition: not versions.
    return items.filter((item) => isModelVersionKey(item.version?.S ?? '')).map((item) => toRecord(item, this.table))
  }

  async getApproved(metricId: string): Promise<ApprovedPointer | undefined> {
    const response = await this.client.send(
      new GetItemCommand({ TableName: this.table, Key: { metric_id: { S: metricId }, version: { S: approvedPointerKey } }, ConsistentRead: true }),
    )
    if (!response.Item) return undefined
    const item = parseDynamoItem(pointerItemSchema, response.Item, this.table, { metric_id: metricId, version: approvedPointerKey })
    return { version: item.approved_version, previous: item.previous, updatedAt: item.updated_at, updatedBy: item.updated_by }
  }

  /** Points the metric at `version`, if the pointer still holds `expected` (undefined: no approved version yet). */
  async approve(metricId: string, version: string, expected: ApprovedPointer | undefined, actor: string, nowIso: string): Promise<void> {
    const previous = expected ? [expected.version, ...expected.previous].filter((v) => v !== version).slice(0, historyLength) : []
    await this.writePointer(metricId, { version, previous, updatedAt: nowIso, updatedBy: actor }, expected)
  }

  /** Points the metric back at the version approved before the current one. */
  async rollback(metricId: string, current: ApprovedPointer, actor: string, nowIso: string): Promise<string> {
    const [target, ...rest] = current.previous
    if (!target) throw new GrasError(`registry: metric ${metricId} has no earlier approved version to roll back to`, ExitCode.noInput)
    await this.writePointer(metricId, { version: target, previous: rest, updatedAt: nowIso, updatedBy: actor }, current)
    return target
  }

  private async writePointer(metricId: string, pointer: ApprovedPointer, expected: ApprovedPointer | undefined): Promise<void> {
    try {
      await this.client.send(
        new PutItemCommand({
          TableName: this.table,
          Item: {
            metric_id: { S: metricId },
            version: { S: approvedPointerKey },
            approved_version: { S: pointer.version },
            previous: { L: pointer.previous.map((v) => ({ S: v })) },
            updated_at: { S: pointer.updatedAt },
            updated_by: { S: pointer.updatedBy },
          },
          ConditionExpression: expected ? 'approved_version = :expected AND updated_at = :at' : 'attribute_not_exists(approved_version)',
          ExpressionAttributeValues: expected ? { ':expected': { S: expected.version }, ':at': { S: expected.updatedAt } } : undefined,
        }),
      )
    } catch (error) {
      if (isConditionFailure(error)) {
        throw new RegistryConflictError(`registry: the approved version of ${metricId} changed concurrently (expected ${expected?.version ?? 'none'}); rerun to decide again`)
      }
      throw error
    }
  }
}

const versionItemSchema = z.object({
  metric_id: z.string(),
  version: z.string(),
  run_id: z.string(),
  model: z.string(),
  backtest_mase: z.number(),
  artifact_key: z.string(),
  created_at: z.string(),
  decision: z.enum(['promoted', 'kept']),
  reason: z.string(),
  data_cutoff: z.string().optional(),
})

const pointerItemSchema = z.object({
  approved_version: z.string().min(1),
  previous: z.array(z.string().min(1)),
  updated_at: z.string(),
  updated_by: z.string(),
})

function toRecord(raw: Record<string, AttributeValue>, table: string): ModelVersionRecord {
  const key = { metric_id: raw.metric_id?.S ?? '?', version: raw.version?.S ?? '?' }
  const item = parseDynamoItem(versionItemSchema, raw, table, key)
  return {
    metricId: item.metric_id,
    version: item.version,
    runId: item.run_id,
    model: item.model,
    backtestMase: item.backtest_mase,
    artifactKey: item.artifact_key,
    createdAt: item.created_at,
    decision: item.decision,
    reason: item.reason,
    ...(item.data_cutoff ? { dataCutoff: item.data_cutoff } : {}),
  }
}
