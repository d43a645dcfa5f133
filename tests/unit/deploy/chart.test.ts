/**
 * The chart, rendered by the real helm (tests/helpers/helm.ts) with default and production values;
 * workflows/ and karpenter/ as they are. `helm lint --strict` passes, values.schema.json is
 * enforced by helm itself, the committed renderings are exactly helm's output, every non-Argo
 * object validates against the Kubernetes, Karpenter and prometheus-operator schemas (Argo's
 * objects: argo-crd.test.ts), and the policies below hold.
 */
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { readFileSync, readdirSync } from 'node:fs'
import { join } from 'node:path'
import { parse } from 'yaml'
import type { Command } from 'commander'
import { buildProgram } from '../../../jobs/cli.js'
import { helm } from '../../helpers/helm.js'
import { parseManifests, validateObject, argoCrdFiles, type K8sObject } from '../../helpers/k8s-validate.js'
import { repoRoot } from '../../helpers/paths.js'
import { chartDir, renderings, renderWith } from '../../render-chart.js'

const rendered = Object.fromEntries(Object.entries(renderings).map(([name, file]) => [name, parseManifests(renderWith(file), name)])) as Record<string, K8sObject[]>
const folder = (dir: string) =>
  readdirSync(join(repoRoot, dir))
    .filter((f) => f.endsWith('.yaml'))
    .flatMap((f) => parseManifests(readFileSync(join(repoRoot, dir, f), 'utf8'), `${dir}/${f}`))
/** The values helm renders with: values.yaml, then the given file over it (maps merge, lists replace). */
function effectiveValues(file: string): Record<string, any> {
  const merge = (base: any, over: any): any =>
    over && typeof over === 'object' && !Array.isArray(over) && base && typeof base === 'object' && !Array.isArray(base)
      ? Object.fromEntries([...new Set([...Object.keys(base), ...Object.keys(over)])].map((k) => [k, k in over ? merge(base[k], over[k]) : base[k]]))
      : over
  const read = (f: string) => parse(readFileSync(join(chartDir, f), 'utf8'))
  return merge(read('values.yaml'), read(file))
}

test('committed renderings are exactly what helm template prints (npm run render:chart)', () => {
  for (const [name, file] of Object.entries(renderings)) {
    assert.equal(readFileSync(join(chartDir, 'rendered', `${name}.yaml`), 'utf8'), renderWith(file), `rendered/${name}.yaml is stale: npm run render:chart`)
  }
})

test('helm lint --strict passes with default and production values', () => {
  for (const file of Object.values(renderings)) {
    const result = helm(['lint', '--strict', chartDir, '--values', join(chartDir, file)])
    assert.equal(result.status, 0, `helm lint --strict -f ${file}:\n${result.stdout}${result.stderr}`)
  }
})

