/**
 * Bronze Parquet -> EventBatch. Reads the footer with a small first fetch and then only the `ts`
 * and `value` column chunks (hyparquet plans the byte ranges), from any AsyncBuffer: a local file
 * or ranged S3 GETs. Schema violations throw DataError naming the file and the column.
 */
import { parquetMetadataAsync, parquetRead, parquetReadObjects, parquetSchema, type AsyncBuffer, type FileMetaData, type SchemaElement } from 'hyparquet'
import { compressors } from 'hyparquet-compressors'
import { DataError } from '../runtime/errors.js'
import type { EventBatch } from '../core/series.js'

/** Footer bytes fetched first; most footers of two-column files fit, larger ones cost one more read. */
const footerFetchBytes = 16 * 1024

/**
 * Bounds on what a file may declare before we allocate for it: a corrupt or hostile footer can
 * claim billions of rows or gigabytes of pages, and we would rather refuse it than run out of memory.
 */
export const readLimits = { maxRows: 50_000_000, maxUncompressedBytes: 2 * 1024 ** 3 }

// Timestamps stay numbers (epoch ms) instead of Date objects: one Float64Array, no object per row.
const parsers = {
  timestampFromMilliseconds: (v: bigint) => Number(v),
  timestampFromMicroseconds: (v: bigint) => Number(v / 1000n),
  timestampFromNanoseconds: (v: bigint) => Number(v / 1_000_000n),
}

const valueTypes = new Set(['DOUBLE', 'FLOAT', 'INT64', 'INT32'])

/** Checks that `ts` is a timestamp and `value` numeric; returns the problem or undefined. */
export function describeSchemaProblem(columns: SchemaElement[]): string | undefined {
  const byName = new Map(columns.map((c) => [c.name, c]))
  const ts = byName.get('ts')
  const value = byName.get('value')
  const missing = ['ts', 'value'].filter((name) => !byName.has(name))
  if (missing.length > 0) return `missing column ${missing.join(' and ')} (found ${columns.map((c) => c.name).join(', ') || 'none'})`
  const tsIsTimestamp =
    ts!.type === 'INT96' ||
    (ts!.type === 'INT64' &&
      (ts!.converted_type === 'TIMESTAMP_MILLIS' || ts!.converted_type === 'TIMESTAMP_MICROS' || ts!.logical_type?.type === 'TIMESTAMP'))
  if (!tsIsTimestamp) return `column ts has type ${describeType(ts!)} (expected TIMESTAMP millis or micros)`
  const valueIsNumber = valueTypes.has(value!.type ?? '') && !value!.converted_type?.startsWith('DECIMAL') && !value!.logical_type
  if (!valueIsNumber) return `column value has type ${describeType(value!)} (expected DOUBLE, FLOAT or INT64)`
  return undefined
}

function describeType(element: SchemaElement): string {
  const logical = element.logical_type?.type ?? element.converted_type
  return logical ? `${element.type ?? 'group'}/${logical}` : `${element.type ?? 'group'}`
}

/** Reads `ts` (epoch ms) and `value` from a bronze file; `source` names it in errors. Nulls become NaN. */
export async function readEvents(file: AsyncBuffer, source: string): Promise<EventBatch> {
  let metadata: FileMetaData
  try {
    metadata = await parquetMetadataAsync(file, { initialFetchSize: footerFetchBytes, parsers })
  } catch (error) {
    throw new DataError(`parquet: ${source} is not a readable Parquet file: ${(error as Error).message}`, { cause: error })
  }
  const topLevel = parquetSchema(metadata).children.map((child) => child.element)
  const problem = describeSchemaProblem(topLevel)
  if (problem) throw new DataError(`parquet: ${source}: ${problem}`)
  const rows = Number(metadata.num_rows)
  if (!Number.isSafeInteger(rows) || rows < 0 || rows > readLimits.maxRows) {
    throw new DataError(`parquet: ${source}: declares ${metadata.num_rows} rows (limit ${readLimits.maxRows})`)
  }
  let declaredBytes = 0
  for (const group of metadata.row_groups) {
    for (const chunk of group.columns) {
      const name = chunk.meta_data?.path_in_schema?.[0]
      if (name === 'ts' || name === 'value') declaredBytes += Number(chunk.meta_data?.total_uncompressed_size ?? 0)
    }
  }
  if (declaredBytes > readLimits.maxUncompressedBytes) {
    throw new DataError(`parquet: ${source}: ts and value declare ${declaredBytes} uncompressed bytes (limit ${readLimits.maxUncompressedBytes})`)
  }
  const tsMs = new Float64Array(rows).fill(Number.NaN)
  const values = new Float64Array(rows).fill(Number.NaN)
  try {
    await parquetRead({
      file,
      metadata,
      columns: ['ts', 'value'],
      compressors,
      parsers,
      onChunk(chunk) {
        const target = chunk.columnName === 'ts' ? tsMs : values
        const data = chunk.columnData
        for (let i = 0; i < data.length && chunk.rowStart + i < rows; i++) {
          const v = data[i]
          target[chunk.rowStart + i] = v === null || v === undefined ? Number.NaN : Number(v)
        }
      },
    })
  } catch (error) {
    throw new DataError(`parquet: ${source}: cannot decode column data: ${(error as Error).message}`, { cause: error })
  }
  return { tsMs, values }
}

/** Reads whole rows of a small file of ours (predictions) as objects; timestamps as epoch ms. */
export async function readRows(file: AsyncBuffer, source: string, columns: string[]): Promise<Record<string, unknown>[]> {
  try {
    return await parquetReadObjects({ file, columns, compressors, parsers })
  } catch (error) {
    throw new DataError(`parquet: ${source}: ${(error as Error).message}`, { cause: error })
  }
}
