/** Runs the built CLI's train-neural and sends it SIGTERM once some network has logged `afterEpoch` epochs. */
import { spawn } from 'node:child_process'
import { cliPath } from './paths.js'

export function trainAndTerminate(args: string[], options: { cwd: string; env: Record<string, string>; afterEpoch: number }): Promise<{ code: number | null; lines: Record<string, unknown>[] }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [cliPath, ...args], { cwd: options.cwd, env: { ...process.env, ...options.env } })
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
        if (!sent && line.msg === 'epoch done' && (line.epoch as number) >= options.afterEpoch) {
          sent = true
          child.kill('SIGTERM')
        }
      }
    })
    child.on('close', (code) => resolve({ code, lines }))
  })
}
