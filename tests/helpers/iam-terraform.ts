/**
 * The IAM policies of terraform/ as Terraform would render them, from HashiCorp's HCL parser
 * (@cdktf/hcl2json: the files to JSON, each "${...}" to its expression tree). A small evaluator
 * covers the expression forms our .tf files use (templates, references, tuples, `for`, conditionals, `>`,
 * parentheses, `dynamic` blocks, `length`, `flatten`, `replace`);
 * any other form, block or attribute that could change a policy is an error naming it, never
 * skipped. Values only known after apply (the KMS key's ARN, the EKS OIDC provider) come from the
 * caller; the ARNs of the lake bucket, the tables, roles and policies are built from their
 * configured names, as AWS forms them.
 */
import { readFileSync, readdirSync } from 'node:fs'
import { join } from 'node:path'
import { getExpressionAst, parse } from '@cdktf/hcl2json'
import type { PolicyDocument, PolicyStatement } from './iam-policy.js'

type Block = Record<string, unknown>
type Blocks = Record<string, Block[]>

interface Body {
  variable: Blocks
  locals: Block[]
  module: Blocks
  output: Blocks
  provider: Blocks
  data: Record<string, Blocks>
  resource: Record<string, Blocks>
}

export interface TerraformInputs {
  /** `-var` values; the rest come from the variables' defaults. */
  variables: Record<string, unknown>
  accountId: string
  /** Attributes known only after apply, by address: `aws_kms_key.lake.arn`, `module.eks.oidc_provider_arn`. */
  knownAfterApply: Record<string, unknown>
}

export interface Role {
  name: string
  arn: string
  trust: PolicyDocument
  /** Its inline policies (aws_iam_role_policy). */
  policies: PolicyDocument[]
}

/** An object whose attributes are evaluated when first read (locals, resources, modules). */
class Lazy {
  constructor(
    readonly address: string,
    readonly read: (name: string) => Promise<unknown>,
  ) {}
}

interface Scope {
  each?: { key: string; value: unknown }
  names?: Record<string, unknown>
  where: string
}

type Node = { type: string; meta: Record<string, unknown> & { value?: string }; children: Node[] }

export async function loadTerraform(dir: string, inputs: TerraformInputs): Promise<Terraform> {
  const body: Body = { variable: {}, locals: [], module: {}, output: {}, provider: {}, data: {}, resource: {} }
  for (const file of readdirSync(dir).filter((f) => f.endsWith('.tf')).sort()) {
    const parsed = (await parse(file, readFileSync(join(dir, file), 'utf8'))) as Partial<Body>
    body.locals.push(...(parsed.locals ?? []))
    for (const kind of ['variable', 'module', 'output'] as const) mergeNamed(body[kind], parsed[kind], `${file}: ${kind}`)
    for (const [name, blocks] of Object.entries(parsed.provider ?? {})) (body.provider[name] ??= []).push(...blocks)
    for (const kind of ['data', 'resource'] as const) {
      for (const [type, named] of Object.entries(parsed[kind] ?? {})) mergeNamed((body[kind][type] ??= {}), named, `${file}: ${kind} ${type}`)
    }
  }
  return new Terraform(body, inputs)
}

function mergeNamed(into: Blocks, from: Blocks | undefined, where: string): void {
  for (const [name, blocks] of Object.entries(from ?? {})) {
    if (into[name]) throw new Error(`iam-terraform: ${where} "${name}" is declared twice`)
    into[name] = blocks
  }
}

export class Terraform {
  private readonly cache = new Map<string, Promise<unknown>>()

  constructor(
    private readonly body: Body,
    private readonly inputs: TerraformInputs,
  ) {}

