/**
 * A real Prometheus Pushgateway and Prometheus server (Debian's prometheus-pushgateway and
 * prometheus packages) on loopback ports, started by the tests; Prometheus scrapes the gateway every
 * second with honor_labels, as a production scrape config for a Pushgateway must.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process'
import { createServer } from 'node:net'
import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { tempDir } from './paths.js'

export const pushgatewayBinary = 'prometheus-pushgateway'
export const prometheusBinary = 'prometheus'

/** Why the servers cannot run here, or undefined when they can. */
export function missingPrometheus(): string | undefined {
  for (const binary of [pushgatewayBinary, prometheusBinary, 'promtool']) {
    if (spawnSync(binary, ['--version']).error) return `${binary} is not installed (apt-get install prometheus prometheus-pushgateway; .ci/run does this)`
  }
  return undefined
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer()
    server.once('error', reject)
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number }
      server.close(() => resolve(port))
    })
  })
}

async function waitReady(url: string, child: ChildProcess, output: () => string): Promise<void> {
  for (let i = 0; i < 100; i++) {
    if (child.exitCode !== null) throw new Error(`${url}: server exited: ${output()}`)
    try {
      if ((await fetch(url)).ok) return
    } catch {
      // not up yet
    }
    await new Promise((r) => setTimeout(r, 100))
  }
  throw new Error(`${url} not ready after 10 s: ${output()}`)
}

export interface PromStack {
  pushgatewayUrl: string
  prometheusUrl: string
  query(expr: string): Promise<{ status: string; result: { metric: Record<string, string>; value: [number, string] }[]; error?: string }>
  close(): void
}

export async function startPromStack(ruleFile: string): Promise<PromStack> {
  const dir = tempDir('prom')
  const [pushPort, promPort] = [await freePort(), await freePort()]
  let logs = ''
  // Debian's build persists to /var/lib/prometheus/pushgateway.data by default, which every test
  // run on the machine would then share (and read back at start): each gateway gets its own file.
  const pushgateway = spawn(pushgatewayBinary, [`--web.listen-address=127.0.0.1:${pushPort}`, `--persistence.file=${join(dir, 'pushgateway.data')}`], { stdio: ['ignore', 'pipe', 'pipe'] })
  pushgateway.stderr!.on('data', (c) => (logs += c))
  writeFileSync(
    join(dir, 'prometheus.yml'),
    `global: { scrape_interval: 1s, evaluation_interval: 1s }
rule_files: [${JSON.stringify(ruleFile)}]
scrape_configs:
  - job_name: pushgateway
    honor_labels: true
    static_configs: [{ targets: ["127.0.0.1:${pushPort}"] }]
`,
  )
  const prometheus = spawn(
    prometheusBinary,
    [`--config.file=${join(dir, 'prometheus.yml')}`, `--storage.tsdb.path=${join(dir, 'data')}`, `--web.listen-address=127.0.0.1:${promPort}`],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  )
  prometheus.stderr!.on('data', (c) => (logs += c))
  const stack: PromStack = {
    pushgatewayUrl: `http://127.0.0.1:${pushPort}`,
    prometheusUrl: `http://127.0.0.1:${promPort}`,
    async query(expr) {
      const response = await fetch(`${stack.prometheusUrl}/api/v1/query?query=${encodeURIComponent(expr)}`)
      const body = (await response.json()) as { status: string; data?: { result: [] }; error?: string }
      return { status: body.status, result: body.data?.result ?? [], error: body.error }
    },
    close() {
      pushgateway.kill()
      prometheus.kill()
    },
  }
  try {
    await waitReady(`${stack.pushgatewayUrl}/-/ready`, pushgateway, () => logs)
    await waitReady(`${stack.prometheusUrl}/-/ready`, prometheus, () => logs)
  } catch (error) {
    stack.close()
    throw error
  }
  return stack
}
