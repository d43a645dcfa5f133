/**
 * AWS SDK clients configured by the SDK's own conventions: AWS_REGION, AWS_PROFILE, web identity
 * (IRSA), AWS_ENDPOINT_URL / AWS_ENDPOINT_URL_S3 / AWS_ENDPOINT_URL_DYNAMODB. We add only what those
 * conventions leave open: path-style addressing and a placeholder region for custom S3 endpoints.
 */
import { S3Client } from '@aws-sdk/client-s3'
import { DynamoDBClient } from '@aws-sdk/client-dynamodb'

export type Environment = Record<string, string | undefined>

/** True when the SDK will talk to a non-AWS endpoint for `service`. */
export function hasCustomEndpoint(env: Environment, service: 'S3' | 'DYNAMODB'): boolean {
  return Boolean(env[`AWS_ENDPOINT_URL_${service}`] || env.AWS_ENDPOINT_URL)
}

/** Told how many times an operation was retried by the SDK (throttling, 5xx, network). */
export type RetryObserver = (operation: string, retries: number) => void

/** Reports each command's retries from the attempts count the SDK puts on every response and error. */
function observeRetries(client: S3Client | DynamoDBClient, onRetry: RetryObserver | undefined): void {
  if (!onRetry) return
  const report = (operation: string, attempts: number | undefined) => {
    if (attempts && attempts > 1) onRetry(operation, attempts - 1)
  }
  ;(client.middlewareStack as { add(m: unknown, o: unknown): void }).add(
    (next: (args: unknown) => Promise<{ output: { $metadata?: { attempts?: number } } }>, context: { commandName?: string }) => async (args: unknown) => {
      try {
        const result = await next(args)
        report(context.commandName ?? 'unknown', result.output.$metadata?.attempts)
        return result
      } catch (error) {
        report(context.commandName ?? 'unknown', (error as { $metadata?: { attempts?: number } }).$metadata?.attempts)
        throw error
      }
    },
    { step: 'initialize', name: 'grasRetryObserver' },
  )
}

export function createS3Client(env: Environment = process.env, onRetry?: RetryObserver): S3Client {
  const custom = hasCustomEndpoint(env, 'S3')
  const client = new S3Client({
    // S3-compatible servers (s3rver, MinIO) serve buckets by path, not by virtual host.
    forcePathStyle: custom,
    region: env.AWS_REGION || env.AWS_DEFAULT_REGION || (custom ? 'us-east-1' : undefined),
  })
  observeRetries(client, onRetry)
  return client
}

export function createDynamoClient(env: Environment = process.env, endpoint?: string, onRetry?: RetryObserver): DynamoDBClient {
  const custom = hasCustomEndpoint(env, 'DYNAMODB')
  const client = endpoint
    ? // The embedded server: fixed local credentials, nothing from the environment.
      new DynamoDBClient({ endpoint, region: 'local', credentials: { accessKeyId: 'embedded', secretAccessKey: 'embedded' } })
    : new DynamoDBClient({ region: env.AWS_REGION || env.AWS_DEFAULT_REGION || (custom ? 'us-east-1' : undefined) })
  observeRetries(client, onRetry)
  return client
}
