/**
 * Crash safety: the pipeline is SIGKILLed at seeded random moments (before, during and after its
 * writes), then rerun with the same run id, as Argo retries a step. The final lake, predictions and
 * registry must equal those of an uninterrupted run: no partial file visible, nothing lost or
 * duplicated, the registry consistent.
 */
import { test, before, after } from 'node:test'
import assert from 'node:assert/strict'
import { spawn } from 'node:child_process'
import { cpSync } from 'node:fs'
import { createHash } from 'node:crypto'
import { join } from 'node:path'
import { runCli } from '../helpers/run-cli.js'
import { cliPath, configDir, tempDir } from '../helpers/paths.js'
import { startDynamoServer, testCredentials, type DynamoServer } from '../helpers/servers.js'
import { seededRandom } from '../../jobs/core/random.js'
import { LocalObjectStore } from '../../jobs/io/local-store.js'
import { queryPredictions } from '../../jobs/io/predictions-table.js'
import { ModelRegistry } from '../../jobs/io/model-registry.js'

export const killSeed = Number(process.env.GRAS_KILL_SEED ?? 42)
const day = 86_400_000
const asOf = new Date(Math.floor(Date.now() / day) * day).toISOString().replace('.000Z', 'Z')
const args = ['pipeline', '--metrics', 'G,S', '--as-of', asOf, '--run-id', 'crash-1']
let reference: DynamoServer
let crashed: DynamoServer

before(async () => {
  reference = await startDynamoServer()
  crashed = await startDynamoServer()
})
after(async () => {
  await reference.close()
  await crashed.close()
})

function environment(dynamo: DynamoServer): Record<string, string> {
  return {
    GRAS_CONFIG: configDir,
    AWS_ENDPOINT_URL_DYNAMODB: dynamo.endpoint,
    AWS_REGION: 'us-east-1',
    AWS_ACCESS_KEY_ID: testCredentials.accessKeyId,
    AWS_SECRET_ACCESS_KEY: testCredentials.secretAccessKey,
  }
}

/** What a log line says happened: the same step of a rerun logs the same signature. */
function signature(line: Record<string, unknown>): string {
  return [line.job, line.metric, line.phase, line.msg].map((part) => part ?? '').join('|')
}

/**
 * Kill points keyed to progress, not time: a rerun resumes the work and is shorter than a clean run,
 * so delays taken from the clean run's time miss on a loaded machine. Each point is a step of the
 * clean run's log (a repeated step, like an epoch line, counts once, at its first line, so every phase is as likely),
 * drawn in the order of the run: the rerun after a kill at one point has not yet done the next.
 */
function killPoints(cleanLogs: Record<string, unknown>[], count: number, random: () => number): { step: string; jitterMs: number }[] {
  const steps = [...new Set(cleanLogs.map(signature))]
  // The last two are the report and the run's summary, a millisecond apart: a kill there kills nothing.
  const inner = steps.slice(0, -2)
  const picked = Array.from({ length: count }, () => Math.floor(random() * inner.length)).sort((a, b) => a - b)
  // The jitter lands some kills inside the writes that follow a line, not only between steps.
  return picked.map((index) => ({ step: inner[index]!, jitterMs: Math.floor(random() * 150) }))
}

/** Starts the CLI and SIGKILLs it `jitterMs` after it logs `step`; resolves with whether it was still running. */
function runAndKill(cwd: string, env: Record<string, string>, point: { step: string; jitterMs: number }): Promise<boolean> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [cliPath, ...args], { cwd, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'ignore'] })
    let exited = false
    let armed = false
    let pending = ''
    child.on('exit', () => {
      exited = true
    })
    child.stdout.on('data', (chunk: Buffer) => {
      pending += chunk.toString()
      const lines = pending.split('\n')
      pending = lines.pop()!
      for (const line of lines) {
        if (armed || !line.startsWith('{') || signature(JSON.parse(line)) !== point.step) continue
        armed = true
        setTimeout(() => {
          const killed = !exited && child.kill('SIGKILL')
          if (killed) child.on('close', () => resolve(true))
          else resolve(false)
        }, point.jitterMs)
      }
    })
    child.on('close', () => {
      if (!armed) resolve(false)
    })
  })
}

