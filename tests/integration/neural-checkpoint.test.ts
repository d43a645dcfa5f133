/**
 * Spot safety of neural training: SIGTERM a training process mid-run; it finishes its batch,
 * checkpoints to the lake and exits 75; rerun with the same run id, it resumes and ends with the same
 * weights as an uninterrupted run with the same seed.
 */
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { spawn } from 'node:child_process'
import { existsSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { runCli } from '../helpers/run-cli.js'
import { cliPath, configDir, tempDir } from '../helpers/paths.js'

const cwd = tempDir('neural')
const env = { GRAS_CONFIG: configDir }
const day = 86_400_000
const asOf = new Date(Math.floor(Date.now() / day) * day).toISOString().replace('.000Z', 'Z')
const train = (runId: string) => ['train-neural', '--backend', 'wasm', '--epochs', '40', '--checkpoint-every', '5', '--seed', '3', '--run-id', runId]

/** Starts training and sends SIGTERM once it has logged `afterEpoch` epochs. */
function runAndTerminate(runId: string, afterEpoch: number): Promise<{ code: number | null; lines: Record<string, unknown>[] }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [cliPath, ...train(runId)], { cwd, env: { ...process.env, ...env } })
    const lines: Record<string, unknown>[] = []
    let buffer = ''
    let sent = false
    child.stdout.on('data', (chunk) => {
      buffer += chunk
      let newline
      while ((newline = buffer.indexOf('\n')) >= 0) {
        const line = JSON.parse(buffer.slice(0, newline)) as Record<string, unknown>
        buffer = buffer.slice(newline + 1)
        lines.push(line)
        if (!sent && line.msg === 'epoch done' && (line.epoch as number) >= afterEpoch) {
          sent = true
          child.kill('SIGTERM')
        }
      }
    })
    child.on('close', (code) => resolve({ code, lines }))
  })
}

test('SIGTERM mid-training: checkpoint, exit 75, resume to the same final weights', { timeout: 300_000 }, async () => {
  assert.equal((await runCli(['demo-data', '--days', '21', '--end', asOf], { cwd, env })).code, 0)
  assert.equal((await runCli(['features', '--as-of', asOf], { cwd, env })).code, 0)

  const interrupted = await runAndTerminate('spot-1', 12)
  assert.equal(interrupted.code, 75, 'transient exit code, never 0')
  const stop = interrupted.lines.find((l) => l.msg === 'stopped by SIGTERM after checkpointing')
  assert.ok(stop, 'checkpointed on SIGTERM')
  assert.ok(existsSync(join(cwd, '.gras/lake/checkpoints/spot-1/state.json')))
  assert.ok(!existsSync(join(cwd, '.gras/lake/models/neural/spot-1')), 'no final model yet')

  const resumed = await runCli(train('spot-1'), { cwd, env, timeoutMs: 240_000 })
  assert.equal(resumed.code, 0, resumed.stderr)
  const from = resumed.logs.find((l) => l.msg === 'resumed from checkpoint')!
  assert.deepEqual([from.epoch, from.batch], [stop.epoch, stop.batch])
  assert.ok(resumed.logs.some((l) => l.msg === 'backend selected' && l.backend === 'wasm'))

  const uninterrupted = await runCli(train('calm-1'), { cwd, env, timeoutMs: 240_000 })
  assert.equal(uninterrupted.code, 0, uninterrupted.stderr)
  const a = new Float32Array(readFileSync(join(cwd, '.gras/lake/models/neural/spot-1/weights.bin')).buffer.slice(0))
  const b = new Float32Array(readFileSync(join(cwd, '.gras/lake/models/neural/calm-1/weights.bin')).buffer.slice(0))
  assert.equal(a.length, b.length)
  let maxDiff = 0
  for (let i = 0; i < a.length; i++) maxDiff = Math.max(maxDiff, Math.abs(a[i] - b[i]))
  // Not bit-identical: on restore Adam recomputes its bias correction as beta^t, where training
  // multiplied it step by step in float32; the rounding difference grows a little with each epoch.
  assert.ok(maxDiff < 1e-3, `max weight difference ${maxDiff}`)
  console.log(JSON.stringify({ stoppedAt: [stop.epoch, stop.batch], maxWeightDifference: maxDiff }))
})
