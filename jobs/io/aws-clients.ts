/**
 * AWS SDK clients configured by the SDK's own conventions: AWS_REGION, AWS_PROFILE, web identity
 * (IRSA), AWS_ENDPOINT_URL / AWS_ENDPOINT_URL_S3 / AWS_ENDPOINT_URL_DYNAMODB. We add only what those
 * conventions leave open: path-style addressing and a placeholder region for custom S3 endpoints,
 * a deadline on every connection and request (the SDK's default is to wait forever), and one
 * translation of the failures that are not the service's answer (timeouts, DNS, credentials,
 * region) into our error categories, each message naming the endpoint.
 */
import { S3Client } from '@aws-sdk/client-s3'
import { ConditionalCheckFailedException, DynamoDBClient } from '@aws-sdk/client-dynamodb'
import { ConfigError, InputMissingError, TransientError } from '../core/errors.js'
import { displayUrl } from '../core/redact.js'

export type Environment = Record<string, string | undefined>

/** Deadlines of every call (config `network`). */
export interface NetworkSettings {
  /** TCP (and TLS) connection set-up. */
  connectTimeoutMs: number
  /** From sending a request to its response headers; also the longest a socket may sit idle mid-body. */
  requestTimeoutMs: number
}

/** Told how many times an operation was retried by the SDK (throttling, 5xx, network). */
export type RetryObserver = (operation: string, retries: number) => void

export interface ClientOptions {
  network: NetworkSettings
  onRetry?: RetryObserver
}

/**
 * Where the SDK's credential chain will call when the environment holds no keys, for messages about
 * a failure before the request itself was sent (web identity: STS; ECS/EKS Pod Identity: the
 * container endpoint; otherwise IMDS).
 */
export function credentialsEndpoint(env: Environment): string {
  if (env.AWS_ACCESS_KEY_ID) return 'the environment'
  if (env.AWS_ROLE_ARN && env.AWS_WEB_IDENTITY_TOKEN_FILE) {
    const region = env.AWS_REGION || env.AWS_DEFAULT_REGION || 'us-east-1'
    return `STS ${displayUrl(env.AWS_ENDPOINT_URL_STS || env.AWS_ENDPOINT_URL || `https://sts.${region}.amazonaws.com`)} (web identity)`
  }
  if (env.AWS_CONTAINER_CREDENTIALS_FULL_URI) return `the container credentials endpoint ${displayUrl(env.AWS_CONTAINER_CREDENTIALS_FULL_URI)}`
  if (env.AWS_CONTAINER_CREDENTIALS_RELATIVE_URI) return 'the container credentials endpoint http://169.254.170.2'
  return `the instance metadata service ${displayUrl(env.AWS_EC2_METADATA_SERVICE_ENDPOINT || 'http://169.254.169.254')}`
}

type Service = 's3' | 'dynamodb'

/** True when the SDK will talk to a non-AWS endpoint for `service`. */
export function hasCustomEndpoint(env: Environment, service: 'S3' | 'DYNAMODB'): boolean {
  return Boolean(env[`AWS_ENDPOINT_URL_${service}`] || env.AWS_ENDPOINT_URL)
}

/**
 * The deadline settings every client shares. The same handler serves the STS client the credential
 * chain creates for web identity (the SDK hands the parent's requestHandler down), and `timeout`
 * bounds the instance and container metadata endpoints (IMDS).
 */
function deadlineConfig(network: NetworkSettings) {
  return {
    // The SDK builds its NodeHttpHandler from these options.
    requestHandler: {
      connectionTimeout: network.connectTimeoutMs,
      requestTimeout: network.requestTimeoutMs,
      throwOnRequestTimeout: true,
      socketTimeout: network.requestTimeoutMs,
    },
    timeout: network.connectTimeoutMs,
    maxRetries: 1,
  }
}

const endpointOf = Symbol('grasEndpoint')

/**
 * Reports each command's retries (from the attempts count the SDK puts on every response and error)
 * and translates its final failure. The endpoint is taken from the request the build step made, so
 * a message names the host that was really called.
 */
function instrument(client: S3Client | DynamoDBClient, service: Service, options: ClientOptions, credentials: string): void {
  const stack = client.middlewareStack as { add(m: unknown, o: unknown): void }
  const report = (operation: string, attempts: number | undefined) => {
    if (options.onRetry && attempts && attempts > 1) options.onRetry(operation, attempts - 1)
  }
  type Context = { commandName?: string; [endpointOf]?: string }
  stack.add(
    (next: (args: unknown) => Promise<{ output: { $metadata?: { attempts?: number } } }>, context: Context) => async (args: { input?: { Bucket?: string } }) => {
      const operation = context.commandName?.replace(/Command$/, '') ?? 'request'
      try {
        const result = await next(args)
        report(operation, result.output.$metadata?.attempts)
        return result
      } catch (error) {
        report(operation, (error as { $metadata?: { attempts?: number } }).$metadata?.attempts)
        throw translateAwsError(error, { service, operation, endpoint: context[endpointOf], credentials, bucket: args.input?.Bucket, network: options.network })
      }
    },
    { step: 'initialize', name: 'grasTranslateErrors' },
  )
  stack.add(
    (next: (args: { request?: { protocol?: string; hostname?: string; port?: number } }) => Promise<unknown>, context: Context) => async (args: { request?: { protocol?: string; hostname?: string; port?: number } }) => {
      const request = args.request
      if (request?.hostname) context[endpointOf] = `${request.protocol ?? 'https:'}//${request.hostname}${request.port ? `:${request.port}` : ''}`
      return next(args)
    },
    { step: 'build', name: 'grasRecordEndpoint' },
  )
}

