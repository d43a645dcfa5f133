/**
 * Evaluates a request against an identity policy the way IAM does for one account: allowed when
 * some Allow statement matches (action, resource and every condition) and no Deny statement does.
 * Actions match case-insensitively, resources and StringLike values case-sensitively, with `*`
 * and `?` wildcards; a condition key the request does not carry fails the condition. Only the
 * policy elements our Terraform uses are supported; anything else is an error, not a guess.
 */
import type { IamRequest } from './iam-requests.js'

export interface PolicyStatement {
  Sid?: string
  Effect: 'Allow' | 'Deny'
  Action: string[]
  /** Absent in a trust policy. */
  Resource?: string[]
  Condition?: Record<string, Record<string, string[]>>
  Principal?: Record<string, string[]>
}

export interface PolicyDocument {
  Version: string
  Statement: PolicyStatement[]
}

/** Which parts of a statement a request used: the action, resource and condition values that matched. */
export interface StatementMatch {
  statement: PolicyStatement
  action: string
  resource: string
  conditionValues: string[]
}

export interface Decision {
  allowed: boolean
  matches: StatementMatch[]
}

function wildcard(pattern: string, caseInsensitive: boolean): RegExp {
  const body = pattern.replace(/[.+^${}()|[\]\\]/g, '\\$&').replaceAll('*', '.*').replaceAll('?', '.')
  return new RegExp(`^${body}$`, caseInsensitive ? 'i' : '')
}

const like = (pattern: string, value: string, caseInsensitive = false) => wildcard(pattern, caseInsensitive).test(value)

/** The values of `statement`'s conditions that `request` satisfied, or undefined if one failed. */
function conditionValues(statement: PolicyStatement, request: IamRequest): string[] | undefined {
  const used: string[] = []
  for (const [operator, keys] of Object.entries(statement.Condition ?? {})) {
    if (operator !== 'StringLike' && operator !== 'StringEquals') throw new Error(`iam-policy: condition operator ${operator} is not supported (statement ${statement.Sid ?? '?'})`)
    for (const [key, values] of Object.entries(keys)) {
      const actual = request.context[key]
      if (actual === undefined) return undefined
      const hit = values.find((v) => (operator === 'StringLike' ? like(v, actual) : v === actual))
      if (hit === undefined) return undefined
      used.push(hit)
    }
  }
  return used
}

function matchStatement(statement: PolicyStatement, request: IamRequest): StatementMatch | undefined {
  const action = statement.Action.find((a) => like(a, request.action, true))
  const resource = (statement.Resource ?? []).find((r) => like(r, request.resource))
  if (!action || !resource) return undefined
  const values = conditionValues(statement, request)
  return values && { statement, action, resource, conditionValues: values }
}

export function evaluate(policies: PolicyDocument[], request: IamRequest): Decision {
  const matches = policies.flatMap((p) => p.Statement).flatMap((s) => matchStatement(s, request) ?? [])
  const denied = matches.some((m) => m.statement.Effect === 'Deny')
  return { allowed: !denied && matches.some((m) => m.statement.Effect === 'Allow'), matches }
}

/** Every action, resource and condition value of `policies` that no match used, as readable lines. */
export function unusedGrants(policies: PolicyDocument[], matches: StatementMatch[]): string[] {
  const unused: string[] = []
  for (const statement of policies.flatMap((p) => p.Statement)) {
    const mine = matches.filter((m) => m.statement === statement)
    const name = statement.Sid ?? JSON.stringify(statement.Action)
    if (mine.length === 0) {
      unused.push(`${name}: no request used the statement`)
      continue
    }
    for (const action of statement.Action) if (!mine.some((m) => m.action === action)) unused.push(`${name}: action ${action}`)
    for (const resource of statement.Resource ?? []) if (!mine.some((m) => m.resource === resource)) unused.push(`${name}: resource ${resource}`)
    for (const keys of Object.values(statement.Condition ?? {})) {
      for (const [key, values] of Object.entries(keys)) {
        for (const value of values) if (!mine.some((m) => m.conditionValues.includes(value))) unused.push(`${name}: condition ${key} ${value}`)
      }
    }
  }
  return unused
}
