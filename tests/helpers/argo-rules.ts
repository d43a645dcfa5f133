/**
 * The checks Argo Workflows v3.6.7 makes when a Workflow, WorkflowTemplate or CronWorkflow is
 * created or submitted (workflow/validate/validate.go), for the template features this project
 * uses: DAGs with `depends`, withParam fan-out, container templates, parameters. Written from
 * reading the upstream source; each check names the file and line it follows (at tag v3.6.7, see
 * tests/fixtures/argo/PROVENANCE.md). Returns every violation, worded as Argo words it.
 */

export const upstream = {
  entrypoint: 'workflow/validate/validate.go:239-241',
  templateUndefined: 'workflow/validate/validate.go:557-566',
  allTemplatesOfRef: 'workflow/validate/validate.go:294-305',
  templatesWithRef: 'workflow/validate/validate.go:326-329',
  globalParameters: 'workflow/validate/validate.go:176-205',
  cronAsWorkflow: 'workflow/validate/validate.go:398-402',
  templateAlone: 'workflow/validate/validate.go:334-349',
  retryPolicy: 'workflow/validate/validate.go:582-590',
  inputsScope: 'workflow/validate/validate.go:614-630',
  resolveVariables: 'workflow/validate/validate.go:674-712',
  variablePrefixes: 'workflow/common/common.go:268',
  nonLeafDeadline: 'workflow/validate/validate.go:724-728',
  leafVariables: 'workflow/validate/validate.go:736-739',
  leafParallelism: 'workflow/validate/validate.go:850-852',
  argumentValue: 'workflow/validate/validate.go:879-886',
  itemsOneOf: 'workflow/validate/validate.go:1012-1025',
  dagDigit: 'workflow/validate/validate.go:1343-1345',
  dagDependsAndDependencies: 'workflow/validate/validate.go:1347-1349',
  dagContinueOnWithDepends: 'workflow/validate/validate.go:1351-1353',
  dagTaskResults: 'workflow/validate/validate.go:1367 -> workflow/common/ancestry.go:89-106',
  dagDependencyDefined: 'workflow/validate/validate.go:1372-1377',
  dagItemsCondition: 'workflow/validate/validate.go:1377-1381',
  dagCycles: 'workflow/validate/validate.go:1386 -> 1505-1539',
  dagTaskVariables: 'workflow/validate/validate.go:1413-1438',
  dagArgumentDependency: 'workflow/validate/validate.go:1443-1446 -> 1457-1487',
  inputSupplied: 'workflow/validate/validate.go:1447-1451 -> workflow/common/util.go:165-168',
  expressionsSkipped: 'util/template/validate.go:14-16',
  outputResult: 'workflow/validate/validate.go:1069-1072 (addOutputsToScope) -> pkg/apis/workflow/v1alpha1/workflow_types.go:3142-3144 (HasOutput)',
} as const

export interface Parameter {
  name: string
  value?: unknown
  default?: unknown
  valueFrom?: unknown
}
export interface DagTask {
  name: string
  template?: string
  templateRef?: unknown
  depends?: string
  dependencies?: string[]
  continueOn?: unknown
  withParam?: string
  withItems?: unknown[]
  withSequence?: unknown
  arguments?: { parameters?: Parameter[] }
  [key: string]: unknown
}
export interface Template {
  name: string
  inputs?: { parameters?: Parameter[] }
  outputs?: { parameters?: { name: string }[] }
  dag?: { tasks: DagTask[]; target?: string; failFast?: boolean }
  steps?: unknown
  container?: unknown
  script?: unknown
  resource?: unknown
  suspend?: unknown
  retryStrategy?: { retryPolicy?: string; [key: string]: unknown }
  activeDeadlineSeconds?: unknown
  parallelism?: unknown
  [key: string]: unknown
}
function hasOutput(template: Template): boolean {
  const containerSet = template.containerSet as { containers?: { name?: string }[] } | undefined
  return Boolean(template.container || template.script || template.data || template.http || template.plugin || containerSet?.containers?.some((c) => c.name === 'main'))
}

