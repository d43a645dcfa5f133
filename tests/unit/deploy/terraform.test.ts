/**
 * Terraform cannot download providers or modules here, so `terraform validate` cannot run: terraform/
 * is parsed with HashiCorp's HCL parser (tests/helpers/hcl.ts) and the settings that matter are read
 * as Terraform reads them (`terraform fmt -check` runs too when terraform is installed). The IAM
 * roles and policies have their own tests; module inputs, network and Argo are in terraform-*.test.ts.
 */
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { spawnSync } from 'node:child_process'
import { join } from 'node:path'
import { parseTerraformDir, terraformBlock } from '../../helpers/hcl.js'
import { repoRoot } from '../../helpers/paths.js'

const dir = join(repoRoot, 'terraform')
const config = await parseTerraformDir(dir)

test('terraform fmt -check passes', (t) => {
  const probe = spawnSync('terraform', ['version'], { encoding: 'utf8' })
  if (probe.error) return t.skip('terraform is not installed')
  const fmt = spawnSync('terraform', ['fmt', '-check', '-recursive', dir], { encoding: 'utf8' })
  assert.equal(fmt.status, 0, `unformatted: ${fmt.stdout}`)
})

test('EKS, Karpenter with its interruption queue, and Argo Workflows', () => {
  assert.equal(config.module.eks.source, 'terraform-aws-modules/eks/aws')
  assert.equal(config.module.eks.node_security_group_tags['karpenter.sh/discovery'], '${var.name_prefix}')
  assert.equal(config.module.vpc.private_subnet_tags['karpenter.sh/discovery'], '${var.name_prefix}')
  assert.equal(config.module.karpenter.enable_spot_termination, true)
  assert.equal(config.locals.karpenter_values.settings.interruptionQueue, '${module.karpenter.queue_name}')
  assert.equal(terraformBlock(config, 'helm_release.argo_workflows').chart, 'argo-workflows')
})

test('lake bucket: versioning, SSE-KMS with bucket key, TLS only, lifecycle', () => {
  const lake = config.module.lake_bucket
  assert.deepEqual(lake.versioning, { enabled: true })
  const sse = lake.server_side_encryption_configuration.rule
  assert.equal(sse.bucket_key_enabled, true)
  assert.equal(sse.apply_server_side_encryption_by_default.sse_algorithm, 'aws:kms')
  assert.equal(lake.attach_deny_insecure_transport_policy, true)
  for (const block of ['block_public_acls', 'block_public_policy', 'ignore_public_acls', 'restrict_public_buckets']) assert.equal(lake[block], true, block)
  const rules = lake.lifecycle_rule as Record<string, any>[]
  assert.ok(rules.every((r) => r.enabled === true && Number(r.abort_incomplete_multipart_upload_days) > 0), 'every rule aborts incomplete uploads')
  assert.ok(rules.some((r) => !r.filter && r.transition?.some((t: any) => t.storage_class === 'STANDARD_IA' && t.days >= 30)), 'the whole lake moves to STANDARD_IA after >= 30 days')
  assert.ok(rules.some((r) => r.filter?.prefix?.endsWith('checkpoints/') && r.expiration?.days > 0), 'neural checkpoints expire')
  const silver = rules.find((r) => r.filter?.prefix === '${local.lake_key_prefix}silver/')
  assert.ok(silver, 'silver cutoffs expire under the lake prefix')
  assert.equal(silver.expiration.days, '${var.silver_retention_days}')
  assert.equal(config.variable.silver_retention_days.default, 35)
})

test('DynamoDB tables: on demand, PITR, deletion protection, TTL on ttl; ECR tags immutable', () => {
  for (const name of ['predictions_table', 'models_table', 'accuracy_table']) {
    const table = config.module[name]
    assert.equal(table.billing_mode, 'PAY_PER_REQUEST', name)
    assert.equal(table.point_in_time_recovery_enabled, true, name)
    assert.equal(table.deletion_protection_enabled, true, name)
    assert.equal(table.server_side_encryption_enabled, true, name)
  }
  assert.equal(config.module.predictions_table.ttl_enabled, true)
  assert.equal(config.module.predictions_table.ttl_attribute_name, 'ttl')
  assert.equal(terraformBlock(config, 'aws_ecr_repository.gras').image_tag_mutability, 'IMMUTABLE')
})
