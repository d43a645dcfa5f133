/**
 * `gras submit` against a local HTTP server that plays the Kubernetes API server's part for the two
 * calls it makes (create a Workflow, read its status) and checks the request it receives. A real API
 * server with Argo's CRDs cannot run on this machine (no container runtime), so this is the one
 * stand-in in the tests.
 */
import { test, before, after } from 'node:test'
import assert from 'node:assert/strict'
import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { configDirWith, runCli, shortDeadlines } from '../helpers/run-cli.js'
import { tempDir } from '../helpers/paths.js'
import { startSilentServer } from '../helpers/servers.js'

interface Received {
  method: string
  url: string
  authorization?: string
  body?: Record<string, any>
}

let server: Server
let kubeconfig: string
const received: Received[] = []
let phases: string[] = []

before(async () => {
  server = createServer((req, res) => {
    let data = ''
    req.on('data', (c) => (data += c))
    req.on('end', () => {
      received.push({ method: req.method!, url: req.url!, authorization: req.headers.authorization, body: data ? JSON.parse(data) : undefined })
      res.setHeader('content-type', 'application/json')
      if (req.method === 'POST' && req.url === '/apis/argoproj.io/v1alpha1/namespaces/gras/workflows') {
        const body = JSON.parse(data)
        res.statusCode = 201
        return res.end(JSON.stringify({ ...body, metadata: { ...body.metadata, name: `${body.metadata.generateName}x7k2p` } }))
      }
      const match = /^\/apis\/argoproj\.io\/v1alpha1\/namespaces\/gras\/workflows\/([^/?]+)/.exec(req.url!)
      if (req.method === 'GET' && match) {
        const phase = phases.shift() ?? 'Succeeded'
        return res.end(JSON.stringify({ metadata: { name: match[1] }, status: { phase, message: phase === 'Failed' ? 'child "train" failed' : undefined } }))
      }
      res.statusCode = 404
      res.end(JSON.stringify({ kind: 'Status', code: 404, message: 'not found' }))
    })
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as AddressInfo
  kubeconfig = join(tempDir('kube'), 'config')
  writeFileSync(
    kubeconfig,
    `apiVersion: v1
kind: Config
clusters: [{ name: local, cluster: { server: "http://127.0.0.1:${port}", insecure-skip-tls-verify: true } }]
users: [{ name: tester, user: { token: test-token } }]
contexts: [{ name: local, context: { cluster: local, user: tester, namespace: gras } }]
current-context: local
`,
  )
})
after(() => server.close())

test('submit creates a Workflow from the template with the parameters, and --watch follows it to success', async () => {
  received.length = 0
  phases = ['Pending', 'Running', 'Succeeded']
  const result = await runCli(['submit', '--metrics', 'G, R', '--as-of', '2024-01-29T14:00:00Z', '--watch', '--poll-seconds', '1', '--kubeconfig', kubeconfig], { cwd: tempDir('submit') })
  assert.equal(result.code, 0, result.stderr)
  const create = received.find((r) => r.method === 'POST')!
  assert.equal(create.authorization, 'Bearer test-token')
  assert.deepEqual(create.body!.spec, {
    workflowTemplateRef: { name: 'gras-pipeline' },
    entrypoint: 'pipeline',
    arguments: { parameters: [{ name: 'metrics', value: 'G,R' }, { name: 'as-of', value: '2024-01-29T14:00:00Z' }] },
  })
  assert.equal(create.body!.kind, 'Workflow')
  assert.equal(create.body!.metadata.generateName, 'gras-pipeline-')
  assert.equal(received.filter((r) => r.method === 'GET').length, 3)
  assert.deepEqual(result.logs.filter((l) => l.msg === 'workflow phase').map((l) => l.phase), ['Pending', 'Running', 'Succeeded'])
})

test('a failed workflow gives exit code 1; a missing namespace gives 66', async () => {
  phases = ['Running', 'Failed']
  const failed = await runCli(['submit', '--entrypoint', 'backtest', '--watch', '--poll-seconds', '1', '--kubeconfig', kubeconfig], { cwd: tempDir('submit') })
  assert.equal(failed.code, 1)
  assert.ok(failed.logs.some((l) => l.msg === 'workflow failed' && l.message === 'child "train" failed'))
  const missing = await runCli(['submit', '--namespace', 'nowhere', '--kubeconfig', kubeconfig], { cwd: tempDir('submit') })
  assert.equal(missing.code, 66)
  assert.match(missing.stderr, /not found \(HTTP 404/)
})

test('a Kubernetes API server that accepts and never answers fails within the deadline with exit 75, naming the server', async () => {
  const silent = await startSilentServer()
  try {
    const hung = join(tempDir('kube'), 'config')
    writeFileSync(hung, readFileSync(kubeconfig, 'utf8').replace(/http:\/\/127\.0\.0\.1:\d+/, silent.endpoint))
    const started = Date.now()
    const result = await runCli(['submit', '--kubeconfig', hung], { cwd: tempDir('submit'), env: { GRAS_CONFIG: configDirWith(shortDeadlines) }, timeoutMs: 60_000 })
    const elapsedMs = Date.now() - started
    assert.equal(result.code, 75, result.stderr)
    assert.match(result.stderr, new RegExp(`^gras: kubernetes: create workflow in gras at http://127\\.0\\.0\\.1:${silent.port}: no answer within 500 ms`, 'm'))
    assert.ok(silent.connections > 0, 'the request reached the server')
    assert.ok(elapsedMs < 15_000, `failed after ${elapsedMs} ms`)
  } finally {
    await silent.close()
  }
})

test('no kubeconfig and no cluster is a configuration problem (78), not a transient one', async () => {
  const home = tempDir('home')
  const result = await runCli(['submit'], { cwd: tempDir('submit'), env: { HOME: home, KUBECONFIG: '', KUBERNETES_SERVICE_HOST: '' } })
  assert.equal(result.code, 78, result.stderr)
  assert.match(result.stderr, /^gras: kubernetes: no kubeconfig: .*\.kube\/config not found and not running in a cluster \(pass --kubeconfig <file>/m)
  const explicit = await runCli(['submit', '--kubeconfig', join(home, 'missing')], { cwd: tempDir('submit') })
  assert.equal(explicit.code, 78, explicit.stderr)
  assert.match(explicit.stderr, /^gras: kubernetes: --kubeconfig .*missing does not exist/m)
})
