/**
 * Argo Workflows' own admission rules (v3.6.7: what `argo submit`, argo-server and the controller
 * check before a workflow runs) and its controller's DAG and retry semantics, applied to every
 * Argo object we ship. Each test names the upstream file and line it follows
 * (github.com/argoproj/argo-workflows at tag v3.6.7). Each rule is also shown to reject a broken
 * copy of our template, so a rule that checks nothing would fail here.
 */
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { readFileSync, readdirSync } from 'node:fs'
import { join } from 'node:path'
import { workflowFromTemplate } from '../../../jobs/core/workflow-spec.js'
import { validateArgo, dependsReferences, type ArgoObject, type Template } from '../../helpers/argo-rules.js'
import { parseManifests } from '../../helpers/k8s-validate.js'
import { repoRoot } from '../../helpers/paths.js'

const load = (path: string) => parseManifests(readFileSync(join(repoRoot, path), 'utf8'), path) as unknown as ArgoObject[]
const renderings = { default: load('charts/gras-forecast/rendered/default.yaml'), production: load('charts/gras-forecast/rendered/production.yaml') }
const workflows = readdirSync(join(repoRoot, 'workflows'))
  .filter((f) => f.endsWith('.yaml'))
  .flatMap((f) => load(`workflows/${f}`))
const installed = renderings.default.filter((o) => o.kind === 'WorkflowTemplate')
const template = installed[0]
const submitted = (entrypoint: string) =>
  workflowFromTemplate({ namespace: 'gras', template: 'gras-pipeline', entrypoint, parameters: { metrics: 'G' }, generateName: `gras-${entrypoint}-` }) as unknown as ArgoObject
const workflow = (entrypoint: string): ArgoObject => ({ kind: 'Workflow', metadata: { generateName: 'w-' }, spec: { workflowTemplateRef: { name: 'gras-pipeline' }, entrypoint } })

/** Our WorkflowTemplate with one change. */
function changed(change: (templates: Map<string, Template>, spec: Record<string, any>) => void): ArgoObject {
  const copy = structuredClone(template)
  const spec = copy.spec as { templates: Template[] }
  change(new Map(spec.templates.map((t) => [t.name, t])), copy.spec)
  return copy
}
const dag = (templates: Map<string, Template>, name: string) => templates.get(name)!.dag!.tasks
const rejects = (object: ArgoObject, message: RegExp, rule: string) => {
  const errors = validateArgo(object, [object])
  assert.ok(
    errors.some((e) => message.test(e) && e.includes(rule)),
    `expected ${message} [${rule}], got ${JSON.stringify(errors)}`,
  )
}

test('every Argo object we ship passes the v3.6.7 admission rules, with the template it references', () => {
  for (const [name, objects] of Object.entries(renderings)) {
    const ours = objects.filter((o) => o.apiVersion?.startsWith('argoproj.io/'))
    assert.equal(ours.length, 4, name)
    for (const object of [...ours, ...workflows, ...['pipeline', 'refresh', 'backtest'].map(submitted)]) {
      assert.deepEqual(validateArgo(object, objects), [], `${name}: ${object.kind} ${object.metadata.name ?? object.metadata.generateName}`)
    }
  }
})

test('validate.go:1351-1353: no continueOn in a DAG that uses depends; every workflow of the template inherits the error (294-305)', () => {
  // The pipeline DAG as it stood before the per-metric branches: Argo refused every workflow.
  const before = changed((t) => {
    t.get('pipeline')!.dag!.tasks = [
      { name: 'features', template: 'features', arguments: { parameters: [{ name: 'metric', value: '{{item}}' }] }, withParam: '{{=toJson(sprig.splitList(",", workflow.parameters.metrics))}}' },
      { name: 'train-neural', depends: 'features', template: 'train-neural', continueOn: { failed: true, error: true } },
      { name: 'train', depends: 'features && (train-neural.Succeeded || train-neural.Failed || train-neural.Errored)', template: 'train', arguments: { parameters: [{ name: 'metric', value: '{{item}}' }] }, withParam: '{{=toJson(sprig.splitList(",", workflow.parameters.metrics))}}' },
    ]
  })
  const rule = 'workflow/validate/validate.go:1351-1353'
  rejects(before, /templates\.pipeline cannot use 'continueOn' when using 'depends'/, rule)
  for (const entrypoint of ['refresh', 'backtest']) {
    const errors = validateArgo(workflow(entrypoint), [before])
    assert.ok(errors.some((e) => e.includes(rule)), `a ${entrypoint} workflow validates all of the template's templates: ${JSON.stringify(errors)}`)
  }
  const noContinueOn = (objects: ArgoObject[]) => objects.flatMap((o) => ((o.spec as { templates?: Template[] }).templates ?? []).flatMap((t) => t.dag?.tasks ?? [])).filter((task) => task.continueOn !== undefined)
  assert.deepEqual(noContinueOn(installed), [])
})

