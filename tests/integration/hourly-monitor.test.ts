/**
 * The hourly monitor: every refresh scores the same complete days again. The runs that served them
 * are read from the predictions copies once per day (then from the served runs monitor keeps), an
 * accuracy item is written only when what it says changed, and a copy written into a day that had
 * ended (a late run) makes the next monitor read the copies again and score with it.
 */
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { DynamoDBClient } from '@aws-sdk/client-dynamodb'
import { runCli, type CliResult } from '../helpers/run-cli.js'
import { configDir, tempDir } from '../helpers/paths.js'
import { embeddedDynamoDir, startEmbeddedDynamo } from '../../jobs/io/embedded-dynamo.js'
import { queryAccuracy } from '../../jobs/io/accuracy-table.js'

const cwd = tempDir('hourly-monitor')
const lake = join(cwd, '.gras/lake')
const env = { GRAS_CONFIG: configDir }
const day = 86_400_000
const today = Math.floor(Date.now() / day) * day
const iso = (ms: number) => new Date(ms).toISOString().replace('.000Z', 'Z')

async function accuracyItems(): Promise<Map<string, Record<string, number | string | boolean>>> {
  const server = await startEmbeddedDynamo(embeddedDynamoDir(lake, undefined))
  const client = new DynamoDBClient({ endpoint: server.endpoint, region: 'local', credentials: { accessKeyId: 'x', secretAccessKey: 'x' } })
  try {
    return new Map((await queryAccuracy(client, 'gras-accuracy', 'G', '0000', '~~~~')).map((item) => [String(item.date), item]))
  } finally {
    client.destroy()
    await server.close()
  }
}

/** Every predictions copy of G on disk. */
function copies(): string[] {
  const root = join(lake, 'predictions/metric=G')
  return readdirSync(root, { recursive: true, encoding: 'utf8' }).filter((f) => f.endsWith('.parquet')).map((f) => join(root, f))
}

async function monitor(runId: string): Promise<{ result: CliResult; computed: Record<string, unknown> }> {
  const result = await runCli(['monitor', '--metrics', 'G', '--as-of', iso(today), '--run-id', runId], { cwd, env })
  assert.equal(result.code, 0, result.stderr)
  return { result, computed: result.logs.find((l) => l.msg === 'accuracy computed' && l.metric === 'G')! }
}

test('an hourly monitor reads the served runs once a day, writes only changed items, and rereads after a late run', { timeout: 600_000 }, async () => {
  assert.equal((await runCli(['demo-data', '--days', '28', '--end', iso(today)], { cwd, env })).code, 0)
  for (const back of [3, 2, 1]) {
    const run = await runCli(['pipeline', '--metrics', 'G', '--as-of', iso(today - back * day), '--run-id', `run-d${back}`], { cwd, env })
    assert.equal(run.code, 0, run.stderr)
  }
  // Today's features hold yesterday's actuals.
  assert.equal((await runCli(['features', '--metrics', 'G', '--as-of', iso(today), '--run-id', 'feat-today'], { cwd, env })).code, 0)

  // The day's first monitor reads the copies, scores the three served days and writes them and the drift item.
  const first = await monitor('mon-1')
  assert.equal(first.computed.days, 3)
  assert.equal(first.computed.itemsWritten, 4)
  const written = await accuracyItems()
  assert.deepEqual([...written.keys()].filter((d) => d !== '~drift'), [3, 2, 1].map((b) => iso(today - b * day).slice(0, 10)))
  assert.ok([...written.values()].every((item) => item.computed_by === 'mon-1' || item.updated_by === 'mon-1'))

  // The next hour's monitor reads none of the copies: they are unreadable now, and it still scores the same.
  const saved = new Map(copies().map((path) => [path, readFileSync(path)]))
  for (const path of saved.keys()) writeFileSync(path, 'not parquet')
  const state = join(lake, 'monitor/written/metric=G/group=1of1.json')
  const stateBefore = statSync(state).mtimeMs
  const second = await monitor('mon-2')
  assert.equal(statSync(state).mtimeMs, stateBefore, 'what monitor wrote is unchanged: its record is not rewritten either')
  assert.deepEqual({ ...second.computed, itemsWritten: 0, time: 0, run_id: 0 }, { ...first.computed, itemsWritten: 0, time: 0, run_id: 0 })
  const expectedWrites = first.computed.drifted ? 1 : 0 // a raised drift flag is written every run
  assert.equal(second.computed.itemsWritten, expectedWrites)
  const after = await accuracyItems()
  for (const [date, item] of written) if (date !== '~drift' || !first.computed.drifted) assert.deepEqual(after.get(date), item, `${date} not rewritten`)

  // --full ignores what monitor keeps: it reads the copies, here unreadable.
  const full = await runCli(['monitor', '--metrics', 'G', '--as-of', iso(today), '--run-id', 'mon-full', '--full'], { cwd, env })
  assert.notEqual(full.code, 0, 'monitor --full read the copies')

  // A late run: another forecast of yesterday's cutoff, written today. Its id sorts after run-d1, so
  // it is the newest of the two for yesterday's day, which monitor must now see in the copies.
  for (const [path, bytes] of saved) writeFileSync(path, bytes)
  const late = await runCli(['infer', '--metrics', 'G', '--as-of', iso(today - day), '--run-id', 'z-late'], { cwd, env })
  assert.equal(late.code, 0, late.stderr)
  const third = await monitor('mon-3')
  assert.equal(third.computed.days, 3)
  const rescored = await accuracyItems()
  const yesterday = iso(today - day).slice(0, 10)
  assert.equal(rescored.get(yesterday)!.served_run_id, 'z-late')
  assert.equal(rescored.get(yesterday)!.computed_by, 'mon-3')
  // The days it did not serve are left as mon-1 wrote them.
  assert.equal(rescored.get(iso(today - 3 * day).slice(0, 10))!.computed_by, 'mon-1')

  // Unreadable copies now fail the monitor: it read them again, as it must after a late run.
  for (const path of copies()) writeFileSync(path, 'not parquet')
  const late2 = await runCli(['infer', '--metrics', 'G', '--as-of', iso(today - 2 * day), '--run-id', 'z-late-2'], { cwd, env })
  assert.equal(late2.code, 0, late2.stderr)
  const fourth = await runCli(['monitor', '--metrics', 'G', '--as-of', iso(today), '--run-id', 'mon-4'], { cwd, env })
  assert.notEqual(fourth.code, 0, 'the copies were read again')
  assert.match(fourth.stdout, /not parquet|parquet/)
})
