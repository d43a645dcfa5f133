/**
 * The bronze column types, as a whitelist: `ts` must be a timestamp and `value` a plain number,
 * and every annotation either form of the metadata carries (converted and logical type) must say
 * the same. Anything else (lists, maps, groups, DATE, TIME, DECIMAL, INTERVAL, JSON, ENUM, a
 * `value` annotated as a timestamp, two columns of one name) is refused with its column named.
 * A metric's dimension columns must be strings or integers, by the same rule.
 */
import type { SchemaElement } from 'hyparquet'

/** The timestamp unit `ts` is stored in. */
export type TimestampUnit = 'MILLIS' | 'MICROS' | 'NANOS'

const integerConverted: Record<string, { bitWidth: number; isSigned: boolean }> = {
  INT_8: { bitWidth: 8, isSigned: true },
  INT_16: { bitWidth: 16, isSigned: true },
  INT_32: { bitWidth: 32, isSigned: true },
  INT_64: { bitWidth: 64, isSigned: true },
  UINT_8: { bitWidth: 8, isSigned: false },
  UINT_16: { bitWidth: 16, isSigned: false },
  UINT_32: { bitWidth: 32, isSigned: false },
  UINT_64: { bitWidth: 64, isSigned: false },
}

export function describeType(element: SchemaElement): string {
  const parts = [element.type ?? 'group']
  if (element.repetition_type === 'REPEATED') parts.unshift('repeated')
  if (element.converted_type) parts.push(element.converted_type)
  const logical = element.logical_type
  if (logical && logical.type !== element.converted_type) {
    const detail = 'unit' in logical ? `(${logical.unit})` : 'bitWidth' in logical ? `(${logical.bitWidth},${logical.isSigned})` : ''
    parts.push(`${logical.type}${detail}`)
  }
  return parts.join('/')
}

function isLeaf(element: SchemaElement): boolean {
  return element.type !== undefined && !element.num_children && element.repetition_type !== 'REPEATED'
}

/** The unit of a timestamp `ts`, or undefined when `element` is not one (or its two annotations disagree). */
export function timestampUnit(element: SchemaElement): TimestampUnit | undefined {
  if (!isLeaf(element)) return undefined
  const logical = element.logical_type
  const converted = element.converted_type
  if (element.type === 'INT96') return !logical && !converted ? 'NANOS' : undefined
  if (element.type !== 'INT64') return undefined
  const fromConverted = converted === 'TIMESTAMP_MILLIS' ? 'MILLIS' : converted === 'TIMESTAMP_MICROS' ? 'MICROS' : undefined
  if (converted && !fromConverted) return undefined
  if (!logical) return fromConverted
  if (logical.type !== 'TIMESTAMP') return undefined
  const unit = logical.unit as TimestampUnit
  if (unit !== 'MILLIS' && unit !== 'MICROS' && unit !== 'NANOS') return undefined
  return fromConverted === undefined || fromConverted === unit ? unit : undefined
}

/** True when `element` is a plain number: DOUBLE or FLOAT unannotated, or an integer with at most integer annotations that agree. */
export function isPlainNumber(element: SchemaElement): boolean {
  if (!isLeaf(element)) return false
  const logical = element.logical_type
  const converted = element.converted_type
  if (element.type === 'DOUBLE' || element.type === 'FLOAT') return !logical && !converted
  if (element.type !== 'INT32' && element.type !== 'INT64') return false
  const physicalBits = element.type === 'INT32' ? 32 : 64
  const fromConverted = converted ? integerConverted[converted] : undefined
  if (converted && !fromConverted) return false
  if (logical && logical.type !== 'INTEGER') return false
  const declared = logical && logical.type === 'INTEGER' ? { bitWidth: logical.bitWidth, isSigned: logical.isSigned } : fromConverted
  if (!declared) return true
  if (fromConverted && (fromConverted.bitWidth !== declared.bitWidth || fromConverted.isSigned !== declared.isSigned)) return false
  return physicalBits === 64 ? declared.bitWidth === 64 : declared.bitWidth <= 32
}

/**
 * True when `element` can hold a dimension: a UTF-8 string (BYTE_ARRAY annotated UTF8 or STRING, in
 * either form or both agreeing) or an integer as `value` takes them (its decimal digits are the
 * value). Unannotated BYTE_ARRAY is refused: nothing says its bytes are text.
 */
export function isDimensionType(element: SchemaElement): boolean {
  if (!isLeaf(element)) return false
  if (element.type === 'INT32' || element.type === 'INT64') return isPlainNumber(element)
  if (element.type !== 'BYTE_ARRAY') return false
  const converted = element.converted_type
  const logical = element.logical_type
  if (converted !== undefined && converted !== 'UTF8') return false
  if (logical !== undefined && logical.type !== 'STRING') return false
  return converted !== undefined || logical !== undefined
}

/**
 * Checks the schema of a bronze file, with the columns of the metric's `dimensions`; returns the
 * unit of `ts`, or the problem naming the column and its type.
 */
export function checkBronzeSchema(topLevel: SchemaElement[], dimensions: readonly string[] = []): { unit: TimestampUnit } | { problem: string } {
  for (const name of ['ts', 'value', ...dimensions]) {
    const count = topLevel.filter((c) => c.name === name).length
    if (count > 1) return { problem: `${count} columns named ${name} (expected one)` }
  }
  const ts = topLevel.find((c) => c.name === 'ts')
  const value = topLevel.find((c) => c.name === 'value')
  const missing = [ts ? undefined : 'ts', value ? undefined : 'value'].filter(Boolean)
  if (missing.length > 0) return { problem: `missing column ${missing.join(' and ')} (found ${topLevel.map((c) => c.name).join(', ') || 'none'})` }
  const unit = timestampUnit(ts!)
  if (!unit) return { problem: `column ts has type ${describeType(ts!)} (expected TIMESTAMP millis, micros or nanos, or INT96)` }
  if (!isPlainNumber(value!)) return { problem: `column value has type ${describeType(value!)} (expected DOUBLE, FLOAT, INT32 or INT64)` }
  for (const name of dimensions) {
    const column = topLevel.find((c) => c.name === name)
    if (!column) return { problem: `missing dimension column ${name} (found ${topLevel.map((c) => c.name).join(', ')})` }
    if (!isDimensionType(column)) return { problem: `dimension column ${name} has type ${describeType(column)} (expected BYTE_ARRAY annotated UTF8/STRING, INT32 or INT64)` }
  }
  return { unit }
}
