/**
 * What monitor last wrote (io/monitor-written.ts) is what it wrote to one accuracy table: a
 * monitor writing to another table (`monitor.accuracyTable` changed, a table restored under a new
 * name) writes every item there, as a monitor that recomputes everything would.
 */
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { cpSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { DynamoDBClient } from '@aws-sdk/client-dynamodb'
import { runCli } from '../helpers/run-cli.js'
import { configDir, tempDir } from '../helpers/paths.js'
import { embeddedDynamoDir, startEmbeddedDynamo } from '../../jobs/io/embedded-dynamo.js'
import { queryAccuracy } from '../../jobs/io/accuracy-table.js'

const cwd = tempDir('monitor-written-table')
const lake = join(cwd, '.gras/lake')
const day = 86_400_000
const today = Math.floor(Date.now() / day) * day
const iso = (ms: number) => new Date(ms).toISOString().replace('.000Z', 'Z')

async function accuracyDates(table: string): Promise<string[]> {
  const server = await startEmbeddedDynamo(embeddedDynamoDir(lake, undefined))
  const client = new DynamoDBClient({ endpoint: server.endpoint, region: 'local', credentials: { accessKeyId: 'x', secretAccessKey: 'x' } })
  try {
    return (await queryAccuracy(client, table, 'G', '0000', '~~~~')).map((item) => String(item.date))
  } finally {
    client.destroy()
    await server.close()
  }
}

test('a monitor writing to another accuracy table writes every item there', { timeout: 300_000 }, async () => {
  const env = { GRAS_CONFIG: configDir }
  assert.equal((await runCli(['demo-data', '--days', '28', '--end', iso(today)], { cwd, env })).code, 0)
  for (const back of [2, 1]) {
    const run = await runCli(['pipeline', '--metrics', 'G', '--as-of', iso(today - back * day), '--run-id', `run-d${back}`], { cwd, env })
    assert.equal(run.code, 0, run.stderr)
  }
  assert.equal((await runCli(['features', '--metrics', 'G', '--as-of', iso(today), '--run-id', 'feat-today'], { cwd, env })).code, 0)
  const first = await runCli(['monitor', '--metrics', 'G', '--as-of', iso(today), '--run-id', 'mon-1'], { cwd, env })
  assert.equal(first.code, 0, first.stderr)
  const dates = await accuracyDates('gras-accuracy')
  assert.ok(dates.length >= 2, `mon-1 wrote ${dates.join(', ')}`)

  const otherConfig = join(cwd, 'config-b')
  cpSync(configDir, otherConfig, { recursive: true })
  const gras = join(otherConfig, 'gras.yaml')
  writeFileSync(gras, readFileSync(gras, 'utf8').replace('accuracyTable: gras-accuracy', 'accuracyTable: gras-accuracy-b'))
  const second = await runCli(['monitor', '--metrics', 'G', '--as-of', iso(today), '--run-id', 'mon-2'], { cwd, env: { GRAS_CONFIG: otherConfig } })
  assert.equal(second.code, 0, second.stderr)
  assert.deepEqual(await accuracyDates('gras-accuracy-b'), dates)
})
