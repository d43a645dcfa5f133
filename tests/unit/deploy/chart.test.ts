/**
 * The chart, rendered with the Helm subset (no helm binary runs here), with default and production
 * values; workflows/ and karpenter/ as they are. Every object validates against the Kubernetes,
 * Argo, Karpenter and prometheus-operator schemas, and the policies below hold.
 */
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { readFileSync, readdirSync } from 'node:fs'
import { join } from 'node:path'
import type { Command } from 'commander'
import { buildProgram } from '../../../jobs/cli.js'
import { renderTemplate, loadValues } from '../../helpers/helm-subset.js'
import { parseManifests, validateObject, type K8sObject } from '../../helpers/k8s-validate.js'
import { repoRoot } from '../../helpers/paths.js'
import { chartDir, renderings, renderWith } from '../../render-chart.js'

const rendered = Object.fromEntries(Object.entries(renderings).map(([name, file]) => [name, parseManifests(renderWith(file), name)])) as Record<string, K8sObject[]>
const folder = (dir: string) =>
  readdirSync(join(repoRoot, dir))
    .filter((f) => f.endsWith('.yaml'))
    .flatMap((f) => parseManifests(readFileSync(join(repoRoot, dir, f), 'utf8'), `${dir}/${f}`))

test('committed renderings are up to date (npm run render:chart)', () => {
  for (const [name, file] of Object.entries(renderings)) {
    assert.equal(readFileSync(join(chartDir, 'rendered', `${name}.yaml`), 'utf8'), renderWith(file), `rendered/${name}.yaml is stale`)
  }
})

test('the chart ships the repository config unchanged', () => {
  for (const name of ['gras.yaml', 'metrics.yaml']) {
    assert.equal(readFileSync(join(chartDir, 'files', name), 'utf8'), readFileSync(join(repoRoot, 'config', name), 'utf8'), `charts/gras-forecast/files/${name} differs from config/${name}`)
  }
})

test('the Helm subset renders what it supports and rejects the rest', () => {
  const scope = { Values: { a: { b: 'x y' }, n: 3, m: { k: 1 } }, Release: { Name: 'r', Namespace: 'ns' }, Chart: { Name: 'c' } }
  assert.equal(renderTemplate('v: {{ .Values.a.b | quote }} {{ .Release.Namespace }}', scope, chartDir, 't'), 'v: "x y" ns')
  assert.equal(renderTemplate('x:\n  {{- toYaml .Values.m | nindent 2 }}', scope, chartDir, 't'), 'x:\n  k: 1')
  assert.equal(renderTemplate('a: {{`{{workflow.name}}`}}', scope, chartDir, 't'), 'a: {{workflow.name}}')
  assert.throws(() => renderTemplate('{{ if .Values.n }}x{{ end }}', scope, chartDir, 't'), /t:1: unsupported template action/)
  assert.throws(() => renderTemplate('{{ include "x" . }}', scope, chartDir, 't'), /unsupported template action/)
  assert.throws(() => renderTemplate('{{ .Values.missing }}', scope, chartDir, 't'), /\.Values\.missing is not set/)
  assert.throws(() => renderTemplate('{{ .Values.n | upper }}', scope, chartDir, 't'), /unsupported function upper/)
  assert.throws(() => renderTemplate('{{ .Files.Get "../x" }}', scope, chartDir, 't'), /outside the chart/)
})

test('every manifest validates: chart (default and production), workflows/, karpenter/', () => {
  const sets: [string, K8sObject[]][] = [...Object.entries(rendered), ['workflows', folder('workflows')], ['karpenter', folder('karpenter')]]
  for (const [source, objects] of sets) {
    assert.ok(objects.length > 0, source)
    for (const object of objects) validateObject(object, source)
  }
  const kinds = rendered.default.map((o) => o.kind).sort()
  assert.deepEqual(kinds, ['ConfigMap', 'ConfigMap', 'CronJob', 'CronWorkflow', 'CronWorkflow', 'CronWorkflow', 'NetworkPolicy', 'PrometheusRule', 'Role', 'RoleBinding', 'ServiceAccount', 'ServiceAccount', 'ServiceAccount', 'WorkflowTemplate'])
})

test('validation catches a broken object (the check is real)', () => {
  const template = rendered.default.find((o) => o.kind === 'WorkflowTemplate')!
  const broken = structuredClone(template)
  ;(broken.spec as { templates: unknown }).templates = 'not a list'
  assert.throws(() => validateObject(broken, 'broken'), /templates/)
})

