/**
 * The IAM checker's own rules, so a green iam-behaviour test means what it says: IAM's evaluation
 * logic (an explicit Deny wins; a condition key the request lacks fails the condition; actions
 * match case-insensitively, resources case-sensitively; `*` and `?` wildcards: "Policy evaluation
 * logic" and "IAM JSON policy elements: Condition" in the IAM User Guide), and no request shape or
 * Terraform form it does not know is passed over.
 */
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { evaluate, unusedGrants, type PolicyDocument } from '../helpers/iam-policy.js'
import { dynamoRequestsOf, s3RequestsOf, type IamRequest } from '../helpers/iam-requests.js'
import { loadTerraform } from '../helpers/iam-terraform.js'
import { tempDir } from '../helpers/paths.js'

const list = (prefix?: string): IamRequest => ({ action: 's3:ListBucket', resource: 'arn:aws:s3:::b', context: prefix === undefined ? {} : { 's3:prefix': prefix }, operation: 'ListObjectsV2' })
const policy = (...Statement: PolicyDocument['Statement']): PolicyDocument => ({ Version: '2012-10-17', Statement })

test('IAM evaluation: wildcards, case, conditions on a missing key, explicit deny', () => {
  const allowList = policy({ Sid: 'L', Effect: 'Allow', Action: ['S3:List*'], Resource: ['arn:aws:s3:::b'], Condition: { StringLike: { 's3:prefix': ['gras/silver/*'] } } })
  assert.equal(evaluate([allowList], list('gras/silver/x/')).allowed, true)
  assert.equal(evaluate([allowList], list('gras/bronze/x/')).allowed, false)
  assert.equal(evaluate([allowList], list()).allowed, false, 'a listing without a prefix does not satisfy an s3:prefix condition')
  assert.equal(evaluate([allowList], { ...list('gras/silver/'), resource: 'arn:aws:s3:::B' }).allowed, false, 'resources are case-sensitive')
  const get = policy({ Effect: 'Allow', Action: ['s3:GetObject'], Resource: ['arn:aws:s3:::b/gras/m?dels/*'] })
  assert.equal(evaluate([get], { action: 's3:getobject', resource: 'arn:aws:s3:::b/gras/models/k', context: {}, operation: 'GetObject' }).allowed, true)
  assert.equal(evaluate([get], { action: 's3:GetObject', resource: 'arn:aws:s3:::b/gras/mooodels/k', context: {}, operation: 'GetObject' }).allowed, false)
  const deny = policy({ Effect: 'Deny', Action: ['s3:*'], Resource: ['*'] })
  assert.equal(evaluate([allowList, deny], list('gras/silver/x/')).allowed, false, 'an explicit deny wins')
  assert.throws(() => evaluate([policy({ Effect: 'Allow', Action: ['s3:*'], Resource: ['*'], Condition: { IpAddress: { 'aws:SourceIp': ['10.0.0.0/8'] } } })], list('x')), /IpAddress is not supported/)
  assert.deepEqual(unusedGrants([allowList], evaluate([allowList], list('gras/silver/')).matches), [])
  assert.deepEqual(unusedGrants([allowList], []), ['L: no request used the statement'])
})

test('requests: the IAM action of each S3 and DynamoDB request shape, and an error for any other', () => {
  const s3 = (method: string, url: string, headers = {}) => s3RequestsOf({ method, url, headers, body: Buffer.alloc(0) })
  assert.deepEqual(s3('GET', '/b?list-type=2&prefix=gras%2Fsilver%2F&x-id=ListObjectsV2').map((r) => [r.action, r.resource, r.context]), [['s3:ListBucket', 'arn:aws:s3:::b', { 's3:prefix': 'gras/silver/' }]])
  assert.deepEqual(s3('HEAD', '/b/gras/k%3D1').map((r) => [r.action, r.resource]), [['s3:GetObject', 'arn:aws:s3:::b/gras/k=1']])
  assert.deepEqual(s3('PUT', '/b/gras/q/k', { 'x-amz-copy-source': 'b/gras/bronze/k' }).map((r) => [r.action, r.resource]), [
    ['s3:GetObject', 'arn:aws:s3:::b/gras/bronze/k'],
    ['s3:PutObject', 'arn:aws:s3:::b/gras/q/k'],
  ])
  assert.deepEqual(s3('DELETE', '/b/k').map((r) => r.action), ['s3:DeleteObject'])
  assert.throws(() => s3('GET', '/b?versioning'), /no IAM mapping for S3 GET/)
  assert.throws(() => s3('PUT', '/b/k?tagging'), /no IAM mapping/)
  const signed = { authorization: 'AWS4-HMAC-SHA256 Credential=AK/20261201/eu-west-1/dynamodb/aws4_request, SignedHeaders=host, Signature=0' }
  const dynamo = (op: string, body: object) => dynamoRequestsOf({ method: 'POST', url: '/', headers: { ...signed, 'x-amz-target': `DynamoDB_20120810.${op}` }, body: Buffer.from(JSON.stringify(body)) }, '1')
  assert.deepEqual(dynamo('Query', { TableName: 't', IndexName: 'i' }).map((r) => [r.action, r.resource]), [['dynamodb:Query', 'arn:aws:dynamodb:eu-west-1:1:table/t/index/i']])
  assert.deepEqual(dynamo('BatchWriteItem', { RequestItems: { a: [], b: [] } }).map((r) => r.resource), ['arn:aws:dynamodb:eu-west-1:1:table/a', 'arn:aws:dynamodb:eu-west-1:1:table/b'])
  assert.throws(() => dynamo('TransactWriteItems', { TransactItems: [] }), /no IAM mapping for DynamoDB TransactWriteItems/)
})

test('terraform: a form the evaluator does not know is an error naming it, never skipped', async () => {
  const attempt = async (hcl: string) => {
    const dir = tempDir('iam-tf')
    writeFileSync(join(dir, 'main.tf'), hcl)
    const terraform = await loadTerraform(dir, { variables: {}, accountId: '1', knownAfterApply: {} })
    return terraform.policyDocument('p')
  }
  const ok = await attempt('variable "x" {\n  default = "a"\n}\ndata "aws_iam_policy_document" "p" {\n  statement {\n    actions   = ["s3:GetObject"]\n    resources = ["arn:aws:s3:::${var.x}/*"]\n  }\n}\n')
  assert.deepEqual(ok.Statement, [{ Effect: 'Allow', Action: ['s3:GetObject'], Resource: ['arn:aws:s3:::a/*'] }])
  await assert.rejects(attempt('data "aws_iam_policy_document" "p" {\n  statement {\n    not_actions = ["s3:*"]\n  }\n}\n'), /not_actions not evaluated/)
  await assert.rejects(attempt('data "aws_iam_policy_document" "p" {\n  source_policy_documents = []\n}\n'), /source_policy_documents not evaluated/)
  await assert.rejects(attempt('data "aws_iam_policy_document" "p" {\n  statement {\n    actions = [upper("s3:getobject")]\n  }\n}\n'), /function upper/)
  await assert.rejects(attempt('data "aws_iam_policy_document" "p" {\n  statement {\n    actions = [aws_kms_key.k.arn]\n  }\n}\nresource "aws_kms_key" "k" {\n}\n'), /aws_kms_key.k.arn is known only after apply/)
})
