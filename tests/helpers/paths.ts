/** Paths of the repository, from compiled tests in dist/tests/helpers. */
import { dirname, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'

export const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '../../..')
export const cliPath = join(repoRoot, 'dist/jobs/cli.js')
export const configDir = join(repoRoot, 'config')
export const fixturesDir = join(repoRoot, 'tests/fixtures')

export function tempDir(prefix: string): string {
  return mkdtempSync(join(tmpdir(), `gras-${prefix}-`))
}