export interface WorkflowSpec {
  entrypoint?: string
  templates?: Template[]
  arguments?: { parameters?: Parameter[] }
  workflowTemplateRef?: { name: string; clusterScope?: boolean }
  templateDefaults?: Record<string, unknown>
  retryStrategy?: unknown
  [key: string]: unknown
}
export interface ArgoObject {
  apiVersion?: string
  kind: string
  metadata: { name?: string; generateName?: string }
  spec: Record<string, unknown>
}

const taskResults = ['Succeeded', 'Failed', 'Skipped', 'Omitted', 'Errored', 'Daemoned', 'AnySucceeded', 'AllFailed']
const itemsResults = new Set(['AnySucceeded', 'AllFailed'])
const validPolicies = new Set(['Always', 'OnError', 'OnFailure', 'OnTransientError', ''])
const checkedPrefixes = ['item.', 'steps.', 'inputs.', 'outputs.', 'pod.', 'workflow.', 'tasks.']
const allowedUnresolved = ['outputs.', 'workflow.creationTimestamp', 'workflow.scheduledTime', 'workflow.duration', 'tasks.name', 'steps.name', 'node.name']
const leafKinds = ['container', 'script', 'resource', 'suspend', 'containerSet', 'data', 'http', 'plugin'] as const

/** The task names a `depends` expression reads, each with the result it asks for (undefined: the bare name). */
export function dependsReferences(depends: string): { task: string; result?: string }[] {
  const refs: { task: string; result?: string }[] = []
  for (const token of depends.split(/\s*(?:&&|\|\||!|\(|\))\s*/)) {
    const term = token.trim()
    if (!term) continue
    const dot = term.lastIndexOf('.')
    refs.push(dot > 0 && /^[A-Z]/.test(term.slice(dot + 1)) ? { task: term.slice(0, dot), result: term.slice(dot + 1) } : { task: term })
  }
  return refs
}

/** Every `{{tag}}` in a JSON-serialised value, expression tags (`{{=...}}`) excluded as Argo excludes them. */
function tags(value: unknown): string[] {
  const text = JSON.stringify(value)
  return [...text.matchAll(/\{\{(.*?)\}\}/g)].map((m) => m[1].trim()).filter((tag) => !tag.startsWith('='))
}

function resolves(tag: string, scope: Set<string>, globals: Set<string>, templateAlone: boolean, anyItem: boolean): boolean {
  if (!checkedPrefixes.some((p) => tag.startsWith(p))) return true
  if (scope.has(tag) || globals.has(tag)) return true
  if ((tag === 'item' || tag.startsWith('item.')) && anyItem) return true
  if (allowedUnresolved.some((p) => tag.startsWith(p))) return true
  return tag.startsWith('workflow.parameters') && templateAlone
}

function templateType(t: Template): string | undefined {
  if (t.dag) return 'dag'
  if (t.steps) return 'steps'
  return leafKinds.find((k) => t[k] !== undefined)
}

interface Context {
  templates: Map<string, Template>
  globals: Set<string>
  templateAlone: boolean
  errors: string[]
  validated: Set<string>
}

function fail(ctx: Context, message: string, rule: string): void {
  ctx.errors.push(`${message} [${rule}]`)
}

/** The template a task or entrypoint names; records Argo's error when it does not exist. */
function resolveTemplate(ctx: Context, name: string | undefined, where: string): Template | undefined {
  const template = name ? ctx.templates.get(name) : undefined
  if (!template) fail(ctx, `${where}template name '${name}' undefined`, upstream.templateUndefined)
  else if (template.retryStrategy && !validPolicies.has(template.retryStrategy.retryPolicy ?? '')) fail(ctx, `${template.retryStrategy.retryPolicy} is not a valid RetryPolicy`, upstream.retryPolicy)
  return template
}

function validateTemplate(ctx: Context, template: Template): void {
  if (ctx.validated.has(template.name)) return
  ctx.validated.add(template.name)
  const scope = new Set((template.inputs?.parameters ?? []).map((p) => `inputs.parameters.${p.name}`))
  if (scope.size > 0) scope.add('inputs.parameters')
  const type = templateType(template)
  if (type !== 'dag' && type !== 'steps') scope.add('pod.name')
  if (template.retryStrategy) for (const v of ['retries', 'retries.lastExitCode', 'retries.lastStatus', 'retries.lastDuration', 'retries.lastMessage']) scope.add(v)
  if (type === 'dag') return validateDag(ctx, template, scope)
  if (type === 'steps') return
  for (const tag of tags(template)) if (!resolves(tag, scope, ctx.globals, ctx.templateAlone, false)) fail(ctx, `templates.${template.name}: failed to resolve {{${tag}}}`, upstream.leafVariables)
  if (template.parallelism !== undefined) fail(ctx, `templates.${template.name}.parallelism is only valid for steps and dag templates`, upstream.leafParallelism)
}

