/**
 * Validates Kubernetes objects. Argo's kinds against Argo's own full CRD schemas (v3.6.7, in
 * tests/fixtures/argo/, see PROVENANCE.md) with ajv, unknown fields refused as the API server's
 * structural pruning would drop them; the other kinds with the kubernetes-models classes
 * (JSON-schema checks generated from the Kubernetes OpenAPI and the Karpenter and
 * prometheus-operator CRDs).
 */
import { createHash } from 'node:crypto'
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { parse, parseAllDocuments } from 'yaml'
import { Ajv, type ValidateFunction } from 'ajv'
import { ConfigMap, ServiceAccount } from 'kubernetes-models/v1'
import { Role, RoleBinding } from 'kubernetes-models/rbac.authorization.k8s.io/v1'
import { NetworkPolicy } from 'kubernetes-models/networking.k8s.io/v1'
import { CronJob } from 'kubernetes-models/batch/v1'
import { NodePool } from '@kubernetes-models/karpenter/karpenter.sh/v1'
import { EC2NodeClass } from '@kubernetes-models/karpenter/karpenter.k8s.aws/v1'
import { PrometheusRule } from '@kubernetes-models/prometheus-operator/monitoring.coreos.com/v1'
import { fixturesDir, repoRoot } from './paths.js'

export interface K8sObject {
  apiVersion: string
  kind: string
  metadata: { name?: string; generateName?: string; namespace?: string; labels?: Record<string, string>; annotations?: Record<string, string> }
  spec?: Record<string, unknown>
  [key: string]: unknown
}

type ModelClass = new (data: never) => { validate(): void }

const models: Record<string, ModelClass> = {
  'v1/ConfigMap': ConfigMap as unknown as ModelClass,
  'v1/ServiceAccount': ServiceAccount as unknown as ModelClass,
  'rbac.authorization.k8s.io/v1/Role': Role as unknown as ModelClass,
  'rbac.authorization.k8s.io/v1/RoleBinding': RoleBinding as unknown as ModelClass,
  'networking.k8s.io/v1/NetworkPolicy': NetworkPolicy as unknown as ModelClass,
  'batch/v1/CronJob': CronJob as unknown as ModelClass,
  'karpenter.sh/v1/NodePool': NodePool as unknown as ModelClass,
  'karpenter.k8s.aws/v1/EC2NodeClass': EC2NodeClass as unknown as ModelClass,
  'monitoring.coreos.com/v1/PrometheusRule': PrometheusRule as unknown as ModelClass,
}

/** The Argo kinds and the CRD file (tests/fixtures/argo/) that defines each. */
export const argoCrdFiles: Record<string, string> = {
  'argoproj.io/v1alpha1/Workflow': 'argoproj.io_workflows.yaml',
  'argoproj.io/v1alpha1/WorkflowTemplate': 'argoproj.io_workflowtemplates.yaml',
  'argoproj.io/v1alpha1/CronWorkflow': 'argoproj.io_cronworkflows.yaml',
}

type Schema = Record<string, unknown>

/**
 * A structural schema as the API server reads it: an object node with properties and no
 * additionalProperties and no x-kubernetes-preserve-unknown-fields keeps only the fields it
 * names, so a field it does not name is an error here (the server would silently drop it).
 */
export function refuseUnknownFields(schema: unknown): unknown {
  if (Array.isArray(schema)) return schema.map(refuseUnknownFields)
  if (!schema || typeof schema !== 'object') return schema
  const node: Schema = {}
  for (const [key, value] of Object.entries(schema)) node[key] = key === 'enum' || key === 'default' || key === 'example' ? value : refuseUnknownFields(value)
  if (node.properties && node.additionalProperties === undefined && node['x-kubernetes-preserve-unknown-fields'] !== true) node.additionalProperties = false
  return node
}

/**
 * The same schema with descriptions dropped and every repeated subtree (the Argo CRDs repeat the
 * Template, Container and Volume schemas hundreds of times) moved once into $defs, so ajv
 * compiles each shape once: seconds instead of a minute. Validation is unchanged.
 */
