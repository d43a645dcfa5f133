/**
 * `train-neural --as-of` trains on the features of that cutoff, as `train` does: with a newer
 * cutoff in silver beside it, a backfill's global model still ends where its as-of ends, never on
 * data written after it.
 */
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { readdirSync } from 'node:fs'
import { join } from 'node:path'
import { runCli } from '../helpers/run-cli.js'
import { configDir, tempDir } from '../helpers/paths.js'

const cwd = tempDir('neural-as-of')
const env = { GRAS_CONFIG: configDir }
const day = 86_400_000
const iso = (ms: number) => new Date(ms).toISOString().replace('.000Z', 'Z')
const today = Math.floor(Date.now() / day) * day
const compact = (ms: number) => iso(ms).replace(/[-:]/g, '')

test('train-neural --as-of reads the features of its cutoff, not the newest', { timeout: 300_000 }, async () => {
  assert.equal((await runCli(['demo-data', '--days', '14', '--end', iso(today)], { cwd, env })).code, 0)
  for (const asOf of [today - 2 * day, today]) assert.equal((await runCli(['features', '--as-of', iso(asOf)], { cwd, env })).code, 0)
  const run = await runCli(['train-neural', '--backend', 'wasm', '--epochs', '1', '--members', '1', '--as-of', iso(today - 2 * day), '--run-id', 'back', '--workers', '1'], { cwd, env, timeoutMs: 240_000 })
  assert.equal(run.code, 0, run.stderr)
  const versions = readdirSync(join(cwd, '.gras/lake/models/neural')).filter((d) => d.endsWith('-back'))
  assert.equal(versions.length, 1, versions.join())
  // The version names where its data ends: the as-of's cutoff, not the newest features' end.
  assert.ok(versions[0].startsWith(`v${compact(today - 2 * day)}-`), `${versions[0]}: expected data to ${iso(today - 2 * day)}`)
})