const networkTransientCodes = new Set(['ECONNREFUSED', 'ECONNRESET', 'EPIPE', 'EAI_AGAIN', 'EHOSTUNREACH', 'ENETUNREACH', 'ECONNABORTED'])
/** The service's own answer that the credentials or the policy are wrong: retrying cannot help. */
const rejectedCredentialNames = new Set([
  'InvalidAccessKeyId',
  'SignatureDoesNotMatch',
  'ExpiredToken',
  'ExpiredTokenException',
  'InvalidToken',
  'TokenRefreshRequired',
  'UnrecognizedClientException',
  'InvalidSignatureException',
  'InvalidClientTokenId',
  'AccessDenied',
  'AccessDeniedException',
  'MissingAuthenticationToken',
])

/**
 * Our category for an SDK failure, or the error itself when it is the service's answer to the
 * request (NoSuchKey, ConditionalCheckFailed...): callers decide on those by name.
 */
export function translateAwsError(error: unknown, where: { service: Service; operation: string; endpoint?: string; credentials: string; bucket?: string; network: NetworkSettings }): unknown {
  if (typeof error !== 'object' || error === null) return error
  const e = error as { name?: string; code?: string; message?: string; hostname?: string }
  // No request was built yet: the failure came from resolving credentials.
  const what = where.endpoint ? `${where.service}: ${where.operation} ${displayUrl(where.endpoint)}` : `${where.service}: ${where.operation}: fetching credentials from ${where.credentials}`
  const why = (e.message ?? String(error)).replace(/^@smithy\/node-http-handler - (\[ERROR\] )?/, '').split('\n')[0]
  if (e.name === 'TimeoutError' || e.code === 'ETIMEDOUT') {
    return new TransientError(`${what}: no answer in time: ${why} (deadlines: network.connectTimeoutMs ${where.network.connectTimeoutMs} ms, network.requestTimeoutMs ${where.network.requestTimeoutMs} ms; is the endpoint up?)`, { cause: error })
  }
  if (e.code === 'ENOTFOUND') {
    return new ConfigError(`${what}: host ${e.hostname ?? 'of the endpoint'} does not resolve (getaddrinfo ENOTFOUND) (check AWS_ENDPOINT_URL_${where.service.toUpperCase()} / AWS_ENDPOINT_URL and AWS_REGION)`, { cause: error })
  }
  if (e.code && networkTransientCodes.has(e.code)) return new TransientError(`${what}: ${e.code}: ${why} (is the endpoint up? safe to retry)`, { cause: error })
  if (e.name === 'CredentialsProviderError') {
    return new ConfigError(`${what}: no AWS credentials: ${why} (set AWS_PROFILE, AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, or IRSA's AWS_ROLE_ARN and AWS_WEB_IDENTITY_TOKEN_FILE)`, { cause: error })
  }
  // The SDK reports a missing region as a plain Error, with no name or code to go by.
  if (e.name === 'Error' && /^Region is missing/.test(e.message ?? '')) {
    return new ConfigError(`${where.service}: no AWS region configured (set AWS_REGION, or a region in the AWS_PROFILE's config)`, { cause: error })
  }
  if (e.name && rejectedCredentialNames.has(e.name)) {
    return new ConfigError(`${what}: credentials rejected: ${e.name}: ${why} (check the credentials, the region and the role's IAM policy)`, { cause: error })
  }
  if (e.name === 'NoSuchBucket') {
    return new InputMissingError(`${what}: bucket ${where.bucket ?? ''} does not exist (check --lake / GRAS_LAKE)`, { cause: error })
  }
  return error
}

/** DynamoDB's answer to a conditional write whose condition did not hold (not a failure of the call). */
export function isConditionFailure(error: unknown): boolean {
  return error instanceof ConditionalCheckFailedException || (error as Error | undefined)?.name === 'ConditionalCheckFailedException'
}

export function createS3Client(env: Environment, options: ClientOptions): S3Client {
  const custom = hasCustomEndpoint(env, 'S3')
  const client = new S3Client({
    // S3-compatible servers (s3rver, MinIO) serve buckets by path, not by virtual host.
    forcePathStyle: custom,
    region: env.AWS_REGION || env.AWS_DEFAULT_REGION || (custom ? 'us-east-1' : undefined),
    ...deadlineConfig(options.network),
  })
  instrument(client, 's3', options, credentialsEndpoint(env))
  return client
}

export function createDynamoClient(env: Environment, endpoint: string | undefined, options: ClientOptions): DynamoDBClient {
  const custom = hasCustomEndpoint(env, 'DYNAMODB')
  const client = endpoint
    ? // The embedded server: fixed local credentials, nothing from the environment.
      new DynamoDBClient({ endpoint, region: 'local', credentials: { accessKeyId: 'embedded', secretAccessKey: 'embedded' }, ...deadlineConfig(options.network) })
    : new DynamoDBClient({ region: env.AWS_REGION || env.AWS_DEFAULT_REGION || (custom ? 'us-east-1' : undefined), ...deadlineConfig(options.network) })
  instrument(client, 'dynamodb', options, endpoint ? 'the embedded server' : credentialsEndpoint(env))
  return client
}
