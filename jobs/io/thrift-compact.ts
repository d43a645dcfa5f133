/**
 * A reader of Thrift's compact protocol, enough to walk Parquet page headers before the decoder
 * sees them (hyparquet parses them too, but only while it decodes, too late to refuse a page that
 * declares more than its chunk). Every length is checked against the bytes at hand and nesting is
 * bounded, so hostile bytes fail with an Error instead of allocating or recursing.
 */

/** A decoded struct: field id -> value. */
export type ThriftStruct = Map<number, ThriftValue>
export type ThriftValue = number | bigint | boolean | Uint8Array | ThriftStruct | ThriftValue[]

const maxDepth = 16

export interface ThriftCursor {
  bytes: Uint8Array
  offset: number
}

function readByte(cursor: ThriftCursor): number {
  if (cursor.offset >= cursor.bytes.length) throw new Error(`thrift: unexpected end of data at byte ${cursor.offset}`)
  return cursor.bytes[cursor.offset++]
}

function readVarint(cursor: ThriftCursor): bigint {
  let result = 0n
  for (let shift = 0n; shift < 70n; shift += 7n) {
    const byte = readByte(cursor)
    result |= BigInt(byte & 0x7f) << shift
    if ((byte & 0x80) === 0) return result
  }
  throw new Error(`thrift: varint longer than 10 bytes at byte ${cursor.offset}`)
}

function zigzag(n: bigint): bigint {
  return (n >> 1n) ^ -(n & 1n)
}

function readI32(cursor: ThriftCursor): number {
  const value = zigzag(readVarint(cursor))
  if (value < -(2n ** 31n) || value >= 2n ** 31n) throw new Error(`thrift: i32 out of range (${value})`)
  return Number(value)
}

function readLength(cursor: ThriftCursor, what: string): number {
  const length = readVarint(cursor)
  if (length > BigInt(cursor.bytes.length - cursor.offset)) throw new Error(`thrift: ${what} of ${length} exceeds the ${cursor.bytes.length - cursor.offset} bytes left`)
  return Number(length)
}

function readValue(cursor: ThriftCursor, type: number, depth: number): ThriftValue {
  switch (type) {
    case 1:
      return true
    case 2:
      return false
    case 3:
      return readByte(cursor)
    case 4:
    case 5:
      return readI32(cursor)
    case 6:
      return zigzag(readVarint(cursor))
    case 7: {
      if (cursor.offset + 8 > cursor.bytes.length) throw new Error('thrift: double past the end of data')
      const view = new DataView(cursor.bytes.buffer, cursor.bytes.byteOffset + cursor.offset, 8)
      cursor.offset += 8
      return view.getFloat64(0, true)
    }
    case 8: {
      const length = readLength(cursor, 'binary length')
      const out = cursor.bytes.subarray(cursor.offset, cursor.offset + length)
      cursor.offset += length
      return out
    }
    case 9:
    case 10: {
      const header = readByte(cursor)
      const size = header >> 4 === 15 ? readLength(cursor, 'list size') : header >> 4
      const elementType = header & 0x0f
      const out: ThriftValue[] = []
      for (let i = 0; i < size; i++) out.push(readValue(cursor, elementType === 1 || elementType === 2 ? 3 : elementType, depth + 1))
      return out
    }
    case 11: {
      const size = readLength(cursor, 'map size')
      if (size === 0) return []
      const types = readByte(cursor)
      const out: ThriftValue[] = []
      for (let i = 0; i < size; i++) out.push([readValue(cursor, types >> 4, depth + 1), readValue(cursor, types & 0x0f, depth + 1)])
      return out
    }
    case 12:
      return readStruct(cursor, depth + 1)
    default:
      throw new Error(`thrift: unknown compact type ${type} at byte ${cursor.offset}`)
  }
}

/** Reads one struct at the cursor and advances past it; throws on malformed or truncated bytes. */
export function readStruct(cursor: ThriftCursor, depth = 0): ThriftStruct {
  if (depth > maxDepth) throw new Error(`thrift: structs nested deeper than ${maxDepth}`)
  const out: ThriftStruct = new Map()
  let fieldId = 0
  for (;;) {
    const header = readByte(cursor)
    if (header === 0) return out
    const delta = header >> 4
    fieldId = delta === 0 ? readI32(cursor) : fieldId + delta
    out.set(fieldId, readValue(cursor, header & 0x0f, depth))
  }
}