  /** Every aws_iam_role instance by its for_each key (or resource name), with its trust and inline policies. */
  async roles(): Promise<Map<string, Role>> {
    const roles = new Map<string, Role>()
    for (const [name, blocks] of Object.entries(this.body.resource.aws_iam_role ?? {})) {
      const unsupported = Object.keys(blocks[0]).filter((k) => ['inline_policy', 'managed_policy_arns', 'permissions_boundary'].includes(k))
      if (unsupported.length) throw new Error(`iam-terraform: aws_iam_role.${name} sets ${unsupported.join(', ')} (not evaluated)`)
      for (const [key, role] of this.keyed(name, await this.instances('resource', 'aws_iam_role', name, false))) {
        const read = (attr: string) => (role as Lazy).read(attr)
        roles.set(key, { name: String(await read('name')), arn: String(await read('arn')), trust: JSON.parse(String(await read('assume_role_policy'))), policies: [] })
      }
    }
    if (this.body.resource.aws_iam_role_policy_attachment) throw new Error('iam-terraform: aws_iam_role_policy_attachment is not evaluated')
    for (const name of Object.keys(this.body.resource.aws_iam_role_policy ?? {})) {
      for (const [, instance] of this.keyed(name, await this.instances('resource', 'aws_iam_role_policy', name, false))) {
        const roleName = await (instance as Lazy).read('role')
        const role = [...roles.values()].find((r) => r.name === roleName)
        if (!role) throw new Error(`iam-terraform: aws_iam_role_policy.${name} names role ${String(roleName)}, which is not declared`)
        role.policies.push(JSON.parse(String(await (instance as Lazy).read('policy'))))
      }
    }
    return roles
  }

  /** The policy of `resource "aws_iam_policy" "<name>"`. */
  async managedPolicy(name: string): Promise<{ name: string; arn: string; policy: PolicyDocument }> {
    const policy = (await this.instances('resource', 'aws_iam_policy', name, true)) as Lazy
    return { name: String(await policy.read('name')), arn: String(await policy.read('arn')), policy: JSON.parse(String(await policy.read('policy'))) }
  }

  /** `data "aws_iam_policy_document" "<name>"` rendered. */
  async policyDocument(name: string): Promise<PolicyDocument> {
    return JSON.parse(String(await ((await this.instances('data', 'aws_iam_policy_document', name, true)) as Lazy).read('json')))
  }

  async output(name: string): Promise<unknown> {
    const block = this.body.output[name]?.[0]
    if (!block) throw new Error(`iam-terraform: no output "${name}"`)
    return this.evaluate(block.value, { where: `output.${name}` })
  }

  /** A block's instances: keyed by for_each key, or (`single`) the one instance of a block without for_each. */
  private instances(kind: 'data' | 'resource', type: string, name: string, single: boolean): Promise<unknown> {
    const address = `${kind === 'data' ? 'data.' : ''}${type}.${name}`
    return this.once(address, async () => {
      const block = (kind === 'data' ? this.body.data : this.body.resource)[type]?.[name]?.[0]
      if (!block) throw new Error(`iam-terraform: ${address} is not declared`)
      const instance = (each?: Scope['each']) => new Lazy(each ? `${address}["${each.key}"]` : address, (attr) => this.attribute(kind, type, name, block, attr, each))
      if (block.for_each === undefined) return instance()
      if (single) throw new Error(`iam-terraform: ${address} has for_each`)
      const collection = await this.evaluate(block.for_each, { where: `${address}.for_each` })
      const entries = Array.isArray(collection) ? collection.map((k) => [String(k), k] as const) : Object.entries(collection as object)
      return Object.fromEntries(entries.map(([key, value]) => [key, instance({ key, value })]))
    })
  }

  private keyed(name: string, instances: unknown): [string, unknown][] {
    return instances instanceof Lazy ? [[name, instances]] : Object.entries(instances as object)
  }

  private once(key: string, compute: () => Promise<unknown>): Promise<unknown> {
    if (!this.cache.has(key)) this.cache.set(key, compute())
    return this.cache.get(key)!
  }

  private async attribute(kind: 'data' | 'resource', type: string, name: string, block: Block, attr: string, each: Scope['each']): Promise<unknown> {
    const scope: Scope = { each, where: `${type}.${name}${each ? `["${each.key}"]` : ''}.${attr}` }
    const own = async (a: string) => String(await this.evaluate(block[a], { ...scope, where: `${type}.${name}.${a}` }))
    if (kind === 'data' && type === 'aws_iam_policy_document' && attr === 'json') return JSON.stringify(await this.renderPolicyDocument(block, scope))
    if (kind === 'resource' && type === 'aws_iam_role' && (attr === 'id' || attr === 'arn')) {
      if (block.path !== undefined) throw new Error(`iam-terraform: aws_iam_role.${name}.path is not evaluated`)
      const roleName = await own('name')
      return attr === 'id' ? roleName : `arn:aws:iam::${this.inputs.accountId}:role/${roleName}`
    }
    if (kind === 'resource' && type === 'aws_iam_policy' && (attr === 'id' || attr === 'arn')) return `arn:aws:iam::${this.inputs.accountId}:policy/${await own('name')}`
    if (block[attr] !== undefined) return this.evaluate(block[attr], scope)
    return this.known(`${kind === 'data' ? 'data.' : ''}${type}.${name}.${attr}`)
  }

