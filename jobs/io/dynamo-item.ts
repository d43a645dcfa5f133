/**
 * DynamoDB items read back: unmarshalled from attribute values to plain values, then parsed with
 * their schema (lake-document.ts), so a malformed item is a DataError naming its table and key.
 */
import type { AttributeValue } from '@aws-sdk/client-dynamodb'
import type { z } from 'zod'
import { parseDocument } from './lake-document.js'

/** The attribute types our tables hold: S, N, BOOL, NULL, L, M; any other stays as DynamoDB sent it, for the schema to refuse. */
function unmarshallValue(value: AttributeValue): unknown {
  if (value.S !== undefined) return value.S
  if (value.N !== undefined) return Number(value.N)
  if (value.BOOL !== undefined) return value.BOOL
  if (value.NULL !== undefined) return null
  if (value.L !== undefined) return value.L.map(unmarshallValue)
  if (value.M !== undefined) return unmarshallItem(value.M)
  return value
}

export function unmarshallItem(item: Record<string, AttributeValue>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(item).map(([name, value]) => [name, unmarshallValue(value)]))
}

/** Parses `item` of `table`; `key` is its key as plain strings (`{ metric_id: 'G', version: 'v1' }`), for the message. */
export function parseDynamoItem<S extends z.ZodType>(schema: S, item: Record<string, AttributeValue>, table: string, key: Record<string, string>): z.output<S> {
  const named = Object.entries(key)
    .map(([name, value]) => `${name}=${value}`)
    .join(' ')
  return parseDocument(schema, unmarshallItem(item), `dynamodb: ${table} item ${named}`)
}
