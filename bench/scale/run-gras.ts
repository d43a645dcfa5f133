/** Runs a `gras` command as a child process under GNU time: wall seconds, peak RSS, exit code. */
import { spawnSync } from 'node:child_process'
import { cliPath, configDir } from '../../tests/helpers/paths.js'

export interface GrasRun {
  seconds: number
  peakRssMb: number
  code: number
  stderr: string
  stdout: string
}

/** `options.cli`: another build's dist/jobs/cli.js (default: this one's). */
export function runGras(args: string[], options: { cwd: string; config?: string; env?: Record<string, string>; cli?: string }): GrasRun {
  const started = performance.now()
  const result = spawnSync('/usr/bin/time', ['-v', process.execPath, options.cli ?? cliPath, '--config', options.config ?? configDir, ...args], {
    cwd: options.cwd,
    env: { ...process.env, ...options.env },
    encoding: 'utf8',
    maxBuffer: 1024 ** 3,
  })
  const seconds = (performance.now() - started) / 1000
  const rss = /Maximum resident set size \(kbytes\): (\d+)/.exec(result.stderr)
  return { seconds, peakRssMb: rss ? Number(rss[1]) / 1024 : Number.NaN, code: result.status ?? -1, stderr: result.stderr, stdout: result.stdout }
}

/** The load average and the time, to print beside each figure (the machine is shared). */
export function machineNote(): string {
  return `load ${loadAverage().toFixed(2)} at ${new Date().toISOString()}`
}

function loadAverage(): number {
  return Number(spawnSync('cat', ['/proc/loadavg'], { encoding: 'utf8' }).stdout.split(' ')[0])
}
