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

export function createS3Client(env: Environment = process.env): S3Client {
  const custom = hasCustomEndpoint(env, 'S3')
  return new S3Client({
    // S3-compatible servers (s3rver, MinIO) serve buckets by path, not by virtual host.
    forcePathStyle: custom,
    region: env.AWS_REGION || env.AWS_DEFAULT_REGION || (custom ? 'us-east-1' : undefined),
  })
}

export function createDynamoClient(env: Environment = process.env, endpoint?: string): DynamoDBClient {
  if (endpoint) {
    // The embedded server: fixed local credentials, nothing from the environment.
    return new DynamoDBClient({
      endpoint,
      region: 'local',
      credentials: { accessKeyId: 'embedded', secretAccessKey: 'embedded' },
    })
  }
  const custom = hasCustomEndpoint(env, 'DYNAMODB')
  return new DynamoDBClient({ region: env.AWS_REGION || env.AWS_DEFAULT_REGION || (custom ? 'us-east-1' : undefined) })
}