test('validate.go:1372-1377: every name a depends expression reads is a task of the same DAG', () => {
  rejects(
    changed((t) => (taskOf(t, 'pipeline', 'shard').depends = 'plan && (train-nueral.Succeeded || train-nueral.Failed)')),
    /templates\.pipeline\.tasks\.shard dependency 'train-nueral' not defined/,
    'validate.go:1372-1377',
  )
  // A task of another DAG (the branch's features) is not visible from the outer DAG.
  rejects(changed((t) => (taskOf(t, 'pipeline', 'shard').depends = 'plan && monitor')), /dependency 'monitor' not defined/, 'validate.go:1372-1377')
  assert.deepEqual(dependsReferences('a && (b.Succeeded || !c-d.Failed)'), [{ task: 'a' }, { task: 'b', result: 'Succeeded' }, { task: 'c-d', result: 'Failed' }])
})

test('ancestry.go:89-106: a depends result is one Argo knows', () => {
  rejects(changed((t) => (taskOf(t, 'pipeline', 'shard').depends = 'plan && train-neural.Success')), /task result 'Success' for task 'train-neural' is invalid/, 'workflow/common/ancestry.go:89-106')
})

test('validate.go:1377-1381: withParam with depends is allowed, but .AnySucceeded/.AllFailed need a fanned-out dependency', () => {
  // validate.go has no rule against withParam on a task that uses depends (our `shard` task).
  assert.deepEqual(validateArgo(template, installed), [])
  rejects(changed((t) => (taskOf(t, 'pipeline', 'shard').depends = 'plan && train-neural.AnySucceeded')), /dependency 'train-neural' uses an items-based condition/, 'validate.go:1377-1381')
  const onFanOut = changed((t) => dag(t, 'pipeline').push({ name: 'report', template: 'train-neural', depends: 'shard.AnySucceeded || shard.AllFailed' }))
  assert.deepEqual(validateArgo(onFanOut, [onFanOut]), [])
})

test('validate.go:1343-1353: depends and dependencies are not mixed, task names do not start with a digit', () => {
  rejects(changed((t) => (dag(t, 'shard-pipeline')[1].dependencies = ['train'])), /templates\.shard-pipeline cannot use both 'depends' and 'dependencies'/, 'validate.go:1347-1349')
  rejects(changed((t) => (dag(t, 'shard-pipeline')[0].name = '1train')), /name cannot begin with a digit/, 'validate.go:1343-1345')
})

test('validate.go:1386 and 1505-1539: no dependency cycle', () => {
  rejects(changed((t) => (dag(t, 'shard-pipeline')[0].depends = 'infer')), /dependency cycle detected/, 'validate.go:1386')
})

test('validate.go:557-566 and 239-241: the entrypoint and every task template exist', () => {
  rejects(changed((t) => (taskOf(t, 'pipeline', 'shard').template = 'shard-pipline')), /templates\.pipeline\.tasks\.shard template name 'shard-pipline' undefined/, 'validate.go:557-566')
  const errors = validateArgo(workflow('retrain'), installed)
  assert.ok(errors.some((e) => /template name 'retrain' undefined/.test(e)), JSON.stringify(errors))
  for (const entrypoint of ['pipeline', 'refresh', 'backtest']) assert.deepEqual(validateArgo(workflow(entrypoint), installed), [], `entrypoint ${entrypoint}`)
  const noEntrypoint = { ...template, spec: { ...template.spec, entrypoint: undefined } }
  assert.ok(validateArgo({ kind: 'Workflow', metadata: {}, spec: noEntrypoint.spec }).some((e) => e.includes('spec.entrypoint is required')))
})

