/** Encodes columns as a Parquet file (hyparquet-writer, snappy) in memory, ready for ObjectStore.put. */
import { ByteWriter, ParquetWriter, parquetWriteBuffer, schemaFromColumnData } from 'hyparquet-writer'

export type ParquetColumnType = 'TIMESTAMP' | 'DOUBLE' | 'INT32' | 'BOOLEAN' | 'STRING'

export interface ParquetColumn {
  name: string
  type: ParquetColumnType
  data: ArrayLike<unknown>
  nullable?: boolean
}

/**
 * How encodeParquetRowGroups writes its columns: whether their chunks carry min/max statistics
 * (default: yes), and per column by name its encoding (default: the writer's choice per chunk)
 * and statistics.
 */
export interface RowGroupsWriteOptions {
  statistics?: boolean
  columns?: Record<string, { encoding?: 'PLAIN' | 'RLE_DICTIONARY'; statistics?: boolean }>
}

type ColumnSource = Parameters<typeof parquetWriteBuffer>[0]['columnData'][number]

function columnSource(c: ParquetColumn): ColumnSource {
  return {
    name: c.name,
    type: c.type,
    data: c.type === 'BOOLEAN' || c.type === 'STRING' || c.type === 'TIMESTAMP' ? Array.from(c.data) : (c.data as Float64Array),
    nullable: c.nullable ?? false,
  } as ColumnSource
}

/** One Parquet file holding `columns` (all the same length), with key-value metadata. */
export function encodeParquet(columns: ParquetColumn[], metadata: Record<string, string> = {}): Uint8Array {
  const buffer = parquetWriteBuffer({
    columnData: columns.map(columnSource),
    kvMetadata: Object.entries(metadata).map(([key, value]) => ({ key, value })),
    createdBy: 'gras-forecast',
  })
  return new Uint8Array(buffer)
}

/**
 * One Parquet file of `groups.length` row groups, group i holding the columns `groups[i]()`
 * returns (every group the same names and types, every column of a group the same length, at
 * least one row): a reader of one group reads only its bytes. Groups are made and encoded one at
 * a time, so only one group's arrays are held converted. No page indexes: a group is read whole.
 */
export function encodeParquetRowGroups(groups: readonly (() => ParquetColumn[])[], metadata: Record<string, string> = {}, options: RowGroupsWriteOptions = {}): Uint8Array {
  const writer = new ByteWriter()
  let parquet: ParquetWriter | undefined
  for (const group of groups) {
    const columnData = group().map(columnSource)
    parquet ??= new ParquetWriter({ writer, schema: schemaFromColumnData({ columnData }), statistics: options.statistics ?? true, kvMetadata: Object.entries(metadata).map(([key, value]) => ({ key, value })), createdBy: 'gras-forecast' })
    const rows = columnData[0].data.length
    void parquet.write({ columnData: columnData.map(({ name, data }) => ({ name, data, offsetIndex: false, ...options.columns?.[name] })), rowGroupSize: rows })
  }
  if (!parquet) throw new Error('parquet: encodeParquetRowGroups needs at least one row group')
  void parquet.finish()
  // A view of the writer's buffer, not a copy: a pack of many series is tens of megabytes.
  return writer.getBytes()
}
