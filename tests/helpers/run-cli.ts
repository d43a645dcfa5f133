/** Spawns the built CLI as a child process, as Argo or a person would run it. */
import assert from 'node:assert/strict'
import { spawn } from 'node:child_process'
import { copyFileSync, readdirSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { cliPath, configDir, tempDir } from './paths.js'

export interface CliResult {
  code: number
  stdout: string
  stderr: string
  /** stdout lines parsed as JSON (every line must be JSON unless `allowText`). */
  logs: Record<string, unknown>[]
}

export function runCli(args: string[], options: { cwd: string; env?: Record<string, string>; allowText?: boolean; timeoutMs?: number }): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const env: Record<string, string | undefined> = { ...process.env, ...options.env }
    // Keep the developer's AWS settings out of tests unless a test sets them.
    for (const name of ['AWS_REGION', 'AWS_DEFAULT_REGION', 'AWS_PROFILE', 'AWS_ENDPOINT_URL', 'AWS_ENDPOINT_URL_S3', 'AWS_ENDPOINT_URL_DYNAMODB']) {
      if (!options.env?.[name]) delete env[name]
    }
    const child = spawn(process.execPath, [cliPath, ...args], { cwd: options.cwd, env })
    let stdout = ''
    let stderr = ''
    child.stdout.on('data', (chunk) => (stdout += chunk))
    child.stderr.on('data', (chunk) => (stderr += chunk))
    const timer = setTimeout(() => child.kill('SIGKILL'), options.timeoutMs ?? 120_000)
    child.on('error', reject)
    child.on('close', (code) => {
      clearTimeout(timer)
      const logs: Record<string, unknown>[] = []
      for (const line of stdout.split('\n')) {
        if (!line.trim()) continue
        try {
          logs.push(JSON.parse(line))
        } catch {
          if (!options.allowText) return reject(new Error(`stdout line is not JSON: ${line}\nstderr: ${stderr}`))
        }
      }
      resolve({ code: code ?? -1, stdout, stderr, logs })
    })
  })
}

/** A config folder: the repository's settings plus `overrides` (YAML, read last). */
export function configDirWith(overrides: string): string {
  const dir = tempDir('config')
  for (const name of readdirSync(configDir)) copyFileSync(join(configDir, name), join(dir, name))
  writeFileSync(join(dir, 'zz-test.yaml'), overrides)
  return dir
}

/** Settings for tests that wait on a hung endpoint: deadlines of a fraction of a second. */
export const shortDeadlines = 'network:\n  connectTimeoutMs: 300\n  requestTimeoutMs: 500\n'

/** The stderr of a failed command: exactly one line in our format besides the JSON log lines (on stderr for commands whose stdout is data), and no stack trace. */
export function assertOneErrorLine(result: CliResult, pattern: RegExp): void {
  const lines = result.stderr.trim().split('\n').filter((line) => !line.startsWith('{'))
  assert.equal(lines.length, 1, `one stderr line, got:\n${result.stderr}`)
  assert.match(lines[0], /^gras: \S/)
  assert.match(lines[0], pattern)
  assert.ok(!/\n\s+at /.test(result.stderr), 'no stack trace on stderr')
}