test('validate.go:674-712, 736-739, 1413-1438: every {{inputs.parameters.x}}, {{workflow.parameters.x}} and {{tasks.x...}} resolves', () => {
  rejects(
    changed((t) => {
      const args = (t.get('train')!.container as { args: string[] }).args
      args[args.indexOf('{{inputs.parameters.shard}}')] = '{{inputs.parameters.shrd}}'
    }),
    /templates\.train: failed to resolve \{\{inputs\.parameters\.shrd\}\}/,
    'validate.go:736-739',
  )
  rejects(
    changed((t) => (dag(t, 'shard-pipeline')[0].arguments!.parameters![0].value = '{{inputs.parameters.shards}}')),
    /templates\.shard-pipeline\.tasks\.train failed to resolve \{\{inputs\.parameters\.shards\}\}/,
    'validate.go:1413-1438',
  )
  rejects(
    changed((t) => (dag(t, 'shard-pipeline')[0].arguments!.parameters![0].value = '{{tasks.infer.outputs.parameters.x}}')),
    /failed to resolve \{\{tasks\.infer\.outputs\.parameters\.x\}\}/,
    'validate.go:1413-1438',
  )
  // A workflow parameter the template does not declare: a WorkflowTemplate alone is let through
  // (validate.go:704, the submitting Workflow may declare it), the Workflow that runs it is not.
  const undeclared = changed((t) => {
    const args = (t.get('infer')!.container as { args: string[] }).args
    args[args.indexOf('{{workflow.parameters.run-id}}')] = '{{workflow.parameters.runid}}'
  })
  assert.deepEqual(validateArgo(undeclared, [undeclared]), [])
  const errors = validateArgo(workflow('refresh'), [undeclared])
  assert.ok(errors.some((e) => e.includes('failed to resolve {{workflow.parameters.runid}}') && e.includes('validate.go:736-739')), JSON.stringify(errors))
})

test('util.go:165-168 (from validate.go:1447-1451): every task supplies its template\'s inputs', () => {
  rejects(changed((t) => delete dag(t, 'shard-refresh')[1].arguments), /templates\.shard-refresh\.tasks\.infer inputs\.parameters\.shard was not supplied/, 'workflow/common/util.go:165-168')
  rejects(changed((t) => delete taskOf(t, 'pipeline', 'shard').arguments), /templates\.pipeline\.tasks\.shard inputs\.parameters\.shard was not supplied/, 'workflow/common/util.go:165-168')
})

test('validate.go:582-590, 724-728, 850-852: retry policies are Argo\'s, deadlines on leaves, parallelism on DAGs', () => {
  rejects(changed((t) => (t.get('infer')!.retryStrategy!.retryPolicy = 'OnSpotLoss')), /OnSpotLoss is not a valid RetryPolicy/, 'validate.go:582-590')
  rejects(changed((t) => (t.get('pipeline')!.activeDeadlineSeconds = 60)), /templates\.pipeline\.activeDeadlineSeconds is only valid for leaf templates/, 'validate.go:724-728')
  rejects(changed((t) => (t.get('infer')!.parallelism = 2)), /templates\.infer\.parallelism is only valid for steps and dag templates/, 'validate.go:850-852')
})

/**
 * Where retries sit. The controller merges spec.templateDefaults into every template it runs, DAGs
 * included (operator.go:1950-1951, mergedTemplateDefaultsInto at 4105-4126); any template with a
 * retryStrategy gets a Retry node that reruns the whole template (2104-2106), and
 * spec.retryStrategy applies to every template without its own (3961-3966). So a retry in
 * templateDefaults or on a DAG reruns the whole branch, GPU step included: retries belong on the
 * container templates only.
 */
