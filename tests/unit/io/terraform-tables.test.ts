/** The tables the code creates locally and the ones Terraform creates in AWS have the same keys. */
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { accuracyTableDefinition, modelsTableDefinition, predictionsTableDefinition } from '../../../jobs/io/dynamo-tables.js'
import { repoRoot } from '../../helpers/paths.js'

function moduleBlock(hcl: string, name: string): string {
  const start = hcl.indexOf(`module "${name}"`)
  assert.ok(start >= 0, `module ${name} in terraform/dynamodb.tf`)
  return hcl.slice(start, hcl.indexOf('\n}\n', start))
}

const attribute = (block: string, key: string) => new RegExp(`\\n\\s*${key}\\s*=\\s*"([^"]+)"`).exec(block)?.[1]

test('terraform key schemas match the code', () => {
  const hcl = readFileSync(join(repoRoot, 'terraform/dynamodb.tf'), 'utf8')
  for (const [name, definition] of [['predictions_table', predictionsTableDefinition], ['models_table', modelsTableDefinition], ['accuracy_table', accuracyTableDefinition]] as const) {
    const block = moduleBlock(hcl, name)
    assert.equal(attribute(block, 'hash_key'), definition.partitionKey, name)
    assert.equal(attribute(block, 'range_key'), definition.sortKey, name)
    assert.equal(attribute(block, 'ttl_attribute_name'), definition.ttlAttribute, name)
    assert.match(block, /billing_mode\s*=\s*"PAY_PER_REQUEST"/)
  }
})
