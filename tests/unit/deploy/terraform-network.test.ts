/**
 * Network and lake settings of terraform/, parsed with HashiCorp's HCL parser: NetworkPolicy
 * enforced by the VPC CNI, VPC endpoints for what the jobs call and the CIDRs the chart's egress
 * rule needs, the EKS API endpoint private unless CIDRs are given, and the checkpoint lifecycle rule
 * on the keys train-neural really writes. Expressions that only Terraform can evaluate are evaluated
 * by `terraform console` when terraform is installed (it needs no providers for these).
 */
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { copyFileSync, rmSync, writeFileSync } from 'node:fs'
import { spawnSync } from 'node:child_process'
import { join } from 'node:path'
import { expressionOf, parseTerraformDir, terraformBlock } from '../../helpers/hcl.js'
import { repoRoot, tempDir } from '../../helpers/paths.js'
import { parseLakeUri } from '../../../jobs/io/lake.js'
import { joinKey } from '../../../jobs/io/object-store.js'
import { neuralCheckpointPrefix } from '../../../jobs/core/lake-layout.js'

const terraformDir = join(repoRoot, 'terraform')
const config = await parseTerraformDir(terraformDir)
const hasTerraform = !spawnSync('terraform', ['version'], { encoding: 'utf8' }).error

/**
 * Evaluates `expressions` with the real Terraform against terraform/variables.tf, the given locals
 * (copied from terraform/ as text) and variable values; module outputs are swapped for variables.
 */
function evaluate(expressions: string[], options: { locals: string[]; vars: Record<string, string>; modules?: Record<string, string> }): unknown[] {
  const dir = tempDir('tf-console')
  copyFileSync(join(terraformDir, 'variables.tf'), join(dir, 'variables.tf'))
  const swap = (text: string) => Object.entries(options.modules ?? {}).reduce((t, [ref, name]) => t.split(ref).join(`var.${name}`), text)
  const locals = options.locals.map((name) => `  ${name} = ${swap(expressionOf(config.locals[name]) ?? JSON.stringify(config.locals[name]))}`)
  const extra = Object.values(options.modules ?? {}).map((name) => `variable "${name}" {\n  type = string\n}`)
  writeFileSync(join(dir, 'test.tf'), `locals {\n${locals.join('\n')}\n}\n${extra.join('\n')}\n`)
  const args = ['console', ...Object.entries(options.vars).flatMap(([k, v]) => ['-var', `${k}=${v}`])]
  // One expression: terraform console prints only the last result of a non-interactive input.
  const run = spawnSync('terraform', args, { cwd: dir, input: `jsonencode([${expressions.map(swap).join(', ')}])\n`, encoding: 'utf8', timeout: 60_000 })
  rmSync(dir, { recursive: true, force: true })
  assert.equal(run.status, 0, `terraform console: ${run.stderr}`)
  return JSON.parse(JSON.parse(run.stdout.trim())) as unknown[]
}

test('the VPC CNI addon enforces NetworkPolicy (enableNetworkPolicy "true")', () => {
  const cni = config.module.eks.addons['vpc-cni']
  assert.equal(cni.configuration_values, '${jsonencode(local.vpc_cni_configuration)}')
  // The addon's configuration schema takes the string "true", not a boolean.
  assert.deepEqual(config.locals.vpc_cni_configuration, { enableNetworkPolicy: 'true' })
})

test('gateway endpoints for S3 and DynamoDB on the private route tables, an STS interface endpoint with private DNS', () => {
  for (const service of ['s3', 'dynamodb']) {
    const endpoint = terraformBlock(config, `aws_vpc_endpoint.${service}`)
    assert.equal(endpoint.service_name, `com.amazonaws.\${var.region}.${service}`)
    assert.equal(endpoint.vpc_endpoint_type, 'Gateway')
    assert.equal(endpoint.route_table_ids, '${module.vpc.private_route_table_ids}', `${service}: the nodes' (private) subnets route through it`)
  }
  const sts = terraformBlock(config, 'aws_vpc_endpoint.sts')
  assert.equal(sts.service_name, 'com.amazonaws.${var.region}.sts')
  assert.equal(sts.vpc_endpoint_type, 'Interface')
  assert.equal(sts.private_dns_enabled, true, 'the SDK\'s regional STS name resolves to the endpoint')
  assert.equal(sts.subnet_ids, '${module.vpc.private_subnets}')
  const group = terraformBlock(config, 'aws_security_group.sts_endpoint')
  assert.deepEqual(group.ingress.map((r: any) => [r.from_port, r.to_port, r.protocol, r.cidr_blocks]), [[443, 443, 'tcp', ['${module.vpc.vpc_cidr_block}']]])
})

test('output network_policy_egress_cidrs: the endpoints\' prefix lists and the VPC CIDR', () => {
  for (const service of ['s3', 'dynamodb']) {
    assert.equal(terraformBlock(config, `data.aws_ec2_managed_prefix_list.${service}`).id, `\${aws_vpc_endpoint.${service}.prefix_list_id}`)
  }
  const value = expressionOf(config.output.network_policy_egress_cidrs?.value)
  assert.ok(value, 'output network_policy_egress_cidrs exists')
  for (const part of ['data.aws_ec2_managed_prefix_list.s3.entries', 'data.aws_ec2_managed_prefix_list.dynamodb.entries', 'module.vpc.vpc_cidr_block']) assert.ok(value.includes(part), `it includes ${part}`)
})

test('EKS API: private endpoint always, public only for the CIDRs given (none by default)', () => {
  const eks = config.module.eks
  assert.equal(eks.endpoint_private_access, true)
  assert.equal(eks.endpoint_public_access, '${length(var.cluster_endpoint_public_access_cidrs) > 0}')
  assert.equal(eks.endpoint_public_access_cidrs, '${var.cluster_endpoint_public_access_cidrs}')
  assert.deepEqual(config.variable.cluster_endpoint_public_access_cidrs.default, [])
})

test('the checkpoint lifecycle rule covers the keys train-neural writes, at the bucket root or under a lake prefix', (t) => {
  const rules = config.module.lake_bucket.lifecycle_rule as { id: string; filter?: { prefix: string }; expiration?: { days: number } }[]
  const rule = rules.find((r) => r.id === 'expire-neural-checkpoints')
  assert.ok(rule?.filter && rule.expiration, 'a checkpoint rule with a filter and an expiration')
  assert.equal(rule.filter.prefix, '${local.lake_key_prefix}checkpoints/', 'the filter starts at the lake prefix')
  if (!hasTerraform) return t.skip('terraform is not installed: the expressions are not evaluated')
  const lakeUri = expressionOf(config.output.lake_uri.value)!
  const filter = `"${rule.filter.prefix}"`
  for (const prefix of ['', 'lake', 'teams/gras']) {
    const [uri, filterPrefix] = evaluate([lakeUri, filter], { locals: ['lake_key_prefix'], vars: { lake_bucket_name: 'acme-lake', lake_prefix: prefix, bucket_id: 'acme-lake' }, modules: { 'module.lake_bucket.s3_bucket_id': 'bucket_id' } }).map(String)
    // The key the S3 store writes a checkpoint to (jobs/io/lake.ts, object-store.ts, core/lake-layout.ts).
    const key = joinKey(parseLakeUri(uri).prefix!, neuralCheckpointPrefix('run-1', 'final', 0), 'weights.bin')
    assert.ok(key.startsWith(filterPrefix), `lake_prefix "${prefix}": checkpoint key ${key} is not under the lifecycle filter ${filterPrefix} (lake_uri ${uri})`)
  }
})