function retryPlacement(object: ArgoObject): string[] {
  const spec = object.spec as { templates: Template[]; templateDefaults?: { retryStrategy?: unknown }; retryStrategy?: unknown }
  const errors: string[] = []
  if (spec.retryStrategy) errors.push('spec.retryStrategy applies to every template (operator.go:3961-3966)')
  if (spec.templateDefaults?.retryStrategy) errors.push('templateDefaults.retryStrategy is merged into the DAG templates too (operator.go:1950-1951, 4105-4126)')
  for (const t of spec.templates) {
    if ((t.dag || t.steps) && t.retryStrategy) errors.push(`templates.${t.name}: a retryStrategy on a DAG reruns all its children (operator.go:2104-2106)`)
    if (t.container && !t.retryStrategy) errors.push(`templates.${t.name}: a pod without retries is not retried after spot loss`)
  }
  return errors
}

test('operator.go:1950-1951, 2104-2106, 3961-3966, 4105-4126: retries on the container templates only', () => {
  for (const objects of Object.values(renderings)) for (const t of objects.filter((o) => o.kind === 'WorkflowTemplate')) assert.deepEqual(retryPlacement(t), [])
  const retry = structuredClone((template.spec as { templates: Template[] }).templates.find((t) => t.name === 'infer')!.retryStrategy)
  const inDefaults = changed((t, spec) => {
    for (const tmpl of t.values()) delete tmpl.retryStrategy
    spec.templateDefaults.retryStrategy = retry
  })
  assert.match(retryPlacement(inDefaults).join('\n'), /templateDefaults\.retryStrategy is merged into the DAG templates/)
  assert.match(retryPlacement(changed((t) => (t.get('shard-pipeline')!.retryStrategy = retry))).join('\n'), /templates\.shard-pipeline: a retryStrategy on a DAG/)
  assert.match(retryPlacement(changed((t) => delete t.get('monitor')!.retryStrategy)).join('\n'), /templates\.monitor: a pod without retries/)
})

/**
 * Per-shard independence. A task waits until every task its depends names is fulfilled; for a
 * fanned-out task that is its TaskGroup, so every item (dag.go:853-857), and the group's phase is
 * Failed or Error as soon as one item's is (dag.go:630-642). So a task may wait for a fan-out (the
 * pipeline's train fan-out waits for the features fan-out) only if its depends holds whatever the
 * items' outcomes: evaluated here as the controller does (dag.go:845-902: results from the node's
 * phase, AnySucceeded and AllFailed from the items'; a bare name is `(x.Succeeded || x.Skipped ||
 * x.Daemoned)`, common/ancestry.go:123-137), every other dependency Succeeded. And a DAG with
 * failFast unset stops at the first failed branch (dag.go:195, 213-219; types.go:3172-3179), so
 * failFast is false.
 */
type Phase = 'Succeeded' | 'Failed' | 'Error'
const itemOutcomes: Phase[][] = [['Succeeded', 'Succeeded'], ['Succeeded', 'Failed'], ['Failed', 'Failed'], ['Error', 'Succeeded'], ['Failed', 'Error']]

/** Whether `depends` lets its task run when the tasks named have these items' phases (a task not named: Succeeded). */
/** The task `name` of DAG template `template` (by name: tasks are added over time). */
function taskOf(templates: Map<string, Template>, template: string, name: string): NonNullable<Template['dag']>['tasks'][number] {
  const task = dag(templates, template).find((t) => t.name === name)
  assert.ok(task, `${template} has a task ${name}`)
  return task
}

function dependsHolds(depends: string, items: ReadonlyMap<string, Phase[]>): boolean {
  const result = (task: string, name: string): boolean => {
    const phases = items.get(task) ?? ['Succeeded']
    // dag.go:630-642: the group's phase is the last failed or errored item's, else Succeeded.
    const phase = phases.reduce<Phase>((group, p) => (p === 'Failed' || p === 'Error' ? p : group), 'Succeeded')
    const results: Record<string, boolean> = {
      Succeeded: phase === 'Succeeded', Failed: phase === 'Failed', Errored: phase === 'Error', Skipped: false, Omitted: false, Daemoned: false,
      AnySucceeded: phases.includes('Succeeded'), AllFailed: phases.every((p) => p === 'Failed'),
    }
    return results[name]
  }
  const js = depends
    .split(/(\s*(?:&&|\|\||!|\(|\))\s*)/)
    .map((token) => {
      const term = token.trim()
      if (!term || ['&&', '||', '!', '(', ')'].includes(term)) return token
      const ref = dependsReferences(term)[0]
      return ref.result ? JSON.stringify(result(ref.task, ref.result)) : `(${['Succeeded', 'Skipped', 'Daemoned'].map((r) => result(ref.task, r)).join(' || ')})`
    })
    .join('')
  return new Function(`return ${js}`)() as boolean
}

