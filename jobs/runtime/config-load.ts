/**
 * Loads settings once: defaults < config/*.yaml (alphabetical) < overrides from env/flags.
 * Every failing path is listed in one ConfigError, naming the file it came from.
 */
import { readdirSync, readFileSync, existsSync } from 'node:fs'
import { join, resolve, dirname } from 'node:path'
import { fileURLToPath } from 'node:url'
import { parse as parseYaml } from 'yaml'
import { configSchema, defaultConfig, type GrasConfig } from './config-schema.js'
import { ConfigError } from '../core/errors.js'

type Plain = Record<string, unknown>

function isPlain(value: unknown): value is Plain {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
}

/** Deep merge where arrays and scalars of `over` replace those of `base`. */
export function mergeSettings(base: Plain, over: Plain): Plain {
  const out: Plain = { ...base }
  for (const [key, value] of Object.entries(over)) {
    out[key] = isPlain(value) && isPlain(out[key]) ? mergeSettings(out[key] as Plain, value) : value
  }
  return out
}

/** The config folder shipped with the package, used when neither --config nor ./config exists. */
export function packagedConfigDir(): string {
  return resolve(dirname(fileURLToPath(import.meta.url)), '../../../config')
}

/** Picks the config folder: an explicit one must exist; otherwise ./config, else the packaged one. */
export function resolveConfigDir(explicit: string | undefined): string {
  if (explicit) {
    if (!existsSync(explicit)) throw new ConfigError(`config: folder ${explicit} does not exist (from --config or GRAS_CONFIG)`)
    return explicit
  }
  return existsSync('config') ? 'config' : packagedConfigDir()
}

/**
 * Reads, merges and validates the settings; the result is frozen. Throws ConfigError listing every
 * bad field; `flags` names the CLI flag an override came from (`{ 'neural.epochs': '--epochs' }`).
 */
export function loadConfig(configDir: string, overrides: Plain = {}, flags: Record<string, string> = {}): Readonly<GrasConfig> {
  let merged: Plain = defaultConfig as unknown as Plain
  const problems: string[] = []
  const files = readdirSync(configDir)
    .filter((name) => /\.ya?ml$/.test(name))
    .sort()
  for (const name of files) {
    const path = join(configDir, name)
    let doc: unknown
    try {
      doc = parseYaml(readFileSync(path, 'utf8'))
    } catch (error) {
      problems.push(`${path}: not valid YAML: ${(error as Error).message.split('\n')[0]}`)
      continue
    }
    if (doc === null || doc === undefined) continue
    if (!isPlain(doc)) {
      problems.push(`${path}: expected a mapping at the top level`)
      continue
    }
    // Check each file on its own over the defaults, so an error names the file that caused it.
    const result = configSchema.safeParse(mergeSettings(defaultConfig as unknown as Plain, doc))
    if (!result.success) {
      for (const issue of result.error.issues) problems.push(`${path}: ${issue.path.join('.') || '(root)'}: ${issue.message}`)
    }
    merged = mergeSettings(merged, doc)
  }
  if (problems.length > 0) throw new ConfigError(`config: ${problems.length} invalid setting(s):\n  ${problems.join('\n  ')}`)
  merged = mergeSettings(merged, overrides)
  const result = configSchema.safeParse(merged)
  if (!result.success) {
    const lines = result.error.issues.map((issue) => {
      const path = issue.path.join('.')
      return `${path || '(root)'}${flags[path] ? ` (${flags[path]})` : ''}: ${issue.message}`
    })
    throw new ConfigError(`config: ${lines.length} invalid setting(s) after applying flags and GRAS_* variables:\n  ${lines.join('\n  ')}`)
  }
  return deepFreeze(result.data)
}

function deepFreeze<T>(value: T): T {
  if (typeof value === 'object' && value !== null) {
    for (const child of Object.values(value)) deepFreeze(child)
    Object.freeze(value)
  }
  return value
}