test('helm enforces values.schema.json: a wrong type, an unknown key, 443 to anywhere and a missing CIDR list fail', () => {
  const bad: [string[], RegExp][] = [
    [['--set', 'workflow.parallelism=four'], /\/workflow\/parallelism.*got string, want integer/],
    [['--set', 'serviceAccounts.trainneural.name=x'], /\/serviceAccounts.*additional properties 'trainneural' not allowed/],
    [['--set-json', 'networkPolicy.awsEgressCidrs=["0.0.0.0/0"]'], /\/networkPolicy\/awsEgressCidrs\/0/],
    [['--set-json', 'networkPolicy.awsEgressCidrs=[]'], /\/networkPolicy\/awsEgressCidrs': minItems/],
    [['--set', 'monitoring.prometheusRule.enabled=yes'], /\/monitoring\/prometheusRule\/enabled.*want boolean/],
    [['--set', 'serviceAccounts.monitor.roleArn=gras-monitor'], /\/serviceAccounts\/monitor\/roleArn/],
  ]
  for (const [args, message] of bad) {
    const result = helm(['template', 'gras', chartDir, '--namespace', 'gras', ...args])
    assert.notEqual(result.status, 0, `helm template ${args.join(' ')} should fail`)
    assert.match(result.stderr, /values don't meet the specifications of the schema/, args.join(' '))
    assert.match(result.stderr, message, args.join(' '))
  }
  assert.equal(helm(['template', 'gras', chartDir, '--namespace', 'gras', '--set-json', 'networkPolicy.awsEgressCidrs=[]', '--set', 'networkPolicy.enabled=false']).status, 0, 'no CIDRs needed without the policy')
})

test('the chart ships the repository config unchanged', () => {
  for (const name of ['gras.yaml', 'metrics.yaml']) {
    assert.equal(readFileSync(join(chartDir, 'files', name), 'utf8'), readFileSync(join(repoRoot, 'config', name), 'utf8'), `charts/gras-forecast/files/${name} differs from config/${name}`)
  }
})

test('every non-Argo manifest validates: chart (default and production), karpenter/', () => {
  const sets: [string, K8sObject[]][] = [...Object.entries(rendered), ['karpenter', folder('karpenter')]]
  for (const [source, objects] of sets) {
    assert.ok(objects.length > 0, source)
    for (const object of objects) if (!argoCrdFiles[`${object.apiVersion}/${object.kind}`]) validateObject(object, source)
  }
  const kinds = (objects: K8sObject[]) => objects.map((o) => o.kind).sort()
  const common = ['ConfigMap', 'ConfigMap', 'CronJob', 'CronWorkflow', 'CronWorkflow', 'CronWorkflow', 'NetworkPolicy', 'Role', 'RoleBinding', ...Array(5).fill('ServiceAccount'), 'WorkflowTemplate']
  // No PrometheusRule by default: helm install works on a cluster without prometheus-operator's CRDs.
  assert.deepEqual(kinds(rendered.default), common.sort())
  assert.deepEqual(kinds(rendered.production), [...common, 'PrometheusRule'].sort())
})

test('validation catches a broken object (the check is real)', () => {
  const cronJob = rendered.default.find((o) => o.kind === 'CronJob')!
  const broken = structuredClone(cronJob)
  ;(broken.spec as { schedule: unknown }).schedule = 5
  assert.throws(() => validateObject(broken, 'broken'), /schedule/)
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

/** The values key of each job and the name its ServiceAccount and IAM role carry (terraform/iam.tf trusts these). */
const jobs = { features: 'features', train: 'train', trainNeural: 'train-neural', infer: 'infer', monitor: 'monitor' } as const
/** `gras plan` lists bronze and writes plans/: it runs under the features role. */
const valuesKeyOf = (command: string) => (command === 'plan' ? 'features' : (Object.entries(jobs).find(([, job]) => job === command)?.[0] as keyof typeof jobs))

for (const [name, file] of Object.entries(renderings)) {
  test(`policies hold with ${name} values`, () => {
    const objects = rendered[name]
    const values = effectiveValues(file)
    const accounts = objects.filter((o) => o.kind === 'ServiceAccount')
    assert.deepEqual(accounts.map((a) => a.metadata.name).sort(), Object.values(jobs).map((job) => `gras-forecast-${job}`).sort(), 'one ServiceAccount per job, named as terraform/iam.tf trusts')
    for (const [key, job] of Object.entries(jobs)) {
      const account = values.serviceAccounts[key]
      const sa = accounts.find((a) => a.metadata.name === account.name)!
      assert.equal(sa.metadata.annotations?.['eks.amazonaws.com/role-arn'], account.roleArn, key)
      assert.match(account.roleArn, new RegExp(`^arn:aws:iam::[0-9]{12}:role/gras-(prod-)?${job}$`), `${key} has its own role`)
    }
    const binding = objects.find((o) => o.kind === 'RoleBinding') as unknown as { subjects: { name: string }[] }
    assert.deepEqual(binding.subjects.map((s) => s.name).sort(), accounts.map((a) => a.metadata.name).sort(), "every job's pods may report results to Argo")

    const all = containers(objects)
    assert.equal(all.length, 7, 'the five jobs and the plan step of the WorkflowTemplate, and the features CronJob')
    for (const { where, pod, container, template } of all) {
      const job = valuesKeyOf(container.args?.[0] as string)
      assert.ok(job, `${where}: runs a known job`)
      assert.equal(template ? template.serviceAccountName : pod.serviceAccountName, values.serviceAccounts[job].name, `${where}: runs as its own job's IRSA ServiceAccount`)
      assert.equal((template ?? pod).nodeSelector?.['kubernetes.io/arch'], 'amd64', `${where}: the image is amd64-only`)
      assert.equal(pod.securityContext?.runAsNonRoot, true, `${where}: non-root`)
      assert.equal(container.securityContext?.allowPrivilegeEscalation, false, `${where}: no privilege escalation`)
      assert.equal(container.securityContext?.readOnlyRootFilesystem, true, `${where}: read-only root`)
      assert.deepEqual(container.securityContext?.capabilities?.drop, ['ALL'], `${where}: drops capabilities`)
      assert.ok(container.resources?.limits?.cpu && container.resources.limits.memory, `${where}: has limits`)
      assert.deepEqual(container.command, ['node', 'dist/jobs/cli.js'], `${where}: runs the CLI directly (SIGTERM reaches node)`)
    }
    const template = objects.find((o) => o.kind === 'WorkflowTemplate')!.spec as Record<string, any>
    assert.equal(template.serviceAccountName, undefined, 'no workflow-wide identity: a step without its own runs with none')

    // Only the neural step needs a GPU; the statistical fits fan out on CPU spot nodes.
    const neural = all.find((c) => c.where === 'WorkflowTemplate/train-neural')!
    assert.equal(neural.container.resources?.requests?.['nvidia.com/gpu'], '1')
    assert.equal(neural.container.resources?.limits?.['nvidia.com/gpu'], '1')
    assert.ok(neural.template!.tolerations?.some((t) => t.key === 'nvidia.com/gpu' && t.effect === 'NoSchedule'), 'train-neural tolerates the GPU taint')
    assert.equal(neural.template!.nodeSelector?.['karpenter.sh/nodepool'], values.nodePools.gpu)
    assert.equal(neural.template!.metadata?.annotations?.['karpenter.sh/do-not-disrupt'], 'true')
    assert.ok(neural.template!.activeDeadlineSeconds! > 0)
    for (const cpu of all.filter((c) => c !== neural)) {
      assert.equal((cpu.template ?? cpu.pod).nodeSelector?.['karpenter.sh/nodepool'], values.nodePools.cpu, cpu.where)
      assert.equal(cpu.container.resources?.requests?.['nvidia.com/gpu'], undefined, `${cpu.where} needs no GPU`)
    }

    assert.ok(template.synchronization.mutexes.length === 1 && template.synchronization.mutexes[0].name, 'a workflow-level mutex')
    assert.ok(template.activeDeadlineSeconds > 0 && template.podGC.strategy && template.ttlStrategy.secondsAfterSuccess > 0)
    // Retries belong to the pods: a retryStrategy in templateDefaults would reach the DAGs too
    // (argo-validate.test.ts checks the placement against Argo's controller).
    assert.equal(template.templateDefaults?.retryStrategy, undefined)
    for (const t of template.templates as ArgoTemplate[] & { retryStrategy?: any }[]) {
      const retry = (t as any).retryStrategy
      if (!t.container) continue
      assert.equal(retry?.retryPolicy, 'Always', `${t.name} retries`)
      for (const spotLoss of ['pod deleted', 'imminent node shutdown', 'Evicted', '75', '143', 'lastRetry.status == "Error"']) assert.ok(retry.expression.includes(spotLoss), `${t.name} retries ${spotLoss}`)
      for (const badInput of ['65', '66', '70']) assert.ok(!retry.expression.includes(badInput), `${t.name} does not retry ${badInput}`)
      assert.equal(retry.limit, values.workflow.retryLimit)
    }

    // Features per shard of the plan, then one branch per shard (train -> infer) once every
    // features shard has ended and the global neural step too, whatever their outcomes.
    const byName = (n: string) => (template.templates as any[]).find((t) => t.name === n)
    const pipeline = byName('pipeline')
    assert.equal(pipeline.dag.failFast, false, 'a failed shard does not stop the others')
    assert.deepEqual(pipeline.dag.tasks.map((t: any) => t.name), ['train-neural', 'plan', 'features', 'features-done', 'shard'])
    const [neuralTask, planTask, featuresTask, featuresDone, shardTask] = pipeline.dag.tasks
    // A failed features shard fails the workflow through this leaf, which runs no pod.
    assert.equal(featuresDone.depends, 'features')
    assert.deepEqual(byName(featuresDone.template).suspend, { duration: '0' })
    assert.equal(neuralTask.depends, undefined)
    assert.equal(planTask.depends, undefined, 'the plan runs beside the GPU step')
    assert.equal(featuresTask.depends, 'plan', 'the features beside the GPU step too')
    assert.equal(shardTask.template, 'shard-pipeline')
    for (const fanOut of [featuresTask, shardTask]) {
      assert.equal(fanOut.withParam, '{{tasks.plan.outputs.result}}')
      assert.deepEqual(fanOut.arguments.parameters, [{ name: 'shard', value: '{{item.shard}}' }, { name: 'plan', value: '{{item.plan}}' }])
    }
    for (const step of ['train-neural', 'features']) for (const outcome of ['Succeeded', 'Failed', 'Errored']) assert.match(shardTask.depends, new RegExp(`${step}\\.${outcome}`), `branches run after ${step} ${outcome}`)
    const chain = (t: string) => byName(t).dag.tasks.map((task: any) => `${task.depends ?? ''}>${task.template}`)
    assert.deepEqual(chain('shard-pipeline'), ['>train', 'train>infer'])
    // After this run's features, train takes only their cutoff; backtest, without a features step, the newest not after it.
    const cutoffOf = (task: any) => task.arguments.parameters.find((p: any) => p.name === 'cutoff')?.value
    assert.equal(cutoffOf(byName('shard-pipeline').dag.tasks[0]), 'exact')
    assert.equal(cutoffOf(byName('backtest').dag.tasks.find((t: any) => t.template === 'train')), 'at-most')
    for (const cutoff of ['exact', 'at-most']) parseWithCli(byName('train').container.args.map((arg: string) => substitute(arg).replace('{{inputs.parameters.cutoff}}', cutoff)))
    assert.deepEqual(chain('shard-refresh'), ['>monitor', 'monitor>infer'])
    assert.deepEqual(chain('refresh'), ['>plan', 'plan>shard-refresh'])
    assert.deepEqual(chain('backtest'), ['>plan', 'plan>train'])
    // Every step of a branch runs exactly its shard of the plan the branch was given.
    for (const step of ['features', 'train', 'infer', 'monitor']) {
      const args: string[] = byName(step).container.args
      assert.deepEqual(args.slice(args.indexOf('--shard'), args.indexOf('--shard') + 4), ['--shard', '{{inputs.parameters.shard}}', '--plan', '{{inputs.parameters.plan}}'], step)
      assert.ok(!args.includes('--metrics'), `${step}: the plan, not --metrics, says which metrics`)
    }

    for (const cron of objects.filter((o) => o.kind === 'CronWorkflow')) {
      const spec = cron.spec as Record<string, any>
      assert.equal(spec.concurrencyPolicy, 'Forbid')
      assert.ok(spec.timezone && spec.startingDeadlineSeconds > 0 && Array.isArray(spec.schedules))
      assert.equal(spec.workflowSpec.workflowTemplateRef.name, 'gras-pipeline')
    }
    const cronJob = objects.find((o) => o.kind === 'CronJob')!.spec as Record<string, any>
    assert.equal(cronJob.concurrencyPolicy, 'Forbid')
    assert.deepEqual(cronJob.jobTemplate.spec.podFailurePolicy.rules[0], { action: 'Ignore', onPodConditions: [{ type: 'DisruptionTarget' }] })

    const folderKey = values.grafana.folderAnnotation
    const dashboards = objects.find((o) => o.kind === 'ConfigMap' && o.metadata.name?.endsWith('-dashboards'))!
    assert.equal(dashboards.metadata.annotations?.[folderKey], values.grafana.folder, 'the folder annotation carries the key the Grafana sidecar is told to read')
  })

  test(`the NetworkPolicy with ${name} values denies all but DNS, HTTPS to the AWS CIDRs and the Pushgateway`, () => {
    const values = effectiveValues(file)
    const policy = rendered[name].find((o) => o.kind === 'NetworkPolicy')!.spec as any
    assert.deepEqual(policy.policyTypes, ['Ingress', 'Egress'])
    assert.deepEqual(policy.ingress, [])
    assert.deepEqual(policy.podSelector, { matchLabels: { 'app.kubernetes.io/part-of': 'gras-forecast' } })
    // A rule without `to` allows every destination; a peer with only a namespaceSelector, every pod there.
    for (const rule of policy.egress) {
      assert.ok(rule.to?.length > 0, `egress rule ${JSON.stringify(rule)} names its destinations`)
      for (const peer of rule.to) {
        if (peer.ipBlock) assert.notEqual(peer.ipBlock.cidr, '0.0.0.0/0')
        else assert.ok(peer.podSelector?.matchLabels && peer.namespaceSelector?.matchLabels, `peer ${JSON.stringify(peer)} names pods in a namespace`)
      }
    }
    const rule = (port: number) => policy.egress.filter((r: any) => r.ports.some((p: any) => p.port === port))
    assert.deepEqual(rule(53), [{ to: [{ namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'kube-system' } }, podSelector: { matchLabels: { 'k8s-app': 'kube-dns' } } }], ports: [{ protocol: 'UDP', port: 53 }, { protocol: 'TCP', port: 53 }] }])
    assert.deepEqual(rule(443), [{ to: values.networkPolicy.awsEgressCidrs.map((cidr: string) => ({ ipBlock: { cidr } })), ports: [{ protocol: 'TCP', port: 443 }] }])
    assert.deepEqual(rule(values.pushgateway.port), [
      { to: [{ namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': values.pushgateway.namespace } }, podSelector: { matchLabels: values.pushgateway.podLabels } }], ports: [{ protocol: 'TCP', port: values.pushgateway.port }] },
    ])
    assert.equal(policy.egress.length, 3)
  })
}

/** Argo placeholders replaced by the values they take at run time. */
function substitute(arg: string): string {
  return arg
    .replace('{{inputs.parameters.shard}}', '1/4')
    .replace('{{inputs.parameters.plan}}', 'gras-retrain-x7k2p')
    .replace('{{inputs.parameters.cutoff}}', 'exact')
    .replace('{{workflow.parameters.shards}}', '0')
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

test('featuresShards > 1: the features CronJob is an Indexed Job whose pod i runs --shard i/N, valid for Kubernetes and the CLI', () => {
  const result = helm(['template', 'gras', chartDir, '--namespace', 'gras', '--set', 'schedules.featuresShards=4'])
  assert.equal(result.status, 0, result.stderr)
  const cronJob = parseManifests(result.stdout, 'featuresShards=4').find((o) => o.kind === 'CronJob')!
  validateObject(cronJob, 'featuresShards=4')
  const job = (cronJob.spec as any).jobTemplate.spec
  assert.equal(job.completionMode, 'Indexed')
  assert.equal(job.completions, 4)
  const container = job.template.spec.containers[0]
  const env = new Map<string, any>(container.env.map((e: any) => [e.name, e]))
  assert.equal(env.get('SHARD_INDEX').valueFrom.fieldRef.fieldPath, "metadata.annotations['batch.kubernetes.io/job-completion-index']")
  assert.equal(env.get('GRAS_SHARD').value, '$(SHARD_INDEX)/4')
  // $(VAR) expands only variables defined earlier in the list (Kubernetes' dependent variables).
  const names = container.env.map((e: any) => e.name)
  assert.ok(names.indexOf('SHARD_INDEX') < names.indexOf('GRAS_SHARD'))
  // What the pod's process sees for index 3: commander reads GRAS_SHARD into --shard.
  const program = buildProgram()
  const features = program.commands.find((c) => c.name() === 'features')!
  const previous = process.env.GRAS_SHARD
  process.env.GRAS_SHARD = env.get('GRAS_SHARD').value.replace('$(SHARD_INDEX)', '3')
  try {
    features.action(() => undefined)
    program.parse(['node', 'gras', ...container.args])
    assert.equal(features.opts().shard, '3/4')
  } finally {
    if (previous === undefined) delete process.env.GRAS_SHARD
    else process.env.GRAS_SHARD = previous
  }
  const single = parseManifests(helm(['template', 'gras', chartDir, '--namespace', 'gras']).stdout, 'default').find((o) => o.kind === 'CronJob')!
  assert.equal((single.spec as any).jobTemplate.spec.completionMode, undefined, 'one pod by default')
})