function independence(object: ArgoObject): string[] {
  const errors: string[] = []
  for (const t of (object.spec as { templates: Template[] }).templates) {
    const tasks = t.dag?.tasks ?? []
    const fanned = new Set(tasks.filter((task) => task.withParam || task.withItems).map((task) => task.name))
    if (fanned.size === 0) continue
    if (t.dag!.failFast !== false) errors.push(`templates.${t.name}: failFast is not false, so one failed shard stops the others (dag.go:195, 213-219)`)
    const templates = new Map((object.spec as { templates: Template[] }).templates.map((x) => [x.name, x]))
    const dependedOn = new Set(tasks.flatMap((task) => dependsReferences(task.depends ?? '').map((ref) => ref.task)))
    // A leaf that runs nothing (a suspend) only carries a fan-out's phase to the DAG: waiting is its job.
    const carriesPhase = (task: (typeof tasks)[number]) => !dependedOn.has(task.name) && templates.get(task.template ?? '')?.suspend !== undefined
    for (const name of fanned) {
      if (!dependedOn.has(name)) continue
      // assessDAGPhase (dag.go:130-219) looks at leaves only, an Omitted one taking its branch's phase:
      // a fan-out that is not a leaf fails the DAG only through a leaf that does not run after it failed.
      const failing = new Map([[name, ['Succeeded', 'Failed'] as Phase[]]])
      const leaves = tasks.filter((task) => !dependedOn.has(task.name) && dependsReferences(task.depends ?? '').some((ref) => ref.task === name))
      if (!leaves.some((leaf) => !dependsHolds(leaf.depends!, failing))) errors.push(`templates.${t.name}: a failed item of ${name} fails no leaf, so the workflow Succeeds (dag.go:130-219)`)
    }
    for (const task of tasks) {
      if (carriesPhase(task)) continue
      for (const ref of dependsReferences(task.depends ?? '')) {
        if (!fanned.has(ref.task)) continue
        const stopped = itemOutcomes.find((outcomes) => !dependsHolds(task.depends!, new Map([[ref.task, outcomes]])))
        if (stopped) errors.push(`templates.${t.name}.tasks.${task.name} waits for every item of ${ref.task} and does not run when they end ${stopped.join(', ')} (dag.go:630-642, 845-902)`)
      }
    }
  }
  return errors
}

