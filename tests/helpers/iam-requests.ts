/**
 * What IAM authorises for an HTTP request to S3 or DynamoDB: the action, the resource ARN and the
 * condition keys, derived from the request itself (method, path-style URL and query, headers,
 * body), as the AWS service authorisation reference lists them for each API operation. A request
 * shape not listed here is an error, so a new kind of call cannot pass the IAM test unexamined.
 */
import type { Exchange } from './fault-proxy.js'

export interface IamRequest {
  action: string
  resource: string
  /** Condition keys the request carries (`s3:prefix` on a listing). */
  context: Record<string, string>
  /** The API operation, for reports: `ListObjectsV2`, `DynamoDB.PutItem`, `kms:Decrypt (SSE-KMS of GetObject)`. */
  operation: string
}

type Request = Pick<Exchange, 'method' | 'url' | 'headers' | 'body'>

/** Path-style S3: `/bucket`, `/bucket/key`. */
export function s3RequestsOf(request: Request): IamRequest[] {
  const [path, query = ''] = request.url.split('?', 2)
  const params = new URLSearchParams(query)
  const slash = path.indexOf('/', 1)
  const bucket = decodeURIComponent(slash < 0 ? path.slice(1) : path.slice(1, slash))
  const key = slash < 0 ? '' : decodeURIComponent(path.slice(slash + 1))
  const object = `arn:aws:s3:::${bucket}/${key}`
  const sub = [...params.keys()].filter((name) => name !== 'x-id')
  const only = (...allowed: string[]) => sub.every((name) => allowed.includes(name))
  const fail = (): never => {
    throw new Error(`iam-requests: no IAM mapping for S3 ${request.method} ${request.url}`)
  }
  if (!key) {
    // GET /bucket?list-type=2 is ListObjectsV2, HEAD /bucket is HeadBucket: both s3:ListBucket.
    if ((request.method === 'GET' && params.get('list-type') === '2' && only('list-type', 'prefix', 'delimiter', 'continuation-token', 'max-keys', 'start-after')) || (request.method === 'HEAD' && sub.length === 0)) {
      const context: Record<string, string> = {}
      if (params.has('prefix')) context['s3:prefix'] = params.get('prefix')!
      if (params.has('delimiter')) context['s3:delimiter'] = params.get('delimiter')!
      return [{ action: 's3:ListBucket', resource: `arn:aws:s3:::${bucket}`, context, operation: request.method === 'HEAD' ? 'HeadBucket' : 'ListObjectsV2' }]
    }
    return fail()
  }
  const copySource = request.headers['x-amz-copy-source']
  switch (request.method) {
    case 'GET':
    case 'HEAD':
      if (!only()) return fail()
      return [{ action: 's3:GetObject', resource: object, context: {}, operation: request.method === 'HEAD' ? 'HeadObject' : 'GetObject' }]
    case 'PUT': {
      if (!only()) return fail()
      if (typeof copySource !== 'string') return [{ action: 's3:PutObject', resource: object, context: {}, operation: 'PutObject' }]
      const source = decodeURIComponent(copySource.replace(/^\//, '').split('?')[0])
      return [
        { action: 's3:GetObject', resource: `arn:aws:s3:::${source}`, context: {}, operation: 'CopyObject (source)' },
        { action: 's3:PutObject', resource: object, context: {}, operation: 'CopyObject' },
      ]
    }
    case 'DELETE':
      if (!only()) return fail()
      return [{ action: 's3:DeleteObject', resource: object, context: {}, operation: 'DeleteObject' }]
    default:
      return fail()
  }
}

/** DynamoDB's JSON protocol: the operation is in X-Amz-Target, the tables in the body. */
export function dynamoRequestsOf(request: Request, account: string): IamRequest[] {
  const target = String(request.headers['x-amz-target'] ?? '')
  const operation = /^DynamoDB_20120810\.([A-Za-z]+)$/.exec(target)?.[1]
  if (!operation) throw new Error(`iam-requests: not a DynamoDB request (X-Amz-Target ${JSON.stringify(target)})`)
  // The region the client signed for: Credential=<key id>/<date>/<region>/dynamodb/aws4_request.
  const region = /Credential=[^/]+\/\d{8}\/([a-z0-9-]+)\/dynamodb\//.exec(String(request.headers.authorization ?? ''))?.[1]
  if (!region) throw new Error(`iam-requests: DynamoDB ${operation} is not SigV4-signed for dynamodb`)
  const body = JSON.parse(request.body.toString() || '{}') as { TableName?: string; IndexName?: string; RequestItems?: Record<string, unknown> }
  const tables = body.RequestItems ? Object.keys(body.RequestItems) : body.TableName ? [body.TableName] : []
  const singleTable = ['GetItem', 'PutItem', 'DeleteItem', 'UpdateItem', 'Query', 'Scan', 'DescribeTable', 'CreateTable', 'UpdateTimeToLive', 'DescribeTimeToLive']
  const batch = ['BatchWriteItem', 'BatchGetItem']
  if (!(singleTable.includes(operation) && tables.length === 1) && !(batch.includes(operation) && tables.length > 0)) {
    throw new Error(`iam-requests: no IAM mapping for DynamoDB ${operation} on ${JSON.stringify(tables)}`)
  }
  const index = body.IndexName && ['Query', 'Scan'].includes(operation) ? `/index/${body.IndexName}` : ''
  return tables.map((table) => ({
    action: `dynamodb:${operation}`,
    resource: `arn:aws:dynamodb:${region}:${account}:table/${table}${index}`,
    context: {},
    operation: `DynamoDB.${operation}`,
  }))
}

/**
 * Everything IAM checks for one recorded exchange: the request's own action(s); for a successful
 * object read or write on the SSE-KMS lake, the KMS permission S3 uses on the caller's behalf; for
 * an object read answered 404, s3:ListBucket on the bucket (without it S3 answers 403, see
 * "GetObject: Permissions" in the S3 API reference; whether an s3:prefix condition can satisfy this
 * is not documented, so no s3:prefix is assumed).
 */
export function iamRequestsOf(exchange: Exchange & { service: 's3' | 'dynamodb' }, options: { accountId: string; lakeKeyArn: string }): IamRequest[] {
  if (exchange.service === 'dynamodb') return dynamoRequestsOf(exchange, options.accountId)
  const requests = s3RequestsOf(exchange)
  if (exchange.status < 300) return [...requests, ...sseKmsRequestsOf(requests, options.lakeKeyArn)]
  if (exchange.status !== 404 || requests[0].action !== 's3:GetObject') return requests
  const bucketArn = requests[0].resource.slice(0, requests[0].resource.indexOf('/'))
  return [...requests, { action: 's3:ListBucket', resource: bucketArn, context: {}, operation: `${requests[0].operation} answered 404` }]
}

/**
 * The KMS calls S3 makes with the caller's permissions on an SSE-KMS bucket: a read needs
 * kms:Decrypt, a write kms:GenerateDataKey, on the bucket's key (a bucket key makes S3 call KMS
 * less often; the permission is still the caller's).
 */
export function sseKmsRequestsOf(s3Requests: IamRequest[], keyArn: string): IamRequest[] {
  const byAction: Record<string, string> = { 's3:GetObject': 'kms:Decrypt', 's3:PutObject': 'kms:GenerateDataKey' }
  return s3Requests
    .filter((r) => byAction[r.action])
    .map((r) => ({ action: byAction[r.action], resource: keyArn, context: {}, operation: `${byAction[r.action]} (SSE-KMS of ${r.operation})` }))
}
