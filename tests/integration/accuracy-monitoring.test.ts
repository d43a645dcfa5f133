/**
 * Accuracy monitoring where the truth is known: a forecast is served; actuals that match it arrive
 * (no drift); then actuals shifted by a step change arrive (drift flagged, the accuracy table shows
 * it); `train --only drifted` retrains just that metric and clears the flag.
 */
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { mkdirSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { parquetWriteBuffer } from 'hyparquet-writer'
import { DynamoDBClient } from '@aws-sdk/client-dynamodb'
import { runCli } from '../helpers/run-cli.js'
import { configDir, tempDir } from '../helpers/paths.js'
import { embeddedDynamoDir, startEmbeddedDynamo } from '../../jobs/io/embedded-dynamo.js'
import { queryAccuracy } from '../../jobs/io/accuracy-table.js'
import type { PredictionItem } from '../../jobs/io/predictions-table.js'

const cwd = tempDir('accuracy')
const env = { GRAS_CONFIG: configDir }
const day = 86_400_000
const d0 = Math.floor(Date.now() / day) * day - 3 * day
const iso = (ms: number) => new Date(ms).toISOString().replace('.000Z', 'Z')
const date = (ms: number) => new Date(ms).toISOString().slice(0, 10)

async function served(runId: string, from: number): Promise<PredictionItem[]> {
  const result = await runCli(['predictions', '--metric', 'G', '--from', iso(from), '--to', iso(from + day - 3_600_000), '--json'], { cwd, env, allowText: true })
  assert.equal(result.code, 0, result.stderr)
  const items = JSON.parse(result.stdout) as PredictionItem[]
  assert.ok(items.every((i) => i.runId === runId))
  return items
}

/** Writes the day's bronze file for G: one event per hour with the given values (G sums events). */
function writeActuals(dayStart: number, values: number[]): void {
  const d = new Date(dayStart)
  const dir = join(cwd, '.gras/lake/bronze/gras/metric=G', `year=${d.getUTCFullYear()}`, `month=${String(d.getUTCMonth() + 1).padStart(2, '0')}`, `day=${String(d.getUTCDate()).padStart(2, '0')}`)
  mkdirSync(dir, { recursive: true })
  const ts = values.map((_, h) => new Date(dayStart + h * 3_600_000))
  writeFileSync(join(dir, 'part-0000.parquet'), new Uint8Array(parquetWriteBuffer({ columnData: [{ name: 'ts', data: ts, type: 'TIMESTAMP' }, { name: 'value', data: values, type: 'DOUBLE' }] })))
}

async function accuracyRows(): Promise<Record<string, number | string | boolean>[]> {
  // The embedded table lives beside the lake; read it with the same server the CLI embeds.
  const server = await startEmbeddedDynamo(embeddedDynamoDir(join(cwd, '.gras/lake'), undefined))
  const client = new DynamoDBClient({ endpoint: server.endpoint, region: 'local', credentials: { accessKeyId: 'x', secretAccessKey: 'x' } })
  try {
    return await queryAccuracy(client, 'gras-accuracy', 'G', '0000', '~~~~')
  } finally {
    client.destroy()
    await server.close()
  }
}

test('matching actuals: no drift; a step change: drift flagged and shown; retrain on drift clears it', { timeout: 300_000 }, async () => {
  assert.equal((await runCli(['demo-data', '--days', '28', '--end', iso(d0)], { cwd, env })).code, 0)
  // Day 0: forecast as of d0 (its data ends at d0), then actuals equal to that forecast.
  assert.equal((await runCli(['pipeline', '--metrics', 'G', '--as-of', iso(d0), '--run-id', 'run-d0'], { cwd, env })).code, 0)
  writeActuals(d0, (await served('run-d0', d0)).map((i) => i.value))
  assert.equal((await runCli(['pipeline', '--metrics', 'G', '--as-of', iso(d0 + day), '--run-id', 'run-d1'], { cwd, env })).code, 0)
  const calm = await runCli(['monitor', '--metrics', 'G', '--as-of', iso(d0 + day), '--run-id', 'mon-1'], { cwd, env })
  assert.equal(calm.code, 0, calm.stderr)
  const calmLog = calm.logs.find((l) => l.msg === 'accuracy computed')!
  assert.equal(calmLog.days, 1)
  assert.equal(calmLog.drifted, false)
  assert.ok((calmLog.realisedMase as number) < 0.05, `realised MASE ${calmLog.realisedMase} for actuals equal to the forecast`)

  // Day 1: actuals 80% above what was served for that day.
  writeActuals(d0 + day, (await served('run-d1', d0 + day)).map((i) => i.value * 1.8))
  assert.equal((await runCli(['features', '--metrics', 'G', '--as-of', iso(d0 + 2 * day), '--run-id', 'feat-2'], { cwd, env })).code, 0)
  const shifted = await runCli(['monitor', '--metrics', 'G', '--as-of', iso(d0 + 2 * day), '--run-id', 'mon-2'], { cwd, env })
  assert.equal(shifted.code, 0, shifted.stderr)
  const shiftedLog = shifted.logs.find((l) => l.msg === 'accuracy computed')!
  assert.equal(shiftedLog.days, 2)
  assert.equal(shiftedLog.drifted, true, JSON.stringify(shiftedLog))
  assert.ok(shifted.logs.some((l) => l.msg === 'drift flagged'))

  const rows = await accuracyRows()
  const byDate = new Map(rows.map((r) => [r.date, r]))
  assert.ok((byDate.get(date(d0))!.mase as number) < 0.05)
  assert.ok((byDate.get(date(d0 + day))!.mase as number) > 1, 'the shifted day shows a large error')
  assert.ok((byDate.get(date(d0 + day))!.bias as number) < -0.3, 'under-forecasting by about 44% of the actuals')
  assert.equal(byDate.get(date(d0))!.served_run_id, 'run-d0')
  assert.equal(byDate.get('~drift')!.drifted, true)

  // Retrain on drift: only flagged metrics, and the flag is cleared after.
  const retrain = await runCli(['train', '--only', 'drifted', '--run-id', 'drift-retrain'], { cwd, env })
  assert.equal(retrain.code, 0, retrain.stderr)
  assert.ok(retrain.logs.some((l) => l.msg === 'model trained' && l.metric === 'G'))
  assert.equal((await accuracyRows()).find((r) => r.date === '~drift')!.drifted, false)
  const again = await runCli(['train', '--only', 'drifted', '--run-id', 'drift-retrain-2'], { cwd, env })
  assert.ok(!again.logs.some((l) => l.msg === 'model trained'), 'nothing flagged: nothing trained')
})