  private known(address: string): unknown {
    if (!(address in this.inputs.knownAfterApply)) throw new Error(`iam-terraform: ${address} is known only after apply; pass it in knownAfterApply`)
    return this.inputs.knownAfterApply[address]
  }

  /** The outputs of the registry modules we use, as their outputs.tf define them (the ARN of the resource they create). */
  private async moduleOutput(name: string, output: string): Promise<unknown> {
    const block = this.body.module[name]?.[0]
    if (!block) throw new Error(`iam-terraform: module.${name} is not declared`)
    const input = async (attr: string) => String(await this.evaluate(block[attr], { where: `module.${name}.${attr}` }))
    // The default provider (no alias) creates the tables.
    const region = async () => String(await this.evaluate(this.body.provider.aws?.find((p) => p.alias === undefined)?.region, { where: 'provider.aws.region' }))
    if (block.source === 'terraform-aws-modules/s3-bucket/aws') {
      if (output === 's3_bucket_arn') return `arn:aws:s3:::${await input('bucket')}`
      if (output === 's3_bucket_id') return input('bucket')
    }
    if (block.source === 'terraform-aws-modules/dynamodb-table/aws') {
      if (output === 'dynamodb_table_arn') return `arn:aws:dynamodb:${await region()}:${this.inputs.accountId}:table/${await input('name')}`
      if (output === 'dynamodb_table_id') return input('name')
    }
    return this.known(`module.${name}.${output}`)
  }

  private async renderPolicyDocument(block: Block, scope: Scope): Promise<PolicyDocument> {
    this.refuseKeys(block, ['statement', 'for_each'], scope)
    const statements: PolicyStatement[] = []
    for (const [statement, inner] of await this.blocks(block, 'statement', scope)) {
      this.refuseKeys(statement, ['sid', 'effect', 'actions', 'resources', 'condition', 'principals'], inner)
      const value = (v: unknown, at = inner) => this.evaluate(v, at)
      const rendered: PolicyStatement = {
        ...(statement.sid !== undefined && { Sid: String(await value(statement.sid)) }),
        Effect: (await value(statement.effect ?? 'Allow')) as 'Allow' | 'Deny',
        Action: (await value(statement.actions ?? [])) as string[],
      }
      if (statement.resources !== undefined) rendered.Resource = (await value(statement.resources)) as string[]
      for (const [principal, at] of await this.blocks(statement, 'principals', inner)) {
        ;(rendered.Principal ??= {})[String(await value(principal.type, at))] = (await value(principal.identifiers, at)) as string[]
      }
      for (const [condition, at] of await this.blocks(statement, 'condition', inner)) {
        const test = String(await value(condition.test, at))
        const variable = String(await value(condition.variable, at))
        const tests = ((rendered.Condition ??= {})[test] ??= {})
        if (tests[variable]) throw new Error(`iam-terraform: ${scope.where}: two ${test} conditions on ${variable}`)
        tests[variable] = (await value(condition.values, at)) as string[]
      }
      statements.push(rendered)
    }
    return { Version: '2012-10-17', Statement: statements }
  }

  /** A block's `kind` sub-blocks, written out and from `dynamic "<kind>"` (its iterator named after the block). */
  private async blocks(block: Block, kind: string, scope: Scope): Promise<[Block, Scope][]> {
    const out: [Block, Scope][] = ((block[kind] ?? []) as Block[]).map((b) => [b, scope])
    for (const spec of ((block.dynamic as Blocks | undefined)?.[kind] ?? []) as Block[]) {
      this.refuseKeys(spec, ['for_each', 'content'], scope)
      const collection = await this.evaluate(spec.for_each, scope)
      const entries = Array.isArray(collection) ? collection.map((v, i) => [i, v] as const) : Object.entries(collection as object)
      for (const [key, value] of entries) out.push([(spec.content as Block[])[0], { ...scope, names: { ...scope.names, [kind]: { key, value } } }])
    }
    return out
  }

