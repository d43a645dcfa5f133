/**
 * A monitor as of a time after the day has ended on the clock of infer (a `--as-of` ahead of now,
 * a pod whose clock runs ahead) walks copies of a day infer is still writing without a late-run
 * mark: it must not keep those served runs for the window's later monitors.
 */
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { join } from 'node:path'
import { DynamoDBClient } from '@aws-sdk/client-dynamodb'
import { runCli } from '../helpers/run-cli.js'
import { configDir, tempDir } from '../helpers/paths.js'
import { embeddedDynamoDir, startEmbeddedDynamo } from '../../jobs/io/embedded-dynamo.js'
import { queryAccuracy } from '../../jobs/io/accuracy-table.js'

const cwd = tempDir('monitor-future-window')
const lake = join(cwd, '.gras/lake')
const env = { GRAS_CONFIG: configDir }
const day = 86_400_000
const today = Math.floor(Date.now() / day) * day
const tomorrow = today + day
const iso = (ms: number) => new Date(ms).toISOString().replace('.000Z', 'Z')

async function servedRunOf(date: string): Promise<unknown> {
  const server = await startEmbeddedDynamo(embeddedDynamoDir(lake, undefined))
  const client = new DynamoDBClient({ endpoint: server.endpoint, region: 'local', credentials: { accessKeyId: 'x', secretAccessKey: 'x' } })
  try {
    return (await queryAccuracy(client, 'gras-accuracy', 'G', date, date))[0]?.served_run_id
  } finally {
    client.destroy()
    await server.close()
  }
}

test("a monitor whose window has not ended on the clock keeps no served runs of it", { timeout: 300_000 }, async () => {
  assert.equal((await runCli(['demo-data', '--days', '28', '--end', iso(tomorrow)], { cwd, env })).code, 0)
  for (const back of [2, 1]) {
    const run = await runCli(['pipeline', '--metrics', 'G', '--as-of', iso(today - back * day), '--run-id', `run-d${back}`], { cwd, env })
    assert.equal(run.code, 0, run.stderr)
  }
  assert.equal((await runCli(['features', '--metrics', 'G', '--as-of', iso(tomorrow), '--run-id', 'feat-tomorrow'], { cwd, env })).code, 0)
  const monitor = (runId: string) => runCli(['monitor', '--metrics', 'G', '--as-of', iso(tomorrow), '--run-id', runId], { cwd, env })
  const early = await monitor('mon-early')
  assert.equal(early.code, 0, early.stderr)
  const todayDate = iso(today).slice(0, 10)
  assert.equal(await servedRunOf(todayDate), 'run-d1', "before today's run, yesterday's serves today")

  // Today's run, written into today's folder on a clock that says today has not ended: no mark.
  assert.equal((await runCli(['features', '--metrics', 'G', '--as-of', iso(today), '--run-id', 'feat-today'], { cwd, env })).code, 0)
  const infer = await runCli(['infer', '--metrics', 'G', '--as-of', iso(today), '--run-id', 'run-d0'], { cwd, env })
  assert.equal(infer.code, 0, infer.stderr)
  const later = await monitor('mon-later')
  assert.equal(later.code, 0, later.stderr)
  assert.equal(await servedRunOf(todayDate), 'run-d0', "today's run serves today")
})
