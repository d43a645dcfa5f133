/**
 * Network and lake settings of terraform/, parsed with HashiCorp's HCL parser: NetworkPolicy
 * enforced by the VPC CNI, VPC endpoints for what the jobs call and the CIDRs the chart's egress
 * rule needs, the EKS API endpoint private unless CIDRs are given, and the checkpoint lifecycle rule
 * on the keys train-neural really writes. Expressions that only Terraform can evaluate are evaluated
 * by `terraform console` when terraform is installed (it needs no providers for these).
 */
import { test, type TestContext } from 'node:test'
import assert from 'node:assert/strict'
import { copyFileSync, rmSync, writeFileSync } from 'node:fs'
import { spawnSync } from 'node:child_process'
import { join } from 'node:path'
import { expressionOf, parseTerraformDir, terraformBlock } from '../../helpers/hcl.js'
import { repoRoot, tempDir } from '../../helpers/paths.js'
import { parseLakeUri } from '../../../jobs/io/lake.js'
import { joinKey } from '../../../jobs/io/object-store.js'
import { lateRunMarkerKey, neuralCheckpointPrefix, servedRunsKey } from '../../../jobs/core/lake-layout.js'

const terraformDir = join(repoRoot, 'terraform')
const config = await parseTerraformDir(terraformDir)
const hasTerraform = !spawnSync('terraform', ['version'], { encoding: 'utf8' }).error

/**
 * Evaluates `expressions` with the real Terraform against terraform/variables.tf, the given locals
 * (copied from terraform/ as text) and variable values; references to modules and data sources are
 * swapped for variables (`stubs`).
 */
function evaluate(expressions: string[], options: { locals: string[]; vars: Record<string, string>; stubs?: Record<string, { variable: string; type: string }> }): unknown[] {
  const dir = tempDir('tf-console')
  copyFileSync(join(terraformDir, 'variables.tf'), join(dir, 'variables.tf'))
  const swap = (text: string) => Object.entries(options.stubs ?? {}).reduce((t, [ref, { variable }]) => t.split(ref).join(`var.${variable}`), text)
  const locals = options.locals.map((name) => `  ${name} = ${swap(expressionOf(config.locals[name]) ?? JSON.stringify(config.locals[name]))}`)
  // The expressions become locals too: the console reads its input line by line, a file does not.
  const evaluated = expressions.map((expression, i) => `  test_expression_${i} = ${swap(expression)}`)
  const extra = Object.values(options.stubs ?? {}).map(({ variable, type }) => `variable "${variable}" {\n  type = ${type}\n}`)
  writeFileSync(join(dir, 'test.tf'), `locals {\n${[...locals, ...evaluated].join('\n')}\n}\n${extra.join('\n')}\n`)
  const args = ['console', ...Object.entries(options.vars).flatMap(([k, v]) => ['-var', `${k}=${v}`])]
  // One expression: terraform console prints only the last result of a non-interactive input.
  const run = spawnSync('terraform', args, { cwd: dir, input: `jsonencode([${expressions.map((_, i) => `local.test_expression_${i}`).join(', ')}])\n`, encoding: 'utf8', timeout: 60_000 })
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
  assert.equal(config.module.vpc.enable_dns_support, true, 'private DNS needs the VPC\'s DNS support')
  assert.equal(config.module.vpc.enable_dns_hostnames, true, 'private DNS needs the VPC\'s DNS hostnames')
  assert.equal(sts.subnet_ids, '${module.vpc.private_subnets}')
  const group = terraformBlock(config, 'aws_security_group.sts_endpoint')
  assert.deepEqual(group.ingress.map((r: any) => [r.from_port, r.to_port, r.protocol, r.cidr_blocks]), [[443, 443, 'tcp', ['${module.vpc.vpc_cidr_block}']]])
})

test('output network_policy_egress_cidrs: the endpoints\' prefix lists and the VPC CIDR', (t) => {
  for (const service of ['s3', 'dynamodb']) {
    assert.equal(terraformBlock(config, `data.aws_ec2_managed_prefix_list.${service}`).id, `\${aws_vpc_endpoint.${service}.prefix_list_id}`)
  }
  const value = expressionOf(config.output.network_policy_egress_cidrs?.value)
  assert.ok(value, 'output network_policy_egress_cidrs exists')
  for (const part of ['data.aws_ec2_managed_prefix_list.s3.entries', 'data.aws_ec2_managed_prefix_list.dynamodb.entries', 'module.vpc.vpc_cidr_block']) assert.ok(value.includes(part), `it includes ${part}`)
  if (!hasTerraform) return t.skip('terraform is not installed: the expression is not evaluated')
  const entries = 'list(object({ cidr = string, description = string }))'
  const [cidrs] = evaluate([value], {
    locals: [],
    vars: {
      lake_bucket_name: 'acme-lake',
      s3_entries: JSON.stringify([{ cidr: '52.218.0.0/17', description: '' }, { cidr: '3.5.64.0/21', description: '' }]),
      dynamodb_entries: JSON.stringify([{ cidr: '52.94.24.0/23', description: '' }]),
      vpc_cidr: '10.42.0.0/16',
    },
    stubs: {
      'data.aws_ec2_managed_prefix_list.s3.entries': { variable: 's3_entries', type: entries },
      'data.aws_ec2_managed_prefix_list.dynamodb.entries': { variable: 'dynamodb_entries', type: entries },
      'module.vpc.vpc_cidr_block': { variable: 'vpc_cidr', type: 'string' },
    },
  })
  assert.deepEqual(cidrs, ['3.5.64.0/21', '52.218.0.0/17', '52.94.24.0/23', '10.42.0.0/16'])
})

