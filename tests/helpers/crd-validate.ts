/**
 * Validates objects against a CustomResourceDefinition the way the API server does on create:
 * the version's openAPIV3Schema with unknown fields refused (structural pruning would drop them
 * silently; a test should see them), defaults applied, then every `x-kubernetes-validations` CEL
 * rule evaluated at its place in the schema by a CEL interpreter (@marcbachmann/cel-js). Transition
 * rules (those reading `oldSelf`) apply on update only and are skipped.
 */
import { readFileSync } from 'node:fs'
import { Ajv } from 'ajv'
import { Environment } from '@marcbachmann/cel-js'
import { parse } from 'yaml'

type Schema = Record<string, any>

export interface CrdValidator {
  /** "group/version/Kind" this validator accepts. */
  key: string
  /** Throws one error naming the source, the object and every violation. */
  validate(object: Record<string, any>, source: string): void
}

/** Kubernetes' CEL string library function the Karpenter rules use (`"a/b".find("^[^/]+")`). */
const cel = new Environment({ unlistedVariablesAreDyn: true }).registerFunction('string.find(string): string', (text: string, pattern: string) => new RegExp(pattern).exec(text)?.[0] ?? '')

/** Every object schema without additionalProperties or x-kubernetes-preserve-unknown-fields refuses unknown fields. */
function closeObjects(schema: Schema): Schema {
  if (Array.isArray(schema)) return schema.map(closeObjects)
  if (typeof schema !== 'object' || schema === null) return schema
  const out: Schema = {}
  for (const [key, value] of Object.entries(schema)) out[key] = key === 'properties' ? Object.fromEntries(Object.entries(value as Schema).map(([k, v]) => [k, closeObjects(v)])) : closeObjects(value)
  if (out.properties && out.additionalProperties === undefined && !out['x-kubernetes-preserve-unknown-fields']) out.additionalProperties = false
  return out
}

/** CEL has int and double; YAML gives JS numbers. Integers become bigint (CEL int). */
function toCel(value: unknown): unknown {
  if (typeof value === 'number' && Number.isInteger(value)) return BigInt(value)
  if (Array.isArray(value)) return value.map(toCel)
  if (value && typeof value === 'object') return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, toCel(v)]))
  return value
}

function checkRules(schema: Schema, value: unknown, path: string, errors: string[]): void {
  if (value === undefined || schema === undefined) return
  for (const { rule, message } of (schema['x-kubernetes-validations'] ?? []) as { rule: string; message?: string }[]) {
    if (/\boldSelf\b/.test(rule)) continue
    let result: unknown
    try {
      result = cel.evaluate(rule, { self: toCel(value) })
    } catch (error) {
      result = `error: ${(error as Error).message.split('\n')[0]}`
    }
    if (result !== true) errors.push(`${path}: ${message ?? 'failed'} (rule \`${rule}\` gave ${String(result)})`)
  }
  if (Array.isArray(value)) {
    if (schema.items) value.forEach((item, i) => checkRules(schema.items, item, `${path}[${i}]`, errors))
  } else if (value && typeof value === 'object') {
    for (const [key, child] of Object.entries(value)) {
      const childSchema = schema.properties?.[key] ?? (typeof schema.additionalProperties === 'object' ? schema.additionalProperties : undefined)
      checkRules(childSchema, child, `${path}.${key}`, errors)
    }
  }
}

/** Validators for every served version of the CRD in `file` (a YAML CustomResourceDefinition). */
export function loadCrd(file: string): CrdValidator[] {
  const crd = parse(readFileSync(file, 'utf8'))
  const ajv = new Ajv({ strict: false, allErrors: true, useDefaults: true, validateFormats: false })
  return (crd.spec.versions as Schema[])
    .filter((v) => v.served)
    .map((version) => {
      const schema = version.schema.openAPIV3Schema as Schema
      const check = ajv.compile(closeObjects(schema))
      const key = `${crd.spec.group}/${version.name}/${crd.spec.names.kind}`
      return {
        key,
        validate(object, source) {
          const defaulted = structuredClone(object)
          const errors: string[] = []
          if (!check(defaulted)) errors.push(...(check.errors ?? []).map((e) => `${e.instancePath || '/'} ${e.message}${e.params && 'additionalProperty' in e.params ? ` (${e.params.additionalProperty})` : ''}`))
          else checkRules(schema, defaulted, '', errors)
          if (errors.length > 0) throw new Error(`${source}: ${key} ${object.metadata?.name}: ${errors.join('; ')}`)
        },
      }
    })
}