  /** Fails on any key but `allowed` (and `dynamic` blocks of allowed kinds): nothing that could change a policy is skipped. */
  private refuseKeys(block: Block, allowed: string[], scope: Scope): void {
    const extra = Object.keys(block).filter((k) => !allowed.includes(k) && k !== 'dynamic')
    extra.push(...Object.keys((block.dynamic as Blocks | undefined) ?? {}).filter((k) => !allowed.includes(k)).map((k) => `dynamic "${k}"`))
    if (extra.length) throw new Error(`iam-terraform: ${scope.where}: ${extra.join(', ')} not evaluated`)
  }

  /** A value of the parsed JSON: literals as they are, "${...}" strings through the expression evaluator. */
  async evaluate(value: unknown, scope: Scope): Promise<unknown> {
    if (typeof value === 'string') {
      if (!value.includes('${')) return value
      // hcl2json gives the template's source text: quoted again, it parses as written (quotes
      // inside ${...} need no escape; a literal part with a quote fails to parse, loudly).
      const ast = (await getExpressionAst(scope.where, `"${value}"`)) as Node | null
      if (!ast) throw new Error(`iam-terraform: ${scope.where}: cannot parse ${value}`)
      return this.evaluateNode(ast, scope)
    }
    if (Array.isArray(value)) return Promise.all(value.map((v) => this.evaluate(v, scope)))
    if (value && typeof value === 'object') {
      const out: Record<string, unknown> = {}
      for (const [k, v] of Object.entries(value)) {
        out[String(await this.evaluate(k, scope))] = await this.evaluate(v, scope)
      }
      return out
    }
    return value
  }

  private async evaluateNode(node: Node, scope: Scope): Promise<unknown> {
    const child = (i: number) => this.evaluateNode(node.children[i], scope)
    switch (node.type) {
      case 'templateWrap':
        return child(0)
      case '':
        // Parentheses: `(expr)` has no type of its own.
        if (node.children.length === 1) return child(0)
        break
      case 'template': {
        const parts = await Promise.all(node.children.map((c) => this.evaluateNode(c, scope)))
        for (const part of parts) if (typeof part !== 'string' && typeof part !== 'number') throw new Error(`iam-terraform: ${scope.where}: ${JSON.stringify(part)} interpolated into ${node.meta.value}`)
        return parts.join('')
      }
      case 'literalValue':
        return node.meta.type === 'number' ? Number(node.meta.value) : node.meta.type === 'bool' ? node.meta.value === 'true' : node.meta.value
      case 'tuple':
        return Promise.all(node.children.map((c) => this.evaluateNode(c, scope)))
      case 'scopeTraversal': {
        const [root, ...rest] = node.meta.traversal as { type: string; segment: string }[]
        return this.traverse(this.root(root.segment, scope), rest, scope)
      }
      case 'relativeTraversal':
        return this.traverse(child(0), node.meta.traversal as { type: string; segment: string }[], scope)
      case 'index':
        return this.step(await child(0), String(await child(1)), scope)
      case 'function':
        return this.call(String(node.meta.name), await Promise.all(node.children.map((c) => this.evaluateNode(c, scope))), scope)
      case 'for':
        return this.evaluateFor(node, scope)
      case 'conditional':
        return (await child(0)) === true ? child(1) : child(2)
      case 'binaryOp': {
        const [lhs, rhs] = [await child(0), await child(1)]
        const compare: Record<string, (a: number, b: number) => boolean> = { greaterThan: (a, b) => a > b, lessThan: (a, b) => a < b }
        if (node.meta.operator === 'equal') return lhs === rhs
        if (compare[String(node.meta.operator)] && typeof lhs === 'number' && typeof rhs === 'number') return compare[String(node.meta.operator)](lhs, rhs)
        throw new Error(`iam-terraform: ${scope.where}: ${node.meta.value} (${String(node.meta.operator)}) is not evaluated`)
      }
    }
    throw new Error(`iam-terraform: ${scope.where}: expression ${node.meta.value} (${node.type}) is not evaluated`)
  }

