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