interface PodSpecLike {
  serviceAccountName?: string
  securityContext?: { runAsNonRoot?: boolean }
  containers?: ContainerLike[]
  nodeSelector?: Record<string, string>
  tolerations?: { key: string; effect?: string }[]
}
interface ContainerLike {
  name?: string
  command?: string[]
  args?: string[]
  resources?: { requests?: Record<string, string>; limits?: Record<string, string> }
  securityContext?: { allowPrivilegeEscalation?: boolean; readOnlyRootFilesystem?: boolean; capabilities?: { drop?: string[] } }
}
interface ArgoTemplate {
  name: string
  serviceAccountName?: string
  container?: ContainerLike
  nodeSelector?: Record<string, string>
  tolerations?: { key: string; effect?: string }[]
  metadata?: { annotations?: Record<string, string> }
  activeDeadlineSeconds?: number
}

/** Every container the chart runs, with the pod-level settings that apply to it. */
function containers(objects: K8sObject[]): { where: string; pod: PodSpecLike; container: ContainerLike; template?: ArgoTemplate }[] {
  const out: { where: string; pod: PodSpecLike; container: ContainerLike; template?: ArgoTemplate }[] = []
  for (const o of objects) {
    if (o.kind === 'WorkflowTemplate') {
      const spec = o.spec as unknown as PodSpecLike & { templates: ArgoTemplate[] }
      for (const t of spec.templates) if (t.container) out.push({ where: `WorkflowTemplate/${t.name}`, pod: spec, container: t.container, template: t })
    }
    if (o.kind === 'CronJob') {
      const pod = (o.spec as { jobTemplate: { spec: { template: { spec: PodSpecLike } } } }).jobTemplate.spec.template.spec
      for (const c of pod.containers ?? []) out.push({ where: `CronJob/${o.metadata.name}/${c.name}`, pod, container: c })
    }
  }
  return out
}