async function state(cwd: string, dynamo: DynamoServer) {
  const lake = new LocalObjectStore(join(cwd, '.gras/lake'))
  const objects: Record<string, string> = {}
  for (const info of await lake.list('')) {
    // Neural checkpoints are work files (their state.json says when it was saved); the bucket's
    // lifecycle rule expires them. The models they lead to are compared like everything else.
    if (info.key.startsWith('checkpoints/')) continue
    const bytes = Buffer.from((await lake.get(info.key))!)
    // Local etags are size and mtime; the copied bronze files' mtimes differ in the last milliseconds.
    // bytesRead is what a run fetched from bronze: the rerun reads less, the killed runs cached days.
    objects[info.key] = info.key.endsWith('_manifest.json')
      ? bytes.toString().replace(/"etag": "[^"]*"/g, '"etag": "-"').replace(/"lastModifiedMs": [0-9.e+]+/g, '"lastModifiedMs": -').replace(/"bytesRead": \d+/g, '"bytesRead": -')
      : createHash('sha256').update(bytes).digest('hex')
  }
  const predictions = []
  const registry = []
  const models = new ModelRegistry(dynamo.client, 'gras-models')
  for (const metric of ['G', 'S', '_neural']) {
    predictions.push(...(await queryPredictions(dynamo.client, 'gras-predictions', metric, '0', '9')))
    registry.push(...(await models.listVersions(metric)).map(({ createdAt: _createdAt, ...rest }) => rest))
    const pointer = await models.getApproved(metric)
    registry.push(pointer && { version: pointer.version, previous: pointer.previous })
  }
  return { objects, predictions, registry }
}

test('SIGKILL at random points, then a rerun, ends exactly like an uninterrupted run', { timeout: 600_000 }, async () => {
  const referenceDir = tempDir('crash-reference')
  const crashDir = tempDir('crash-killed')
  assert.equal((await runCli(['demo-data', '--days', '21', '--end', asOf], { cwd: referenceDir, env: environment(reference) })).code, 0)
  // The same bronze bytes and modification times (local etags), so the manifests can match exactly.
  cpSync(join(referenceDir, '.gras/lake'), join(crashDir, '.gras/lake'), { recursive: true, preserveTimestamps: true })

  const clean = await runCli(args, { cwd: referenceDir, env: environment(reference) })
  assert.equal(clean.code, 0, clean.stderr)

  // Kill points spread over the whole run: start-up, features, train-neural, train, infer, report.
  const points = killPoints(clean.logs, 6, seededRandom(killSeed))
  let kills = 0
  for (const point of points) if (await runAndKill(crashDir, environment(crashed), point)) kills++
  // A point the killed runs already passed is not logged again, so a run may finish unkilled.
  assert.ok(kills >= 4, `killed ${kills} of ${points.length} runs mid-way (points ${JSON.stringify(points)})`)
  const recovered = await runCli(args, { cwd: crashDir, env: environment(crashed) })
  assert.equal(recovered.code, 0, recovered.stderr)

  const expected = await state(referenceDir, reference)
  const actual = await state(crashDir, crashed)
  assert.equal(expected.predictions.length, 72)
  assert.deepEqual(actual.predictions, expected.predictions, 'no forecast lost, duplicated or changed')
  assert.deepEqual(actual.registry, expected.registry, 'the registry is consistent')
  assert.deepEqual(Object.keys(actual.objects).sort(), Object.keys(expected.objects).sort(), 'the same lake objects (no partial or temporary file visible)')
  const differing = Object.keys(expected.objects).filter((key) => actual.objects[key] !== expected.objects[key])
  assert.deepEqual(differing, [], 'every lake object is identical')
  console.log(JSON.stringify({ seed: killSeed, points, kills }))
})