function validateDag(ctx: Context, template: Template, scope: Set<string>): void {
  const where = `templates.${template.name}`
  if (template.activeDeadlineSeconds !== undefined) fail(ctx, `${where}.activeDeadlineSeconds is only valid for leaf templates`, upstream.nonLeafDeadline)
  const tasks = template.dag!.tasks
  const byName = new Map(tasks.map((t) => [t.name, t]))
  const usingDepends = tasks.some((t) => t.depends)
  const dependencies = (t: DagTask) => (t.depends ? dependsReferences(t.depends) : (t.dependencies ?? []).map((task) => ({ task, result: undefined as string | undefined })))
  for (const task of tasks) {
    if ((usingDepends || task.dependencies?.length) && /^[0-9]/.test(task.name)) fail(ctx, `${where}.tasks.${task.name} name cannot begin with a digit when using either 'depends' or 'dependencies'`, upstream.dagDigit)
    if (usingDepends && task.dependencies?.length) fail(ctx, `${where} cannot use both 'depends' and 'dependencies' in the same DAG template`, upstream.dagDependsAndDependencies)
    if (usingDepends && task.continueOn !== undefined) fail(ctx, `${where} cannot use 'continueOn' when using 'depends'. Instead use 'dep-task.Failed'/'dep-task.Errored'`, upstream.dagContinueOnWithDepends)
    const resolved = resolveTemplate(ctx, task.template, `${where}.tasks.${task.name} `)
    if (resolved) validateTemplate(ctx, resolved)
    for (const ref of task.depends ? dependsReferences(task.depends) : []) {
      if (ref.result !== undefined && !taskResults.includes(ref.result)) fail(ctx, `${where}.tasks.${task.name} task result '${ref.result}' for task '${ref.task}' is invalid`, upstream.dagTaskResults)
    }
    for (const ref of dependencies(task)) {
      const dep = byName.get(ref.task)
      if (!dep) fail(ctx, `${where}.tasks.${task.name} dependency '${ref.task}' not defined`, upstream.dagDependencyDefined)
      else if (ref.result && itemsResults.has(ref.result) && !dep.withItems?.length && !dep.withParam && dep.withSequence === undefined)
        fail(ctx, `${where}.tasks.${task.name} dependency '${ref.task}' uses an items-based condition such as .AnySucceeded or .AllFailed but does not contain any items`, upstream.dagItemsCondition)
    }
  }
  const ancestors = (name: string, seen = new Set<string>()): Set<string> => {
    for (const ref of dependencies(byName.get(name)!)) {
      if (!byName.has(ref.task) || seen.has(ref.task)) continue
      seen.add(ref.task)
      ancestors(ref.task, seen)
    }
    return seen
  }
  for (const task of tasks) {
    if (ancestors(task.name).has(task.name)) fail(ctx, `${where}.tasks dependency cycle detected through ${task.name}`, upstream.dagCycles)
  }
  for (const task of tasks) scope.add(`tasks.${task.name}.id`).add(`tasks.${task.name}.startedAt`).add(`tasks.${task.name}.finishedAt`).add(`tasks.${task.name}.hostNodeName`)
  for (const task of tasks) {
    const taskScope = new Set(scope)
    const lineage = ancestors(task.name)
    for (const name of lineage) {
      taskScope.add(`tasks.${name}.status`)
      const ancestor = byName.get(name)!
      const ancestorTemplate = ctx.templates.get(ancestor.template ?? '')
      for (const out of ancestorTemplate?.outputs?.parameters ?? []) taskScope.add(`tasks.${name}.outputs.parameters.${out.name}`)
      // upstream.outputResult: a template that runs a main container (container, containerSet, script, data, http, plugin) has a result.
      if (ancestorTemplate && hasOutput(ancestorTemplate)) taskScope.add(`tasks.${name}.outputs.result`).add(`tasks.${name}.exitCode`)
      if (ancestor.withParam || ancestor.withItems?.length) taskScope.add(`tasks.${name}.outputs.parameters`)
    }
    const fanOuts = [task.withItems?.length, task.withParam, task.withSequence].filter(Boolean).length
    if (fanOuts > 1) fail(ctx, `${where}.tasks.${task.name} only one of withItems, withParam, withSequence can be specified`, upstream.itemsOneOf)
    if (fanOuts > 0) taskScope.add('item')
    for (const tag of tags(task)) if (!resolves(tag, taskScope, ctx.globals, ctx.templateAlone, Boolean(task.withParam))) fail(ctx, `${where}.tasks.${task.name} failed to resolve {{${tag}}}`, upstream.dagTaskVariables)
    for (const p of task.arguments?.parameters ?? []) {
      if (p.value === undefined && p.valueFrom === undefined) fail(ctx, `${where}.tasks.${task.name}.arguments.${p.name}.value or ${where}.tasks.${task.name}.arguments.${p.name}.valueFrom is required`, upstream.argumentValue)
      for (const tag of tags(p)) {
        const refTask = /^tasks\.([^.]+)\./.exec(tag)?.[1]
        if (refTask && !lineage.has(refTask)) fail(ctx, `${where}.tasks.${task.name} missing dependency '${refTask}' for parameter '${p.name}'`, upstream.dagArgumentDependency)
      }
    }
    const target = ctx.templates.get(task.template ?? '')
    for (const input of target?.inputs?.parameters ?? []) {
      const supplied = task.arguments?.parameters?.some((p) => p.name === input.name)
      if (!supplied && input.value === undefined && input.default === undefined && input.valueFrom === undefined) fail(ctx, `${where}.tasks.${task.name} inputs.parameters.${input.name} was not supplied`, upstream.inputSupplied)
    }
  }
}

