/**
 * The tables the code creates locally and the ones Terraform creates in AWS have the same keys,
 * read from terraform/ by HashiCorp's HCL parser.
 */
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { join } from 'node:path'
import { accuracyTableDefinition, forecastsTableDefinition, modelsTableDefinition, predictionsTableDefinition } from '../../../jobs/io/dynamo-tables.js'
import { defaultConfig } from '../../../jobs/runtime/config-schema.js'
import { parseTerraformDir } from '../../helpers/hcl.js'
import { repoRoot } from '../../helpers/paths.js'

const config = await parseTerraformDir(join(repoRoot, 'terraform'))

const tables = [
  ['forecasts_table', forecastsTableDefinition, defaultConfig.dynamodb.forecastsTable],
  ['predictions_table', predictionsTableDefinition, defaultConfig.dynamodb.predictionsTable],
  ['models_table', modelsTableDefinition, defaultConfig.dynamodb.modelsTable],
  ['accuracy_table', accuracyTableDefinition, defaultConfig.monitor.accuracyTable],
] as const

test('terraform key schemas, TTL and names match the code', () => {
  for (const [name, definition, configured] of tables) {
    const block = config.module[name]
    assert.ok(block, `module ${name} in terraform/`)
    assert.equal(config.files[`module.${name}`], 'dynamodb.tf', name)
    assert.equal(block.hash_key, definition.partitionKey, name)
    assert.equal(block.range_key, definition.sortKey, name)
    assert.deepEqual(block.attributes, [
      { name: definition.partitionKey, type: 'S' },
      { name: definition.sortKey, type: 'S' },
    ], name)
    assert.equal(block.ttl_enabled ?? false, definition.ttlAttribute !== undefined, name)
    assert.equal(block.ttl_attribute_name, definition.ttlAttribute, name)
    // The default name of the config is the one terraform gives with the default prefix "gras".
    assert.equal(block.name, `\${var.name_prefix}-${configured.replace(/^gras-/, '')}`, name)
    for (const setting of ['point_in_time_recovery_enabled', 'deletion_protection_enabled', 'server_side_encryption_enabled']) assert.equal(block[setting], true, `${name}.${setting}`)
    assert.equal(block.billing_mode, 'PAY_PER_REQUEST', name)
  }
})

test('the forecasts table name is an output, and the Java reader may read it', () => {
  assert.equal(config.output.forecasts_table_name.value, '${module.forecasts_table.dynamodb_table_id}')
  const reader = config.data.aws_iam_policy_document.java_reader.statement
  const statement = Array.isArray(reader) ? reader[0] : reader
  assert.ok(String(statement.resources).includes('module.forecasts_table.dynamodb_table_arn'), JSON.stringify(statement.resources))
})
