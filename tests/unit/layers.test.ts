/**
 * The layer rule of jobs/ (docs/extending.md "Layout"), read from the sources themselves: every
 * relative import, static or dynamic, must point to the same folder or to a lower layer. A job never
 * imports another job, and the pure core loads no package that does I/O or validation.
 */
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { readFileSync, readdirSync, statSync } from 'node:fs'
import { dirname, join, relative, resolve } from 'node:path'
import { repoRoot } from '../helpers/paths.js'

/** Bottom to top. Folders on one rung may not import each other. */
const layers: readonly (readonly string[])[] = [
  ['core'],
  ['io'],
  ['runtime'],
  ['neural'],
  ['features', 'train', 'infer', 'monitor', 'report', 'demo', 'plan'],
  ['pipeline'],
  ['commands'],
  ['cli.ts'],
]

/** What the core may load: hashing for keys, and the module loader the ARIMA wasm needs. */
const corePackages = new Set(['node:crypto', 'node:module', 'node:path'])

const jobsDir = join(repoRoot, 'jobs')

function sourceFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name)
    if (statSync(path).isDirectory()) return sourceFiles(path)
    return name.endsWith('.ts') ? [path] : []
  })
}

/** The top folder of a file under jobs/ (`cli.ts` for the CLI itself). */
function folderOf(path: string): string {
  return relative(jobsDir, path).split('/')[0]
}

function rungOf(folder: string): number {
  const rung = layers.findIndex((names) => names.includes(folder))
  assert.notEqual(rung, -1, `jobs/${folder} is in no layer: add it to the layer list in tests/unit/layers.test.ts and docs/extending.md`)
  return rung
}

/** Every import specifier of a source: `import ... from`, `export ... from`, `import(...)`. */
export function importsOf(source: string): string[] {
  const specifiers: string[] = []
  for (const match of source.matchAll(/(?:^|\n)\s*(?:import|export)\s[^'"]*?from\s*['"]([^'"]+)['"]/g)) specifiers.push(match[1])
  for (const match of source.matchAll(/\bimport\(\s*['"]([^'"]+)['"]\s*\)/g)) specifiers.push(match[1])
  return specifiers
}

test('the import scanner sees static, type-only, re-exported and dynamic imports', () => {
  const source = [
    "import { a } from '../io/a.js'",
    "import type {\n  B,\n} from '../runtime/b.js'",
    "export { c } from './c.js'",
    "const d = await import('../neural/d.js')",
  ].join('\n')
  assert.deepEqual(importsOf(source).sort(), ['../io/a.js', '../neural/d.js', '../runtime/b.js', './c.js'])
})

test('no file under jobs/ imports a higher layer or a job beside it', () => {
  const violations: string[] = []
  for (const file of sourceFiles(jobsDir)) {
    const from = folderOf(file)
    for (const specifier of importsOf(readFileSync(file, 'utf8'))) {
      if (!specifier.startsWith('.')) continue
      const target = resolve(dirname(file), specifier)
      const to = folderOf(target)
      if (to === from) continue
      if (target.startsWith('..') || !target.startsWith(jobsDir)) {
        violations.push(`${relative(repoRoot, file)} imports ${specifier}, outside jobs/`)
      } else if (rungOf(to) >= rungOf(from)) {
        violations.push(`${relative(repoRoot, file)} (${from}) imports ${specifier} (${to}): not a lower layer`)
      }
    }
  }
  assert.deepEqual(violations, [])
})

test('the core loads no package that does I/O, logging or validation', () => {
  const violations: string[] = []
  for (const file of sourceFiles(join(jobsDir, 'core'))) {
    for (const specifier of importsOf(readFileSync(file, 'utf8'))) {
      if (!specifier.startsWith('.') && !corePackages.has(specifier)) violations.push(`${relative(repoRoot, file)} imports ${specifier}`)
    }
  }
  assert.deepEqual(violations, [])
})
