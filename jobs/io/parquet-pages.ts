/**
 * Walks the page headers of one column chunk before it is decoded and checks them against what the
 * chunk declares: pages stay inside the chunk, their uncompressed sizes add up to no more than the
 * chunk's total, their value counts add up to exactly the chunk's. A chunk whose pages say
 * something else is corrupt, and refusing it here means it is never decoded partially.
 */
import { readStruct, type ThriftStruct } from './thrift-compact.js'

/** What the pages of a chunk add up to. */
export interface ChunkPages {
  /** Values in data pages (nulls included). */
  values: number
  /** Values in the dictionary page, 0 without one. */
  dictionaryValues: number
  /** Uncompressed page bytes plus header bytes, as the chunk's `total_uncompressed_size` counts them. */
  uncompressedBytes: number
}

export interface ChunkDeclaration {
  column: string
  numValues: number
  totalUncompressedBytes: number
  /** Rows of the row group: a flat column has one value per row. */
  groupRows: number
}

const dataPage = 0
const dictionaryPage = 2
const dataPageV2 = 3

function int(struct: ThriftStruct | undefined, field: number): number | undefined {
  const value = struct?.get(field)
  return typeof value === 'number' ? value : undefined
}

function sub(struct: ThriftStruct, field: number): ThriftStruct | undefined {
  const value = struct.get(field)
  return value instanceof Map ? value : undefined
}

/** Checks the pages of `bytes` (one whole column chunk); throws an Error naming the column and the mismatch. */
export function scanChunkPages(bytes: Uint8Array, declared: ChunkDeclaration): ChunkPages {
  const { column } = declared
  const out: ChunkPages = { values: 0, dictionaryValues: 0, uncompressedBytes: 0 }
  const cursor = { bytes, offset: 0 }
  let page = 0
  while (cursor.offset < bytes.length) {
    const start = cursor.offset
    let header: ThriftStruct
    try {
      header = readStruct(cursor)
    } catch (error) {
      throw new Error(`${column}: page ${page} header at chunk byte ${start}: ${(error as Error).message}`)
    }
    const type = int(header, 1)
    const uncompressed = int(header, 2)
    const compressed = int(header, 3)
    if (uncompressed === undefined || compressed === undefined || uncompressed < 0 || compressed < 0) {
      throw new Error(`${column}: page ${page} declares sizes ${uncompressed}/${compressed} (expected non-negative)`)
    }
    if (cursor.offset + compressed > bytes.length) {
      throw new Error(`${column}: page ${page} runs ${cursor.offset + compressed - bytes.length} bytes past the end of its column chunk`)
    }
    out.uncompressedBytes += cursor.offset - start + uncompressed
    cursor.offset += compressed
    if (type === dictionaryPage) {
      if (page > 0) throw new Error(`${column}: dictionary page at position ${page} (expected only as the first page)`)
      const values = int(sub(header, 7), 1)
      if (values === undefined || values < 0) throw new Error(`${column}: dictionary page without a valid value count`)
      out.dictionaryValues = values
    } else if (type === dataPage || type === dataPageV2) {
      const pageHeader = sub(header, type === dataPage ? 5 : 8)
      const values = int(pageHeader, 1)
      if (values === undefined || values < 0) throw new Error(`${column}: data page ${page} without a valid value count`)
      if (type === dataPageV2 && int(pageHeader, 3) !== values) {
        throw new Error(`${column}: data page ${page} declares ${values} values but ${int(pageHeader, 3)} rows (a flat column has one value per row)`)
      }
      out.values += values
    } else if (type !== 1) {
      throw new Error(`${column}: page ${page} has unknown page type ${type}`)
    }
    page++
  }
  if (out.values !== declared.numValues || out.values !== declared.groupRows) {
    throw new Error(`${column}: pages hold ${out.values} values, the column chunk declares ${declared.numValues} and its row group ${declared.groupRows} rows`)
  }
  if (out.uncompressedBytes > declared.totalUncompressedBytes) {
    throw new Error(`${column}: pages inflate to ${out.uncompressedBytes} bytes, more than the ${declared.totalUncompressedBytes} the column chunk declares`)
  }
  return out
}
