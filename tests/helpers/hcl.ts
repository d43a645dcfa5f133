/**
 * Terraform parsed by HashiCorp's own HCL parser (@cdktf/hcl2json: hcl2json compiled to wasm), so
 * tests read blocks and attributes as Terraform does instead of matching text. Literal values come
 * back as JSON; expressions come back as their source text wrapped in `${...}`.
 */
import { readFileSync, readdirSync } from 'node:fs'
import { join } from 'node:path'
import { getReferencesInExpression, parse } from '@cdktf/hcl2json'

/** One block's attributes and nested blocks, as hcl2json returns them. */
export type HclBlock = Record<string, any>

/** The top-level blocks of a Terraform directory, merged over its files. */
export interface TerraformConfig {
  /** `resource "type" "name"` -> resource[type][name] */
  resource: Record<string, Record<string, HclBlock>>
  data: Record<string, Record<string, HclBlock>>
  module: Record<string, HclBlock>
  variable: Record<string, HclBlock>
  output: Record<string, HclBlock>
  /** Every `locals` block merged; a name defined twice is an error. */
  locals: HclBlock
  provider: Record<string, HclBlock>
  terraform: HclBlock[]
  /** Which file each labelled block came from, e.g. files['module.eks'] = 'eks.tf'. */
  files: Record<string, string>
}

/** Parses every *.tf file of `dir`; a name declared twice fails with both file names. */
export async function parseTerraformDir(dir: string): Promise<TerraformConfig> {
  const config: TerraformConfig = { resource: {}, data: {}, module: {}, variable: {}, output: {}, locals: {}, provider: {}, terraform: [], files: {} }
  const names = readdirSync(dir).filter((f) => f.endsWith('.tf')).sort()
  for (const file of names) {
    const json = await parse(file, readFileSync(join(dir, file), 'utf8'))
    const place = (address: string) => {
      if (config.files[address]) throw new Error(`terraform: ${address} is declared in ${config.files[address]} and ${file}`)
      config.files[address] = file
    }
    for (const [kind, byType] of Object.entries(json)) {
      if (kind === 'resource' || kind === 'data') {
        for (const [type, byName] of Object.entries(byType as Record<string, Record<string, HclBlock[]>>)) {
          for (const [name, [block]] of Object.entries(byName)) {
            place(`${kind === 'data' ? 'data.' : ''}${type}.${name}`)
            ;(config[kind][type] ??= {})[name] = block
          }
        }
      } else if (kind === 'module' || kind === 'variable' || kind === 'output' || kind === 'provider') {
        for (const [name, [block]] of Object.entries(byType as Record<string, HclBlock[]>)) {
          place(`${kind}.${name}`)
          config[kind][name] = block
        }
      } else if (kind === 'locals') {
        for (const block of byType as HclBlock[]) {
          for (const [name, value] of Object.entries(block)) {
            place(`local.${name}`)
            config.locals[name] = value
          }
        }
      } else if (kind === 'terraform') {
        config.terraform.push(...(byType as HclBlock[]))
      } else {
        throw new Error(`terraform: ${file} has a top-level "${kind}" block this helper does not know`)
      }
    }
  }
  return config
}

/** A resource or data block by address ("helm_release.argo_workflows", "data.aws_iam_policy_document.job"), or a clear failure. */
export function terraformBlock(config: TerraformConfig, address: string): HclBlock {
  const parts = address.split('.')
  const [kind, type, name] = parts[0] === 'data' ? ['data', parts[1], parts[2]] as const : ['resource', parts[0], parts[1]] as const
  const block = config[kind][type]?.[name]
  if (!block) throw new Error(`terraform: no ${address} (resources: ${Object.keys(config.files).join(', ')})`)
  return block
}

/** The text inside `${...}` when the value is one whole expression, otherwise undefined. */
export function expressionOf(value: unknown): string | undefined {
  if (typeof value !== 'string') return undefined
  const match = /^\$\{([\s\S]*)\}$/.exec(value)
  return match ? match[1].trim() : undefined
}

/** Every reference (`module.eks.cluster_name`, `var.region`, ...) in every expression of the config, with where it is. */
export async function referencesIn(config: TerraformConfig): Promise<{ reference: string; at: string }[]> {
  const found: { reference: string; at: string }[] = []
  const walk = async (value: unknown, at: string): Promise<void> => {
    if (typeof value === 'string') {
      if (!value.includes('${')) return
      for (const ref of await getReferencesInExpression(at, value)) found.push({ reference: ref.value, at })
    } else if (Array.isArray(value)) {
      for (const [i, item] of value.entries()) await walk(item, `${at}[${i}]`)
    } else if (value && typeof value === 'object') {
      for (const [key, item] of Object.entries(value)) await walk(item, `${at}.${key}`)
    }
  }
  for (const kind of ['resource', 'data', 'module', 'variable', 'output', 'provider'] as const) await walk(config[kind], kind)
  await walk(config.locals, 'local')
  return found
}
