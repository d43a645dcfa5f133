/**
 * Renders the chart with the subset of Helm its templates may use, since no `helm` binary runs
 * here: value references (.Values.*, .Release.Name/Namespace, .Chart.Name/Version/AppVersion),
 * .Files.Get "path", the functions quote, toYaml, indent N, nindent N, whitespace trimming with
 * {{- and -}}, and raw strings {{`...`}} (how Argo's own {{...}} is escaped). Any other action is
 * an error naming the file and line, and so is a reference to a value that does not exist, where
 * Helm would print "<no value>".
 */
import { readFileSync, readdirSync } from 'node:fs'
import { join } from 'node:path'
import { parse as parseYaml, stringify as stringifyYaml } from 'yaml'

export interface RenderInput {
  chartDir: string
  values: Record<string, unknown>
  release: { name: string; namespace: string }
}

type Scope = { Values: unknown; Release: { Name: string; Namespace: string }; Chart: Record<string, unknown> }

export function loadValues(path: string): Record<string, unknown> {
  return parseYaml(readFileSync(path, 'utf8')) as Record<string, unknown>
}

/** Renders every template under templates/, in name order, as Helm would list them. */
export function renderChart(input: RenderInput): string {
  const chart = parseYaml(readFileSync(join(input.chartDir, 'Chart.yaml'), 'utf8')) as Record<string, unknown>
  const scope: Scope = {
    Values: input.values,
    Release: { Name: input.release.name, Namespace: input.release.namespace },
    Chart: { Name: chart.name, Version: chart.version, AppVersion: chart.appVersion },
  }
  const templates = readdirSync(join(input.chartDir, 'templates')).filter((f) => f.endsWith('.yaml')).sort()
  return templates
    .map((file) => `---\n# Source: ${chart.name}/templates/${file}\n${renderTemplate(readFileSync(join(input.chartDir, 'templates', file), 'utf8'), scope, input.chartDir, file)}`)
    .join('')
}

export function renderTemplate(text: string, scope: Scope, chartDir: string, file: string): string {
  let out = ''
  let position = 0
  while (position < text.length) {
    const open = text.indexOf('{{', position)
    if (open < 0) {
      out += text.slice(position)
      break
    }
    let literal = text.slice(position, open)
    const trimLeft = text[open + 2] === '-'
    if (trimLeft) literal = literal.replace(/\s+$/, '')
    out += literal
    const isRaw = text[open + 2 + (trimLeft ? 1 : 0)] === '`' || text.slice(open + 2).trimStart().startsWith('`')
    let close: number
    let action: string
    if (isRaw) {
      const start = text.indexOf('`', open)
      const end = text.indexOf('`', start + 1)
      close = text.indexOf('}}', end)
      action = text.slice(start, end + 1)
    } else {
      close = text.indexOf('}}', open)
      action = text.slice(open + 2, close)
    }
    if (close < 0) throw new Error(`${file}:${lineOf(text, open)}: unclosed {{`)
    const trimRight = text[close - 1] === '-' && !isRaw
    const expression = action.replace(/^-\s*/, '').replace(/\s*-$/, '').trim()
    out += evaluate(expression, scope, chartDir, `${file}:${lineOf(text, open)}`)
    position = close + 2
    if (trimRight) while (position < text.length && /\s/.test(text[position])) position++
  }
  return out
}

function lineOf(text: string, index: number): number {
  return text.slice(0, index).split('\n').length
}

function evaluate(expression: string, scope: Scope, chartDir: string, where: string): string {
  if (expression.startsWith('`')) {
    if (!expression.endsWith('`')) throw new Error(`${where}: unterminated raw string`)
    return expression.slice(1, -1)
  }
  const stages = expression.split('|').map((s) => s.trim())
  let value = evaluateHead(stages[0], scope, chartDir, where)
  for (const stage of stages.slice(1)) value = applyFunction(stage, value, where)
  if (typeof value === 'object' && value !== null) throw new Error(`${where}: {{ ${expression} }} renders a map or list; use toYaml`)
  return String(value)
}

function evaluateHead(head: string, scope: Scope, chartDir: string, where: string): unknown {
  const files = /^\.Files\.Get\s+"([^"]+)"$/.exec(head)
  if (files) {
    if (files[1].includes('..')) throw new Error(`${where}: .Files.Get outside the chart: ${files[1]}`)
    return readFileSync(join(chartDir, files[1]), 'utf8').replace(/\n$/, '')
  }
  const call = /^(toYaml|quote)\s+(\S+)$/.exec(head)
  if (call) return applyFunction(call[1], lookup(call[2], scope, where), where)
  if (/^\.(Values|Release|Chart)(\.[A-Za-z0-9_]+)+$/.test(head)) return lookup(head, scope, where)
  throw new Error(`${where}: unsupported template action {{ ${head} }} (outside the chart's Helm subset)`)
}

function lookup(path: string, scope: Scope, where: string): unknown {
  if (!/^\.(Values|Release|Chart)(\.[A-Za-z0-9_]+)+$/.test(path)) throw new Error(`${where}: unsupported reference ${path}`)
  let value: unknown = scope
  for (const part of path.slice(1).split('.')) {
    if (typeof value !== 'object' || value === null || !(part in value)) throw new Error(`${where}: ${path} is not set`)
    value = (value as Record<string, unknown>)[part]
  }
  return value
}

function applyFunction(stage: string, value: unknown, where: string): unknown {
  const [name, argument] = stage.split(/\s+/)
  switch (name) {
    case 'quote':
      return JSON.stringify(String(value))
    case 'toYaml':
      return stringifyYaml(value).replace(/\n$/, '')
    case 'indent':
    case 'nindent': {
      const width = Number(argument)
      if (!Number.isInteger(width)) throw new Error(`${where}: ${name} needs a width`)
      const padded = String(value)
        .split('\n')
        .map((line) => ' '.repeat(width) + line)
        .join('\n')
      return name === 'nindent' ? `\n${padded}` : padded
    }
    default:
      throw new Error(`${where}: unsupported function ${name} (outside the chart's Helm subset)`)
  }
}
