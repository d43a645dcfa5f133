/**
 * A document the jobs read back (a manifest, an artifact, model metadata, a checkpoint's state,
 * a registry item) parsed with its schema: one place that turns bytes or a decoded value into a
 * typed value, or into a DataError (65) naming where it came from and the first fields that are wrong.
 */
import { z } from 'zod'
import { DataError } from '../core/errors.js'

const decoder = new TextDecoder()
const shownIssues = 3

/** A number; null reads as NaN, which is how JSON.stringify and our DynamoDB items write NaN and ±Infinity. */
export const numberOrNaN = z.union([z.number(), z.null().transform(() => Number.NaN)], {
  error: (issue) => `Invalid input: expected number or null, received ${Array.isArray(issue.input) ? 'array' : typeof issue.input}`,
})

/** `<source>: <field path>: <what is wrong>` for the first issues of a failed parse, on one line. */
function describeIssues(source: string, error: z.ZodError): string {
  const described = error.issues.slice(0, shownIssues).map((issue) => (issue.path.length > 0 ? `${fieldPath(issue.path)}: ${issue.message}` : issue.message))
  const more = error.issues.length - shownIssues
  return `${source}: ${described.join('; ')}${more > 0 ? `; and ${more} more` : ''}`
}

/** `candidates[2].mase`: the path as it reads in the document. */
function fieldPath(path: readonly PropertyKey[]): string {
  return path.map((part, i) => (typeof part === 'number' ? `[${part}]` : `${i > 0 ? '.' : ''}${String(part)}`)).join('')
}

/** Parses an already decoded value; `source` names it in the error (a lake key, a table and item key). */
export function parseDocument<S extends z.ZodType>(schema: S, value: unknown, source: string): z.output<S> {
  const result = schema.safeParse(value)
  if (!result.success) throw new DataError(describeIssues(source, result.error))
  return result.data
}

/** Parses the JSON bytes stored at lake key `key`. */
export function parseLakeDocument<S extends z.ZodType>(schema: S, bytes: Uint8Array, key: string): z.output<S> {
  let value: unknown
  try {
    value = JSON.parse(decoder.decode(bytes))
  } catch (error) {
    throw new DataError(`${key}: not valid JSON (${(error as Error).message})`)
  }
  return parseDocument(schema, value, key)
}
