/**
 * Terraform cannot download providers here, so `terraform validate` cannot run: this parses the HCL
 * as text and checks the properties that matter (`terraform fmt -check` runs too when terraform is
 * installed).
 */
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { readFileSync, readdirSync } from 'node:fs'
import { spawnSync } from 'node:child_process'
import { join } from 'node:path'
import { repoRoot } from '../../helpers/paths.js'

const dir = join(repoRoot, 'terraform')
const hcl = Object.fromEntries(readdirSync(dir).filter((f) => f.endsWith('.tf')).map((f) => [f, readFileSync(join(dir, f), 'utf8')]))
const all = Object.values(hcl).join('\n')

/** The text of a top-level block such as `module "eks"` or `resource "aws_iam_role" "job"`. */
function block(header: string): string {
  const start = all.indexOf(header)
  assert.ok(start >= 0, `terraform has ${header}`)
  let depth = 0
  for (let i = all.indexOf('{', start); i < all.length; i++) {
    if (all[i] === '{') depth++
    if (all[i] === '}' && --depth === 0) return all.slice(start, i + 1)
  }
  throw new Error(`unbalanced braces after ${header}`)
}

test('terraform fmt -check passes', (t) => {
  const probe = spawnSync('terraform', ['version'], { encoding: 'utf8' })
  if (probe.error) return t.skip('terraform is not installed')
  const fmt = spawnSync('terraform', ['fmt', '-check', '-recursive', dir], { encoding: 'utf8' })
  assert.equal(fmt.status, 0, `unformatted: ${fmt.stdout}`)
})

test('EKS, Karpenter with its interruption queue, and Argo Workflows', () => {
  assert.match(block('module "eks"'), /source\s*=\s*"terraform-aws-modules\/eks\/aws"[\s\S]*version\s*=\s*"21\.19\.0"/)
  assert.match(block('module "eks"'), /"karpenter.sh\/discovery"/)
  assert.match(block('module "karpenter"'), /enable_spot_termination\s*=\s*true/)
  assert.match(block('resource "helm_release" "karpenter"'), /interruptionQueue\s*=\s*module\.karpenter\.queue_name/)
  assert.match(block('resource "helm_release" "argo_workflows"'), /chart\s*=\s*"argo-workflows"/)
})

test('IRSA: one role per job, trust pinned to its ServiceAccount and audience, no wildcards on actions', () => {
  const trust = block('data "aws_iam_policy_document" "trust"')
  assert.match(trust, /test\s*=\s*"StringEquals"[\s\S]*:sub"[\s\S]*system:serviceaccount:\$\{var\.namespace\}:\$\{var\.service_account\}-\$\{each\.key\}/)
  assert.match(trust, /:aud"[\s\S]*"sts\.amazonaws\.com"/)
  const policy = block('data "aws_iam_policy_document" "job"')
  assert.doesNotMatch(policy, /"s3:\*"|"dynamodb:\*"|"\*"\]/)
  assert.match(policy, /variable\s*=\s*"s3:prefix"/)
  const locals = block('locals {')
  for (const job of ['features', 'train', 'infer']) assert.match(locals, new RegExp(`\\n\\s*${job} = \\{`))
  // features never touches models or predictions; infer never writes models.
  assert.match(locals, /features = \{\s*read_prefixes\s*=\s*\["bronze", "silver", "quarantine"\]\s*write_prefixes\s*=\s*\["silver", "quarantine"\]/)
  assert.match(locals, /infer = \{[\s\S]*write_prefixes\s*=\s*\["predictions"\]/)
  // train-neural runs under the train role and checkpoints to checkpoints/<run id>/.
  assert.match(locals, /train = \{[^}]*write_prefixes\s*=\s*\[[^\]]*"checkpoints"/)
})

test('lake bucket: versioning, SSE-KMS with bucket key, TLS only, lifecycle', () => {
  const lake = block('module "lake_bucket"')
  assert.match(lake, /versioning\s*=\s*\{\s*enabled\s*=\s*true\s*\}/)
  assert.match(lake, /sse_algorithm\s*=\s*"aws:kms"/)
  assert.match(lake, /bucket_key_enabled\s*=\s*true/)
  assert.match(lake, /attach_deny_insecure_transport_policy\s*=\s*true/)
  assert.match(lake, /abort_incomplete_multipart_upload_days\s*=\s*\d+/)
  assert.match(lake, /storage_class\s*=\s*"STANDARD_IA"/)
  assert.match(lake, /filter\s*=\s*\{\s*prefix\s*=\s*"checkpoints\/"\s*\}\s*expiration\s*=\s*\{\s*days\s*=\s*\d+\s*\}/, 'neural checkpoints expire')
})

test('DynamoDB tables: on demand, PITR, deletion protection, TTL on ttl', () => {
  for (const name of ['predictions_table', 'models_table']) {
    const table = block(`module "${name}"`)
    assert.match(table, /billing_mode\s*=\s*"PAY_PER_REQUEST"/)
    assert.match(table, /point_in_time_recovery_enabled\s*=\s*true/)
    assert.match(table, /deletion_protection_enabled\s*=\s*true/)
  }
  assert.match(block('module "predictions_table"'), /ttl_enabled\s*=\s*true[\s\S]*ttl_attribute_name\s*=\s*"ttl"/)
  assert.match(block('resource "aws_ecr_repository" "gras"'), /image_tag_mutability\s*=\s*"IMMUTABLE"/)
})