for (const [name] of Object.entries(renderings)) {
  test(`policies hold with ${name} values`, () => {
    const objects = rendered[name]
    const values = loadValues(join(chartDir, renderings[name as keyof typeof renderings])) as { serviceAccounts: Record<string, { name: string; roleArn: string }> }
    const accounts = objects.filter((o) => o.kind === 'ServiceAccount')
    assert.deepEqual(accounts.map((a) => a.metadata.name).sort(), Object.values(values.serviceAccounts).map((a) => a.name).sort())
    for (const [job, account] of Object.entries(values.serviceAccounts)) {
      const sa = accounts.find((a) => a.metadata.name === account.name)!
      assert.equal(sa.metadata.annotations?.['eks.amazonaws.com/role-arn'], account.roleArn, job)
      assert.ok(account.roleArn.endsWith(`-${job}`), `${job} has its own role`)
    }
    const all = containers(objects)
    assert.equal(all.length, 6)
    for (const { where, pod, container, template } of all) {
      // monitor runs under infer's identity: it reads what infer wrote.
      const job = container.args?.[0] === 'monitor' ? 'infer' : container.args?.[0] === 'train-neural' ? 'train' : (container.args?.[0] as string)
      assert.equal(template?.serviceAccountName ?? pod.serviceAccountName, values.serviceAccounts[job].name, `${where}: runs as its job's IRSA ServiceAccount`)
      assert.equal(pod.securityContext?.runAsNonRoot, true, `${where}: non-root`)
      assert.equal(container.securityContext?.allowPrivilegeEscalation, false, `${where}: no privilege escalation`)
      assert.equal(container.securityContext?.readOnlyRootFilesystem, true, `${where}: read-only root`)
      assert.deepEqual(container.securityContext?.capabilities?.drop, ['ALL'], `${where}: drops capabilities`)
      assert.ok(container.resources?.limits?.cpu && container.resources.limits.memory, `${where}: has limits`)
      assert.deepEqual(container.command, ['node', 'dist/jobs/cli.js'], `${where}: runs the CLI directly (SIGTERM reaches node)`)
    }
    // Only the neural step needs a GPU; the statistical fits fan out on CPU spot nodes.
    const train = all.find((c) => c.where === 'WorkflowTemplate/train-neural')!
    assert.equal(train.container.resources?.requests?.['nvidia.com/gpu'], '1')
    assert.equal(train.container.resources?.limits?.['nvidia.com/gpu'], '1')
    assert.ok(train.template!.tolerations?.some((t) => t.key === 'nvidia.com/gpu' && t.effect === 'NoSchedule'), 'train tolerates the GPU taint')
    assert.equal(train.template!.nodeSelector?.['karpenter.sh/nodepool'], 'gras-gpu-spot')
    assert.equal(train.template!.metadata?.annotations?.['karpenter.sh/do-not-disrupt'], 'true')
    assert.ok(train.template!.activeDeadlineSeconds! > 0)
    for (const cpu of all.filter((c) => c.where !== 'WorkflowTemplate/train-neural')) {
      assert.equal((cpu.template ?? cpu.pod).nodeSelector?.['karpenter.sh/nodepool'], 'gras-cpu-spot', cpu.where)
      assert.equal(cpu.container.resources?.requests?.['nvidia.com/gpu'], undefined, `${cpu.where} needs no GPU`)
    }

    const template = objects.find((o) => o.kind === 'WorkflowTemplate')!.spec as Record<string, any>
    assert.ok(template.synchronization.mutexes.length === 1 && template.synchronization.mutexes[0].name, 'a workflow-level mutex')
    const retry = template.templateDefaults.retryStrategy
    assert.equal(retry.retryPolicy, 'Always')
    for (const spotLoss of ['pod deleted', 'imminent node shutdown', 'Evicted', '75', '143', 'lastRetry.status == "Error"']) assert.ok(retry.expression.includes(spotLoss), `retries ${spotLoss}`)
    for (const badInput of ['65', '66', '70']) assert.ok(!retry.expression.includes(badInput), `does not retry ${badInput}`)
    assert.ok(template.activeDeadlineSeconds > 0 && template.podGC.strategy && template.ttlStrategy.secondsAfterSuccess > 0)
    const pipeline = template.templates.find((t: ArgoTemplate) => t.name === 'pipeline')
    // Per-metric steps fan out over the metrics; the global neural step runs once.
    const perMetric = pipeline.dag.tasks.filter((t: { name: string }) => t.name !== 'train-neural')
    assert.ok(pipeline.parallelism > 0 && perMetric.length === 3 && perMetric.every((t: { withParam?: string }) => t.withParam?.includes('workflow.parameters.metrics')))
    const neuralTask = pipeline.dag.tasks.find((t: { name: string }) => t.name === 'train-neural')
    assert.deepEqual(neuralTask.depends, 'features')
    // train backtests the global model, so it waits for it; a failed neural step does not stop it.
    assert.deepEqual(neuralTask.continueOn, { failed: true, error: true })
    const trainTask = pipeline.dag.tasks.find((t: { name: string }) => t.name === 'train')
    for (const outcome of ['train-neural.Succeeded', 'train-neural.Failed', 'train-neural.Errored']) assert.ok(trainTask.depends.includes(outcome), `train runs after ${outcome}`)
    assert.ok(trainTask.depends.startsWith('features &&'))

    for (const cron of objects.filter((o) => o.kind === 'CronWorkflow')) {
      const spec = cron.spec as Record<string, any>
      assert.equal(spec.concurrencyPolicy, 'Forbid')
      assert.ok(spec.timezone && spec.startingDeadlineSeconds > 0 && Array.isArray(spec.schedules))
      assert.equal(spec.workflowSpec.workflowTemplateRef.name, 'gras-pipeline')
    }
    const cronJob = objects.find((o) => o.kind === 'CronJob')!.spec as Record<string, any>
    assert.equal(cronJob.concurrencyPolicy, 'Forbid')
    assert.deepEqual(cronJob.jobTemplate.spec.podFailurePolicy.rules[0], { action: 'Ignore', onPodConditions: [{ type: 'DisruptionTarget' }] })
  })
}

/** Argo placeholders replaced by the values they take at run time. */
function substitute(arg: string): string {
  return arg
    .replace('{{inputs.parameters.metric}}', 'G')
    .replace('{{workflow.parameters.run-id}}', 'gras-retrain-x7k2p')
    .replace('{{workflow.parameters.as-of}}', '2024-01-29T14:00:00Z')
    .replace('{{workflow.parameters.train-scope}}', 'drifted')
    .replace('{{workflow.parameters.metrics}}', 'G,R')
}

/** Parses argv with the real `gras` program, actions replaced by no-ops; throws on an unknown flag. */
function parseWithCli(args: string[]): void {
  const program = buildProgram()
  const silence = (command: Command) => {
    command.action(() => undefined)
    command.configureOutput({ writeErr: () => undefined, writeOut: () => undefined })
    command.commands.forEach(silence)
  }
  program.configureOutput({ writeErr: () => undefined, writeOut: () => undefined })
  program.commands.forEach(silence)
  program.parse(['node', 'gras', ...args])
}

test('every CLI invocation in a manifest parses with the real commander program', () => {
  const invocations = Object.values(rendered).flatMap((objects) => containers(objects).map((c) => (c.container.args ?? []).map(substitute)))
  assert.ok(invocations.length >= 8)
  for (const args of invocations) parseWithCli(args)
  assert.throws(() => parseWithCli(['train', '--metric', 'G']), /unknown option/, 'a renamed flag fails')
})
