/** Encodes columns as a Parquet file (hyparquet-writer, snappy) in memory, ready for ObjectStore.put. */
import { parquetWriteBuffer } from 'hyparquet-writer'

export type ParquetColumnType = 'TIMESTAMP' | 'DOUBLE' | 'INT32' | 'BOOLEAN' | 'STRING'

export interface ParquetColumn {
  name: string
  type: ParquetColumnType
  data: ArrayLike<unknown>
  nullable?: boolean
}

/** One Parquet file holding `columns` (all the same length), with key-value metadata. */
export function encodeParquet(columns: ParquetColumn[], metadata: Record<string, string> = {}): Uint8Array {
  const buffer = parquetWriteBuffer({
    columnData: columns.map((c) => ({
      name: c.name,
      type: c.type,
      data: c.type === 'BOOLEAN' || c.type === 'STRING' || c.type === 'TIMESTAMP' ? Array.from(c.data) : (c.data as Float64Array),
      nullable: c.nullable ?? false,
    })) as Parameters<typeof parquetWriteBuffer>[0]['columnData'],
    kvMetadata: Object.entries(metadata).map(([key, value]) => ({ key, value })),
    createdBy: 'gras-forecast',
  })
  return new Uint8Array(buffer)
}