/**
 * Validates an Argo object as the controller and argo-server do: a WorkflowTemplate on its own
 * (workflow.parameters may come from the submitting Workflow), a Workflow or CronWorkflow with
 * the WorkflowTemplate it references, whose templates are then all validated.
 */
export function validateArgo(object: ArgoObject, installed: ArgoObject[] = []): string[] {
  const templateAlone = object.kind === 'WorkflowTemplate'
  const spec = (object.kind === 'CronWorkflow' ? object.spec.workflowSpec : object.spec) as WorkflowSpec
  const ctx: Context = { templates: new Map(), globals: new Set(['workflow.name', 'workflow.namespace', 'workflow.mainEntrypoint', 'workflow.serviceAccountName', 'workflow.uid', 'workflow.status']), templateAlone, errors: [], validated: new Set() }
  let templates = spec.templates ?? []
  let parameters = spec.arguments?.parameters ?? []
  let entrypoint = spec.entrypoint
  if (spec.workflowTemplateRef) {
    if (spec.templates?.length) fail(ctx, 'Templates is invalid field in spec if workflow referred WorkflowTemplate reference', upstream.templatesWithRef)
    const ref = installed.find((o) => o.kind === 'WorkflowTemplate' && o.metadata.name === spec.workflowTemplateRef!.name)
    if (!ref) return [...ctx.errors, `workflowtemplates.argoproj.io "${spec.workflowTemplateRef.name}" not found`]
    const refSpec = ref.spec as WorkflowSpec
    templates = refSpec.templates ?? []
    const names = new Set(parameters.map((p) => p.name))
    parameters = [...parameters, ...(refSpec.arguments?.parameters ?? []).filter((p) => !names.has(p.name))]
    entrypoint ||= refSpec.entrypoint
  }
  for (const p of parameters) ctx.globals.add(`workflow.parameters.${p.name}`)
  ctx.templates = new Map(templates.map((t) => [t.name, t]))
  if (!entrypoint && !templateAlone) fail(ctx, 'spec.entrypoint is required', upstream.entrypoint)
  if (entrypoint) {
    const main = resolveTemplate(ctx, entrypoint, '')
    if (main) validateTemplate(ctx, main)
  }
  for (const t of templates) validateTemplate(ctx, t)
  return ctx.errors
}
