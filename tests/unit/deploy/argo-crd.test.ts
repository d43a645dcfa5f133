/**
 * Every Argo object we ship (the chart's renderings and workflows/*.yaml) and the Workflow
 * `gras submit` creates, validated against Argo Workflows' own full CRD schemas at v3.6.7 (the
 * version the Terraform installs), with unknown fields refused.
 */
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { createHash } from 'node:crypto'
import { readFileSync, readdirSync } from 'node:fs'
import { join } from 'node:path'
import { workflowFromTemplate } from '../../../jobs/core/workflow-spec.js'
import { argoCrdFiles, parseManifests, validateObject, type K8sObject } from '../../helpers/k8s-validate.js'
import { fixturesDir, repoRoot } from '../../helpers/paths.js'

const argoDir = join(fixturesDir, 'argo')
const isArgo = (o: K8sObject) => Boolean(argoCrdFiles[`${o.apiVersion}/${o.kind}`])
const renderings = ['default', 'production'].map((name) => [`rendered/${name}.yaml`, parseManifests(readFileSync(join(repoRoot, 'charts/gras-forecast/rendered', `${name}.yaml`), 'utf8'), name)] as const)
const workflows = readdirSync(join(repoRoot, 'workflows'))
  .filter((f) => f.endsWith('.yaml'))
  .map((f) => [`workflows/${f}`, parseManifests(readFileSync(join(repoRoot, 'workflows', f), 'utf8'), f)] as const)

test('the CRD fixtures are the upstream files named in PROVENANCE.md, unchanged', () => {
  const provenance = readFileSync(join(argoDir, 'PROVENANCE.md'), 'utf8')
  assert.match(provenance, /Tag: v3\.6\.7/)
  for (const file of Object.values(argoCrdFiles)) {
    const bytes = readFileSync(join(argoDir, file))
    const blob = createHash('sha1').update(`blob ${bytes.length}\0`).update(bytes).digest('hex')
    assert.match(provenance, new RegExp(`\\| ${file.replace(/\./g, '\\.')} \\| manifests/base/crds/full/${file.replace(/\./g, '\\.')} \\| ${blob} \\|`), `${file}: git blob ${blob} is not the one PROVENANCE.md records`)
  }
})

test('every Argo object validates against the v3.6.7 CRDs, unknown fields refused', () => {
  const entrypoints = ['pipeline', 'refresh', 'backtest']
  const submitted = entrypoints.map((entrypoint) => workflowFromTemplate({ namespace: 'gras', template: 'gras-pipeline', entrypoint, parameters: { metrics: 'G,R', 'as-of': '2024-01-29T00:00:00Z' }, generateName: `gras-${entrypoint}-` }) as unknown as K8sObject)
  const sets = [...renderings, ...workflows, ['gras submit', submitted] as const]
  let count = 0
  for (const [source, objects] of sets) {
    for (const object of objects.filter(isArgo)) {
      validateObject(object, source)
      count++
    }
  }
  // 3 CronWorkflows + 1 WorkflowTemplate per rendering, 3 workflows/, 3 from gras submit.
  assert.equal(count, 4 * 2 + 3 + 3)
})

test('the CRD check refuses an unknown field, a misplaced one and a wrong type (the check is real)', () => {
  const template = renderings[0][1].find((o) => o.kind === 'WorkflowTemplate')!
  const mutate = (change: (spec: any) => void) => {
    const copy = structuredClone(template)
    change(copy.spec)
    return copy
  }
  const dagOf = (spec: any, name: string) => spec.templates.find((t: any) => t.name === name).dag
  assert.throws(() => validateObject(mutate((s) => (dagOf(s, 'pipeline').tasks[1].continueOnFailed = true)), 't'), /\/spec\/templates\/0\/dag\/tasks\/1 unknown field "continueOnFailed"/)
  assert.throws(() => validateObject(mutate((s) => (dagOf(s, 'pipeline').retryStrategy = { limit: 1 })), 't'), /dag unknown field "retryStrategy"/)
  assert.throws(() => validateObject(mutate((s) => (s.templates.find((t: any) => t.name === 'train').container.gpu = 1)), 't'), /container unknown field "gpu"/)
  assert.throws(() => validateObject(mutate((s) => (dagOf(s, 'pipeline').failFast = 'no')), 't'), /failFast must be boolean/)
  assert.throws(() => validateObject(mutate((s) => (s.synchronization = { mutexes: [{ nam: 'x' }] })), 't'), /\/spec\/synchronization\/mutexes\/0 unknown field "nam"/)
  const cron = structuredClone(renderings[0][1].find((o) => o.kind === 'CronWorkflow')!)
  ;(cron.spec as any).schedule = ['20 * * * *']
  assert.throws(() => validateObject(cron, 'c'), /\/spec\/schedule must be string/)
})