test('EKS API: private endpoint always, public only for the CIDRs given (none by default)', () => {
  const eks = config.module.eks
  assert.equal(eks.endpoint_private_access, true)
  assert.equal(eks.endpoint_public_access, '${length(var.cluster_endpoint_public_access_cidrs) > 0}')
  assert.equal(eks.endpoint_public_access_cidrs, '${var.cluster_endpoint_public_access_cidrs}')
  assert.deepEqual(config.variable.cluster_endpoint_public_access_cidrs.default, [])
  assert.deepEqual(config.variable.cluster_endpoint_private_access_cidrs.default, [])
})

test('the private API endpoint admits 443 from exactly the CIDRs given', (t) => {
  const rules = expressionOf(config.module.eks.security_group_additional_rules)
  assert.ok(rules && rules.includes('var.cluster_endpoint_private_access_cidrs'), 'security_group_additional_rules comes from var.cluster_endpoint_private_access_cidrs')
  if (!hasTerraform) return t.skip('terraform is not installed: the expression is not evaluated')
  const [none, two] = [[], ['10.42.128.0/24', '192.168.0.0/16']].map((cidrs) => evaluate([rules], { locals: [], vars: { lake_bucket_name: 'acme-lake', cluster_endpoint_private_access_cidrs: JSON.stringify(cidrs) } })[0] as Record<string, any>)
  assert.deepEqual(none, {})
  assert.deepEqual(Object.values(two).map((r) => [r.type, r.protocol, r.from_port, r.to_port, r.cidr_blocks]), [['ingress', 'tcp', 443, 443, ['10.42.128.0/24']], ['ingress', 'tcp', 443, 443, ['192.168.0.0/16']]])
})

/** The lifecycle rule `id` filters from the lake prefix on `under`, and every lake prefix's key `keyOf()` (as the S3 store writes it) falls under it. */
function assertRuleCovers(t: TestContext, id: string, under: string, what: string, keyOf: () => string): void {
  const rules = config.module.lake_bucket.lifecycle_rule as { id: string; filter?: { prefix: string }; expiration?: { days: number } }[]
  const rule = rules.find((r) => r.id === id)
  assert.ok(rule?.filter && rule.expiration, `a ${what} rule with a filter and an expiration`)
  assert.equal(rule.filter.prefix, `\${local.lake_key_prefix}${under}`, 'the filter starts at the lake prefix')
  if (!hasTerraform) return t.skip('terraform is not installed: the expressions are not evaluated')
  const lakeUri = expressionOf(config.output.lake_uri.value) ?? JSON.stringify(config.output.lake_uri.value)
  const filter = `"${rule.filter.prefix}"`
  for (const prefix of ['gras', 'lake', 'teams/gras']) {
    const [uri, filterPrefix] = evaluate([lakeUri, filter], { locals: ['lake_key_prefix'], vars: { lake_bucket_name: 'acme-lake', lake_prefix: prefix, bucket_id: 'acme-lake' }, stubs: { 'module.lake_bucket.s3_bucket_id': { variable: 'bucket_id', type: 'string' } } }).map(String)
    // The key the S3 store writes (jobs/io/lake.ts, object-store.ts, core/lake-layout.ts).
    const key = joinKey(parseLakeUri(uri).prefix!, keyOf())
    assert.ok(key.startsWith(filterPrefix), `lake_prefix "${prefix}": ${what} key ${key} is not under the lifecycle filter ${filterPrefix} (lake_uri ${uri})`)
  }
}

test('the checkpoint lifecycle rule covers the keys train-neural writes under the lake prefix', (t) => {
  assertRuleCovers(t, 'expire-neural-checkpoints', 'checkpoints/', 'checkpoint', () => joinKey(neuralCheckpointPrefix('run-1', 'final', 0), 'weights.bin'))
})

test('the served-runs lifecycle rule covers the kept served runs and the late-run mark monitor and infer write', (t) => {
  const day = 86_400_000
  assertRuleCovers(t, 'expire-monitor-served-runs', 'monitor/served/', 'served runs', () => servedRunsKey('O', 20 * day, 27 * day, { index: 2, count: 3 }))
  assertRuleCovers(t, 'expire-monitor-served-runs', 'monitor/served/', 'late-run mark', () => lateRunMarkerKey('O'))
})