test('dag.go:195, 213-219, 630-642, 845-902: no shard waits on another shard\'s outcome, a failed shard fails only its branch', () => {
  for (const objects of Object.values(renderings)) for (const t of objects.filter((o) => o.kind === 'WorkflowTemplate')) assert.deepEqual(independence(t), [])
  // The evaluator reads the expressions as the controller does.
  assert.equal(dependsHolds('plan && train', new Map([['train', ['Succeeded', 'Failed']]])), false)
  assert.equal(dependsHolds('plan && (train.Succeeded || train.Failed || train.Errored)', new Map([['train', ['Error', 'Failed']]])), true)
  assert.equal(dependsHolds('train.AnySucceeded', new Map([['train', ['Failed', 'Failed']]])), false)
  // Before: infer `depends: train` over the expanded train task, in a failFast DAG.
  const before = changed((t) => {
    t.get('pipeline')!.dag = {
      tasks: [
        { name: 'train', template: 'train', arguments: { parameters: [{ name: 'metric', value: '{{item}}' }] }, withParam: '["G"]' },
        { name: 'infer', depends: 'train', template: 'infer', arguments: { parameters: [{ name: 'metric', value: '{{item}}' }] }, withParam: '["G"]' },
      ],
    }
  })
  const errors = independence(before).join('\n')
  assert.match(errors, /templates\.pipeline\.tasks\.infer waits for every item of train and does not run when they end Succeeded, Failed/)
  assert.match(errors, /templates\.pipeline: failFast is not false/)
  // The train fan-out after the features fan-out: a bare `features` stops every shard's training for one failed features shard.
  const bare = changed((t) => (taskOf(t, 'pipeline', 'shard').depends = 'plan && features && (train-neural.Succeeded || train-neural.Failed || train-neural.Errored)'))
  assert.match(independence(bare).join('\n'), /templates\.pipeline\.tasks\.shard waits for every item of features and does not run when they end Succeeded, Failed/)
  const noErrored = changed((t) => (taskOf(t, 'pipeline', 'shard').depends = 'plan && (features.Succeeded || features.Failed) && (train-neural.Succeeded || train-neural.Failed || train-neural.Errored)'))
  assert.match(independence(noErrored).join('\n'), /tasks\.shard waits for every item of features and does not run when they end Error, Succeeded/)
  // Without the features-done leaf, a failed features shard leaves every leaf Succeeded: so the workflow.
  const noLeaf = changed((t) => (t.get('pipeline')!.dag!.tasks = dag(t, 'pipeline').filter((task) => task.name !== 'features-done')))
  assert.match(independence(noLeaf).join('\n'), /templates\.pipeline: a failed item of features fails no leaf, so the workflow Succeeds/)
})

test('validate.go:1069-1072 and workflow_types.go:3142-3144: the fan-out reads the plan step\'s stdout, which only a container step has, and only once it ran', () => {
  for (const entrypoint of ['pipeline', 'refresh', 'backtest']) {
    const fanOut = dag(new Map((template.spec as { templates: Template[] }).templates.map((t) => [t.name, t])), entrypoint).find((task) => task.withParam)!
    assert.equal(fanOut.withParam, '{{tasks.plan.outputs.result}}', entrypoint)
    assert.match(fanOut.depends ?? '', /\bplan\b/, `${entrypoint}: the fan-out waits for the plan`)
  }
  // Without the dependency, the plan's result is not in scope of the fan-out.
  rejects(changed((t) => (dag(t, 'refresh')[1].depends = undefined)), /templates\.refresh\.tasks\.shard failed to resolve \{\{tasks\.plan\.outputs\.result\}\}/, 'validate.go:1413-1438')
  // A DAG has no stdout: a plan step that is one gives no result to fan out over.
  const planAsDag = changed((t) => {
    t.get('plan')!.dag = { tasks: [{ name: 'inner', template: 'infer', arguments: { parameters: [{ name: 'shard', value: '0/1' }, { name: 'plan', value: 'latest' }] } }] }
    delete t.get('plan')!.container
    delete t.get('plan')!.retryStrategy
  })
  rejects(planAsDag, /tasks\.shard failed to resolve \{\{tasks\.plan\.outputs\.result\}\}/, 'validate.go:1413-1438')
})

test('the CronWorkflows run as Workflows (validate.go:398-402) with a declared entrypoint and parameters', () => {
  for (const cron of renderings.production.filter((o) => o.kind === 'CronWorkflow')) {
    const spec = cron.spec.workflowSpec as { entrypoint: string; arguments?: { parameters: { name: string }[] } }
    const declared = ((template.spec as { arguments: { parameters: { name: string }[] } }).arguments.parameters ?? []).map((p) => p.name)
    for (const p of spec.arguments?.parameters ?? []) assert.ok(declared.includes(p.name), `${cron.metadata.name} passes ${p.name}`)
    assert.deepEqual(validateArgo(cron, installed), [], cron.metadata.name)
    const renamed = validateArgo({ ...cron, spec: { ...cron.spec, workflowSpec: { ...spec, entrypoint: 'nightly' } } }, installed)
    assert.ok(renamed.some((e) => e.includes("template name 'nightly' undefined")), JSON.stringify(renamed))
  }
})
