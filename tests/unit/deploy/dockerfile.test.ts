/**
 * No Docker engine runs here, so the image is never built in tests: the Dockerfile is checked
 * statically against what the GPU backend's own package declares (tests/fixtures/image) and what the
 * NodePools allow, and its entrypoint is run on the build output.
 */
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { existsSync, readFileSync, readdirSync } from 'node:fs'
import { spawnSync } from 'node:child_process'
import { join } from 'node:path'
import { fixturesDir, repoRoot } from '../../helpers/paths.js'
import { parseManifests } from '../../helpers/k8s-validate.js'

const dockerfile = readFileSync(join(repoRoot, 'Dockerfile'), 'utf8')
const instructions = dockerfile
  .replace(/\\\n/g, ' ')
  .split('\n')
  .filter((line) => line.trim() && !line.trim().startsWith('#'))

/** Each stage's `FROM [--platform=...] image [AS name]`. */
const stages = instructions
  .filter((l) => l.startsWith('FROM '))
  .map((line) => {
    const words = line.split(/\s+/).slice(1)
    const platform = words[0].startsWith('--platform=') ? words.shift()!.slice('--platform='.length) : undefined
    return { line, platform, image: words[0] }
  })
const gpu = JSON.parse(readFileSync(join(fixturesDir, 'image/tfjs-node-gpu.json'), 'utf8')) as {
  version: string
  libtensorflow: string
  supportedCombinations: string[]
  tensorflowGpuBuilds: Record<string, { cuda: string; cudnn: string }>
}
/** Docker/Kubernetes architecture names -> the names tfjs-node's install script uses (os.arch() mapped). */
const tfjsArch: Record<string, string> = { amd64: 'x86_64', arm64: 'arm64' }

test('base images are pinned (no latest, no untagged), and the build runs on Node 22', () => {
  assert.ok(stages.length >= 3, 'multi-stage')
  for (const { image } of stages) assert.ok(image.includes(':') && !image.endsWith(':latest'), `${image} is pinned`)
  const node = stages.filter((s) => s.image.startsWith('node:'))
  assert.ok(node.length >= 1 && node.every((s) => /^node:22\.\d+\.\d+-/.test(s.image)), `node stages: ${node.map((s) => s.image).join(', ')}`)
})

test('the CUDA base image is the CUDA and cuDNN the installed tfjs-node-gpu\'s libtensorflow is built against', () => {
  const lock = JSON.parse(readFileSync(join(repoRoot, 'package-lock.json'), 'utf8'))
  assert.equal(lock.packages['node_modules/@tensorflow/tfjs-node-gpu']?.version, gpu.version, 'package-lock.json resolves the tfjs-node-gpu of tests/fixtures/image/tfjs-node-gpu.json (refresh the fixture)')
  const build = gpu.tensorflowGpuBuilds[gpu.libtensorflow.split('.').slice(0, 2).join('.')]
  assert.ok(build, `TensorFlow's GPU build configuration for libtensorflow ${gpu.libtensorflow} is in the fixture`)
  const runtime = stages[stages.length - 1].image
  const match = /^nvidia\/cuda:(\d+\.\d+)\.\d+-cudnn(\d+)-runtime-ubuntu(\d+\.\d+)$/.exec(runtime)
  assert.ok(match, `the runtime stage is an nvidia/cuda cudnn runtime image (${runtime})`)
  assert.equal(match[1], build.cuda, `${runtime}: CUDA ${match[1]}, libtensorflow ${gpu.libtensorflow} needs ${build.cuda}`)
  assert.equal(match[2], build.cudnn.split('.')[0], `${runtime}: cuDNN ${match[2]}, libtensorflow ${gpu.libtensorflow} needs ${build.cudnn}`)
  // The cudnnN tag names only the major version: the build checks the minor one the image installs.
  const cudnnCheck = instructions.find((l) => l.startsWith('RUN ') && l.includes(`libcudnn${match[2]}`))
  assert.ok(cudnnCheck?.includes(`'^${build.cudnn.replace('.', '\\.')}\\.'`), `the build fails unless libcudnn${match[2]} is ${build.cudnn}.x (${cudnnCheck})`)
})

test('the build fails when the GPU backend cannot be installed', () => {
  const install = instructions.filter((l) => l.startsWith('RUN ') && l.includes('@tensorflow/tfjs-node-gpu'))
  assert.ok(install.some((l) => /npm rebuild\b/.test(l)), 'the image runs tfjs-node-gpu\'s install script')
  for (const line of install) assert.doesNotMatch(line, /\|\||;\s*(true|exit 0)|--if-present/, `a failed GPU backend install fails the build: ${line}`)
  assert.ok(instructions.some((l) => l.startsWith('RUN ') && /ldd [^ ]*tfjs-node-gpu\/lib\/napi-v\*\/tfjs_binding\.node/.test(l) && l.includes("grep 'not found'")), 'the runtime stage checks the GPU binding resolves its libraries')
})

test('the image\'s platform is one tfjs-node-gpu has a GPU build for, and the NodePools allow exactly it', () => {
  const platforms = new Set(stages.map((s) => s.platform))
  assert.ok(!platforms.has(undefined), `every stage states --platform (${stages.filter((s) => !s.platform).map((s) => s.line).join('; ')})`)
  const arches = [...platforms].map((p) => {
    const [os, arch] = p!.split('/')
    assert.equal(os, 'linux')
    assert.ok(gpu.supportedCombinations.includes(`gpu-linux-${tfjsArch[arch]}`), `tfjs-node-gpu ${gpu.version} has no GPU build for ${p} (${gpu.supportedCombinations.join(', ')})`)
    return arch
  })
  const pools = readdirSync(join(repoRoot, 'karpenter'))
    .filter((f) => f.endsWith('.yaml'))
    .flatMap((f) => parseManifests(readFileSync(join(repoRoot, 'karpenter', f), 'utf8'), f))
    .filter((o) => o.kind === 'NodePool')
  assert.ok(pools.length >= 2)
  for (const pool of pools) {
    const requirement = ((pool.spec as any).template.spec.requirements as { key: string; operator: string; values: string[] }[]).find((r) => r.key === 'kubernetes.io/arch')
    assert.equal(requirement?.operator, 'In', `NodePool ${pool.metadata.name} restricts kubernetes.io/arch`)
    assert.deepEqual([...requirement.values].sort(), [...arches].sort(), `NodePool ${pool.metadata.name} allows ${requirement.values.join(', ')}; the image is ${[...platforms].join(', ')}`)
  }
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