export function shareRepeatedSubtrees(schema: unknown): Schema {
  const counts = new Map<string, number>()
  // A key named description under properties is a field, not documentation: keep it.
  const canonical = (node: unknown, underProperties: boolean): unknown => {
    if (Array.isArray(node)) return node.map((item) => canonical(item, false))
    if (!node || typeof node !== 'object') return node
    const out: Schema = {}
    for (const key of Object.keys(node).sort()) if (underProperties || key !== 'description') out[key] = canonical((node as Schema)[key], !underProperties && key === 'properties')
    return out
  }
  const stripped = canonical(schema, false)
  const count = (node: unknown, underProperties: boolean): void => {
    if (!node || typeof node !== 'object') return
    if (!Array.isArray(node) && !underProperties) {
      const text = JSON.stringify(node)
      if (text.length > 200) counts.set(text, (counts.get(text) ?? 0) + 1)
    }
    for (const [key, value] of Object.entries(node)) count(value, !Array.isArray(node) && key === 'properties')
  }
  count(stripped, false)
  const defs: Schema = {}
  const names = new Map<string, string>()
  const share = (node: unknown, underProperties: boolean): unknown => {
    if (!node || typeof node !== 'object') return node
    if (Array.isArray(node)) return node.map((item) => share(item, false))
    const text = JSON.stringify(node)
    if (!underProperties && (counts.get(text) ?? 0) > 1) {
      let name = names.get(text)
      if (!name) {
        name = `s${names.size}`
        names.set(text, name)
        defs[name] = rebuild(node as Schema)
      }
      return { $ref: `#/$defs/${name}` }
    }
    return rebuild(node as Schema)
  }
  const rebuild = (node: Schema): Schema => {
    const out: Schema = {}
    for (const [key, value] of Object.entries(node)) out[key] = share(value, key === 'properties')
    return out
  }
  const root = rebuild(stripped as Schema)
  return { ...root, $defs: defs }
}

/**
 * The schema of one CRD version, ready for ajv. Parsing megabytes of YAML takes seconds, so the
 * result is kept in node_modules/.cache, keyed by the file's content hash.
 */
function crdVersion(file: string, name: string): Schema {
  const text = readFileSync(file, 'utf8')
  const cache = join(repoRoot, 'node_modules/.cache/gras-argo-crds', `${createHash('sha256').update(text).digest('hex').slice(0, 16)}-${name}.json`)
  if (existsSync(cache)) return JSON.parse(readFileSync(cache, 'utf8')) as Schema
  const crd = parse(text) as { spec: { versions: { name: string; schema: { openAPIV3Schema: Schema } }[] } }
  const version = crd.spec.versions.find((v) => v.name === name)
  if (!version) throw new Error(`${file}: no version ${name}`)
  const schema = shareRepeatedSubtrees(refuseUnknownFields(version.schema.openAPIV3Schema))
  mkdirSync(dirname(cache), { recursive: true })
  const staging = `${cache}.${process.pid}`
  writeFileSync(staging, JSON.stringify(schema))
  renameSync(staging, cache)
  return schema
}

const argoValidators = new Map<string, ValidateFunction>()
let ajv: Ajv | undefined

function argoValidator(key: string): ValidateFunction {
  const existing = argoValidators.get(key)
  if (existing) return existing
  const file = join(fixturesDir, 'argo', argoCrdFiles[key])
  const version = crdVersion(file, key.split('/')[1])
  if (!ajv) {
    // Kubernetes' own keywords carry no JSON-schema meaning for ajv; formats (int32, date-time)
    // are the API server's business, not the structure checked here.
    ajv = new Ajv({ strict: false, allErrors: false, validateFormats: false, inlineRefs: false })
    for (const keyword of ['x-kubernetes-preserve-unknown-fields', 'x-kubernetes-int-or-string', 'x-kubernetes-list-type', 'x-kubernetes-list-map-keys', 'x-kubernetes-map-type', 'x-kubernetes-validations', 'x-kubernetes-embedded-resource']) ajv.addKeyword(keyword)
  }
  const validate = ajv.compile(version)
  argoValidators.set(key, validate)
  return validate
}

/** Parses a multi-document YAML stream; throws on YAML errors. */
export function parseManifests(text: string, source: string): K8sObject[] {
  return parseAllDocuments(text)
    .map((doc) => {
      if (doc.errors.length > 0) throw new Error(`${source}: ${doc.errors[0].message}`)
      return doc.toJS() as K8sObject | null
    })
    .filter((o): o is K8sObject => o !== null)
}

/** Validates one object; throws naming it and the schema violation. Unknown kinds are errors too. */
export function validateObject(object: K8sObject, source: string): void {
  const key = `${object.apiVersion}/${object.kind}`
  const name = object.metadata?.name ?? object.metadata?.generateName
  if (argoCrdFiles[key]) {
    const validate = argoValidator(key)
    if (!validate(object)) {
      const error = validate.errors![0]
      const detail = error.keyword === 'additionalProperties' ? `unknown field ${JSON.stringify((error.params as { additionalProperty: string }).additionalProperty)}` : error.message
      throw new Error(`${source}: ${key} ${name}: ${error.instancePath || '/'} ${detail} (CRD ${argoCrdFiles[key]})`)
    }
    return
  }
  const Model = models[key]
  if (!Model) throw new Error(`${source}: no validator for ${key}`)
  try {
    new Model(object as never).validate()
  } catch (error) {
    throw new Error(`${source}: ${key} ${name}: ${(error as Error).message}`)
  }
}