  private async evaluateFor(node: Node, scope: Scope): Promise<unknown> {
    const meta = node.meta as { keyVar: string; valVar: string; keyExpression: string; conditionalExpression: string; groupedValue: boolean }
    if (meta.conditionalExpression || meta.groupedValue) throw new Error(`iam-terraform: ${scope.where}: ${node.meta.value}: if and grouping are not evaluated`)
    const collection = await this.evaluateNode(node.children[0], scope)
    const entries: [string | number, unknown][] = Array.isArray(collection) ? collection.map((v, i) => [i, v]) : Object.entries(collection as object)
    const results: [unknown, unknown][] = []
    for (const [k, v] of entries) {
      const names = { ...scope.names, [meta.valVar]: v, ...(meta.keyVar && { [meta.keyVar]: k }) }
      const inner = { ...scope, names }
      const key = meta.keyExpression ? await this.evaluateNode(node.children[1], inner) : undefined
      results.push([key, await this.evaluateNode(node.children[meta.keyExpression ? 2 : 1], inner)])
    }
    return meta.keyExpression ? Object.fromEntries(results.map(([k, v]) => [String(k), v])) : results.map(([, v]) => v)
  }

  private call(name: string, args: unknown[], scope: Scope): unknown {
    if (name === 'flatten' && args.length === 1 && Array.isArray(args[0])) return (args[0] as unknown[]).flat(Infinity)
    if (name === 'length' && args.length === 1 && (Array.isArray(args[0]) || typeof args[0] === 'string')) return (args[0] as unknown[]).length
    if (name === 'replace' && args.every((a) => typeof a === 'string') && !String(args[1]).startsWith('/')) return String(args[0]).replaceAll(String(args[1]), String(args[2]))
    throw new Error(`iam-terraform: ${scope.where}: function ${name}(${args.map((a) => JSON.stringify(a)).join(', ')}) is not evaluated`)
  }

  private root(name: string, scope: Scope): unknown {
    if (scope.names && name in scope.names) return scope.names[name]
    switch (name) {
      case 'each':
        if (!scope.each) throw new Error(`iam-terraform: ${scope.where}: each outside for_each`)
        return scope.each
      case 'var':
        return new Lazy('var', async (v) => {
          if (v in this.inputs.variables) return this.inputs.variables[v]
          const declared = this.body.variable[v]?.[0]
          if (!declared) throw new Error(`iam-terraform: ${scope.where}: var.${v} is not declared`)
          if (!('default' in declared)) throw new Error(`iam-terraform: ${scope.where}: var.${v} has no default; pass it`)
          return declared.default
        })
      case 'local':
        return new Lazy('local', (l) =>
          this.once(`local.${l}`, () => {
            const block = this.body.locals.find((b) => l in b)
            if (!block) throw new Error(`iam-terraform: ${scope.where}: local.${l} is not declared`)
            return this.evaluate(block[l], { where: `local.${l}` })
          }),
        )
      case 'module':
        return new Lazy('module', async (m) => new Lazy(`module.${m}`, (output) => this.moduleOutput(m, output)))
      case 'data':
        return new Lazy('data', async (type) => new Lazy(`data.${type}`, (n) => this.instances('data', type, n, false)))
      default:
        if (this.body.resource[name]) return new Lazy(name, (n) => this.instances('resource', name, n, false))
        throw new Error(`iam-terraform: ${scope.where}: unknown reference ${name}`)
    }
  }

  private async traverse(start: unknown, parts: { type: string; segment: string }[], scope: Scope): Promise<unknown> {
    let value = await start
    for (const part of parts) value = await this.step(value, part.type === 'indexTraversal' ? String(JSON.parse(part.segment)) : part.segment, scope)
    return value
  }

  private async step(value: unknown, key: string, scope: Scope): Promise<unknown> {
    if (value instanceof Lazy) return value.read(key)
    if (value && typeof value === 'object' && key in value) return (value as Record<string, unknown>)[key]
    throw new Error(`iam-terraform: ${scope.where}: no ${JSON.stringify(key)} in ${JSON.stringify(value)}`)
  }
}
