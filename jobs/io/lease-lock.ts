/**
 * A lease lock in the registry table (item `metric_id = <group id>`, `version = "~lock:<job>"`),
 * one per group of series `train` and `infer` work on (core/series-groups.ts; a dimensionless
 * metric's group id is its metric id). Two runs of the same job on the same group never overlap,
 * and a run that died (SIGKILL, lost node) holds it only until its lease expires. Acquire and
 * release are conditional writes, so exactly one run wins. Two runs whose groups of a metric came
 * out otherwise (its series changed between them) may overlap on a series: the registry's pointer
 * write and the version 2 forecast put are conditional and still let one win; only the version 1
 * table's batch write relies on the lease alone.
 */
import { DeleteItemCommand, GetItemCommand, PutItemCommand, type AttributeValue, type DynamoDBClient } from '@aws-sdk/client-dynamodb'
import { z } from 'zod'
import { GrasError, ExitCode } from '../core/errors.js'
import { leaseLockKey } from '../core/registry-keys.js'
import { isConditionFailure } from './aws-clients.js'
import { parseDynamoItem } from './dynamo-item.js'

/** Another run holds the lock: retry later (exit 75), which Argo's retryStrategy does. */
export class LockBusyError extends GrasError {
  constructor(message: string) {
    super(message, ExitCode.transient)
  }
}

export interface LeaseLock {
  release(): Promise<void>
}

export interface LeaseRequest {
  /** The registry table. */
  table: string
  /** The group leased (its id). */
  metricId: string
  job: string
  /** Who holds it: the run id. */
  owner: string
  nowMs: number
  leaseMs: number
}

export async function acquireLease(client: DynamoDBClient, { table, metricId, job, owner, nowMs, leaseMs }: LeaseRequest): Promise<LeaseLock> {
  const key = { metric_id: { S: metricId }, version: { S: leaseLockKey(job) } }
  for (let attempt = 0; ; attempt++) {
    try {
      await client.send(
        new PutItemCommand({
          TableName: table,
          Item: { ...key, owner: { S: owner }, acquired_at: { N: String(nowMs) }, expires_at: { N: String(nowMs + leaseMs) } },
          ConditionExpression: 'attribute_not_exists(version) OR expires_at < :now OR #owner = :owner',
          ExpressionAttributeNames: { '#owner': 'owner' },
          ExpressionAttributeValues: { ':now': { N: String(nowMs) }, ':owner': { S: owner } },
        }),
      )
      break
    } catch (error) {
      if (!isConditionFailure(error)) throw error
      const held = await client.send(new GetItemCommand({ TableName: table, Key: key, ConsistentRead: true }))
      // Released between our attempt and this read: try again (a few times, then call it busy).
      if (!held.Item && attempt < 2) continue
      const { holder, until } = leaseHolder(held.Item, table, { metric_id: metricId, version: key.version.S })
      throw new LockBusyError(`lock: ${job} of metric ${metricId} is running in ${holder} (lease until ${until}); this run leaves it alone and can be retried`)
    }
  }
  return {
    async release() {
      try {
        await client.send(
          new DeleteItemCommand({
            TableName: table,
            Key: key,
            ConditionExpression: '#owner = :owner',
            ExpressionAttributeNames: { '#owner': 'owner' },
            ExpressionAttributeValues: { ':owner': { S: owner } },
          }),
        )
      } catch (error) {
        // Lost the lease to another run after it expired: nothing of ours to release.
        if (!isConditionFailure(error)) throw error
      }
    },
  }
}

/** Runs `body` holding the lease; releases it however `body` ends. */
export async function withLease<T>(lock: Promise<LeaseLock>, body: () => Promise<T>): Promise<T> {
  const held = await lock
  try {
    return await body()
  } finally {
    await held.release()
  }
}

const leaseItemSchema = z.object({ owner: z.string().min(1), expires_at: z.number() })

/** Who holds a lease and until when, from its item; a malformed item is a DataError, since every retry would meet it again. */
function leaseHolder(item: Record<string, AttributeValue> | undefined, table: string, key: Record<string, string>): { holder: string; until: string } {
  if (!item) return { holder: 'another run', until: 'unknown' }
  const lease = parseDynamoItem(leaseItemSchema, item, table, key)
  return { holder: lease.owner, until: new Date(lease.expires_at).toISOString() }
}
