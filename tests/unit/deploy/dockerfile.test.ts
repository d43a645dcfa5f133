/** No Docker engine runs here: the Dockerfile is checked statically, and its entrypoint is run on the build output. */
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { existsSync, readFileSync } from 'node:fs'
import { spawnSync } from 'node:child_process'
import { join } from 'node:path'
import { repoRoot } from '../../helpers/paths.js'

const dockerfile = readFileSync(join(repoRoot, 'Dockerfile'), 'utf8')
const instructions = dockerfile
  .replace(/\\\n/g, ' ')
  .split('\n')
  .filter((line) => line.trim() && !line.trim().startsWith('#'))

test('base images are pinned (no latest, no untagged), the runtime is CUDA 11.2 + cuDNN 8', () => {
  const froms = instructions.filter((l) => l.startsWith('FROM '))
  assert.ok(froms.length >= 3, 'multi-stage')
  for (const from of froms) {
    const image = from.split(/\s+/)[1]
    assert.ok(image.includes(':') && !image.endsWith(':latest'), `${image} is pinned`)
  }
  assert.match(froms[froms.length - 1], /nvidia\/cuda:11\.2\.\d+-cudnn8-runtime/)
})

test('runs as a non-root user with an exec-form entrypoint of the CLI', () => {
  const user = instructions.filter((l) => l.startsWith('USER ')).pop()
  assert.ok(user && !/USER\s+(root|0)(:|\s|$)/.test(user), `USER is ${user}`)
  const entrypoint = instructions.find((l) => l.startsWith('ENTRYPOINT '))!
  assert.deepEqual(JSON.parse(entrypoint.slice('ENTRYPOINT '.length)), ['node', 'dist/jobs/cli.js'])
  assert.ok(!/npm (start|run)/.test(instructions.filter((l) => /^(CMD|ENTRYPOINT)/.test(l)).join('\n')))
})

test('every path the Dockerfile copies from the context exists after the build', () => {
  for (const line of instructions.filter((l) => l.startsWith('COPY ') && !l.includes('--from='))) {
    const sources = line.split(/\s+/).slice(1, -1)
    for (const source of sources) assert.ok(existsSync(join(repoRoot, source)), `${source} (from: ${line})`)
  }
  const runtimeCopies = instructions.filter((l) => l.startsWith('COPY --from=build')).map((l) => l.split(/\s+/)[2].replace('/app/', ''))
  for (const path of runtimeCopies) assert.ok(existsSync(join(repoRoot, path)), `${path} exists after npm run build`)
  const ignored = readFileSync(join(repoRoot, '.dockerignore'), 'utf8').split('\n')
  for (const needed of ['jobs', 'config', 'package.json', 'package-lock.json']) assert.ok(!ignored.includes(needed), `${needed} is not dockerignored`)
})

test('the entrypoint answers --help', () => {
  const run = spawnSync(process.execPath, [join(repoRoot, 'dist/jobs/cli.js'), '--help'], { encoding: 'utf8' })
  assert.equal(run.status, 0)
  assert.match(run.stdout, /Usage: gras/)
})
