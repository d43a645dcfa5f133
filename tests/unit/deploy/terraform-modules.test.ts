/**
 * Every terraform-aws-modules module terraform/ calls, against that module's own variables and
 * outputs at the exact version pinned (tests/fixtures/terraform, extracted from the module
 * repositories at their tags). Terraform cannot download modules here, so `terraform validate`,
 * which would catch these, cannot run.
 */
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { readFileSync, readdirSync } from 'node:fs'
import { join } from 'node:path'
import { parseTerraformDir, referencesIn } from '../../helpers/hcl.js'
import { fixturesDir, repoRoot } from '../../helpers/paths.js'

interface ModuleFixture {
  source: string
  version: string
  variables: string[]
  required: string[]
  outputs: string[]
  addonAttributes?: string[]
}

const fixtureDir = join(fixturesDir, 'terraform')
const fixtures = readdirSync(fixtureDir)
  .filter((f) => f.endsWith('.json') && !f.endsWith('-values.json'))
  .map((f) => JSON.parse(readFileSync(join(fixtureDir, f), 'utf8')) as ModuleFixture)
const bySource = new Map(fixtures.map((f) => [f.source, f]))
/** Meta-arguments of a module block, not inputs. */
const metaArguments = new Set(['source', 'version', 'providers', 'depends_on', 'count', 'for_each'])

const config = await parseTerraformDir(join(repoRoot, 'terraform'))

test('every module is pinned to the exact version its fixture was extracted at', () => {
  assert.ok(Object.keys(config.module).length >= 6)
  for (const [name, block] of Object.entries(config.module)) {
    const fixture = bySource.get(block.source)
    assert.ok(fixture, `module "${name}" (${config.files[`module.${name}`]}): no fixture for source ${block.source} in tests/fixtures/terraform`)
    assert.equal(block.version, fixture.version, `module "${name}" pins ${block.source} at ${block.version}; its inputs are checked against ${fixture.version}`)
  }
})

test('every module input is a variable of that module at the pinned version, and every required one is set', () => {
  for (const [name, block] of Object.entries(config.module)) {
    const fixture = bySource.get(block.source)!
    const inputs = Object.keys(block).filter((k) => !metaArguments.has(k))
    const unknown = inputs.filter((input) => !fixture.variables.includes(input))
    assert.deepEqual(unknown, [], `module "${name}" (${config.files[`module.${name}`]}): ${block.source} ${fixture.version} has no variable ${unknown.join(', ')}`)
    const missing = fixture.required.filter((v) => !inputs.includes(v))
    assert.deepEqual(missing, [], `module "${name}": required variables not set: ${missing.join(', ')}`)
  }
})

test('every module.<name>.<output> referenced is an output of that module at the pinned version', async () => {
  const refs = (await referencesIn(config)).filter((r) => r.reference.startsWith('module.'))
  assert.ok(refs.length >= 10)
  for (const { reference, at } of refs) {
    const [, name, output] = reference.split('.')
    const block = config.module[name]
    assert.ok(block, `${at}: ${reference} names no module of terraform/`)
    const fixture = bySource.get(block.source)!
    assert.ok(fixture.outputs.includes(output), `${at}: ${block.source} ${fixture.version} has no output ${output}`)
  }
})

test('EKS addons use only attributes of the eks module\'s addons type', () => {
  const attributes = bySource.get('terraform-aws-modules/eks/aws')!.addonAttributes!
  for (const [addon, settings] of Object.entries(config.module.eks.addons as Record<string, Record<string, unknown>>)) {
    for (const key of Object.keys(settings)) assert.ok(attributes.includes(key), `addon ${addon}: the eks module's addons type has no attribute ${key} (${attributes.join(', ')})`)
  }
})
