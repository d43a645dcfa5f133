/**
 * Bronze Parquet -> EventBatch. Reads the footer with a small first fetch and then only the `ts`
 * and `value` column chunks (and those of the metric's dimensions), from any AsyncBuffer: a local
 * file or ranged S3 GETs. Before anything
 * is decoded, the footer's row counts, the row groups' and the pages' must agree and fit the
 * decoded-size budget; while decoding, every decompressed page is charged to it. Violations throw
 * DataError naming the file and the column, so a file is read exactly as it says or not at all.
 */
import { parquetMetadataAsync, parquetRead, parquetReadObjects, parquetSchema, type AsyncBuffer, type ColumnChunk, type FileMetaData, type SchemaElement } from 'hyparquet'
import { compressors } from 'hyparquet-compressors'
import { DataError } from '../core/errors.js'
import type { EventBatch, SeriesIndex } from '../core/series.js'
import { checkBronzeSchema } from './parquet-schema-check.js'
import { scanChunkPages } from './parquet-pages.js'
import { budgetedCompressors, DecodeBudget } from './decode-budget.js'
import { prefetchedBuffer, type HeldRange } from './prefetched-buffer.js'

/** Footer bytes fetched first; most footers of two-column files fit, larger ones cost one more read. */
const footerFetchBytes = 16 * 1024

/**
 * Bounds per file. `maxDecodedBytes` counts the column chunks held, every page as it is
 * decompressed and `bytesPerDecodedValue` for each value the decoder materialises (its typed
 * array, the converted array and our Float64Array), so a file that inflates is refused before
 * the worker's heap or the pod's memory is reached.
 */
export const readLimits = { maxRows: 50_000_000, maxDecodedBytes: 768 * 1024 ** 2 }
export type ReadLimits = typeof readLimits
const bytesPerDecodedValue = 24

// Timestamps become epoch milliseconds as doubles with the microseconds as the fraction: exact for
// every microsecond in ECMAScript's date range, and one Float64Array instead of an object per row.
const microsPerMs = 1000
function timestampParsers(column: string) {
  return {
    timestampFromMilliseconds: (v: bigint) => Number(v),
    timestampFromMicroseconds: (v: bigint) => Number(v) / microsPerMs,
    timestampFromNanoseconds: (v: bigint) => {
      if (v % 1000n !== 0n) throw new Error(`column ${column}: timestamp ${v} ns is not a whole microsecond (precision kept: microseconds)`)
      return Number(v / 1000n) / microsPerMs
    },
  }
}
const readParsers = timestampParsers('ts')

/**
 * Reads `ts` (epoch ms, µs in the fraction) and `value` from a bronze file, and with `dimensions`
 * those columns too, as the series of each row; `source` names the file in errors. Null numbers
 * become NaN; a null or empty dimension cell is null ("no value").
 */
export async function readEvents(file: AsyncBuffer, source: string, limits: ReadLimits = readLimits, dimensions: readonly string[] = []): Promise<EventBatch> {
  const fail = (problem: string, cause?: unknown) => new DataError(`parquet: ${source}: ${problem}`, { cause })
  // The footer read fetches the file's last bytes once and keeps them: a small file (the usual
  // bronze file of one hour or day) is then read whole in one request, its chunks included.
  const tailStart = Math.max(0, file.byteLength - footerFetchBytes)
  file = prefetchedBuffer(file, [{ start: tailStart, bytes: new Uint8Array(await file.slice(tailStart, file.byteLength)) }])
  let metadata: FileMetaData
  let topLevel: SchemaElement[]
  try {
    metadata = await parquetMetadataAsync(file, { initialFetchSize: footerFetchBytes, parsers: readParsers })
    topLevel = parquetSchema(metadata).children.map((child) => child.element)
  } catch (error) {
    throw new DataError(`parquet: ${source} is not a readable Parquet file: ${(error as Error).message}`, { cause: error })
  }
  const schema = checkBronzeSchema(topLevel, dimensions)
  if ('problem' in schema) throw fail(schema.problem)
  const rows = checkRowCounts(metadata, limits, fail)
  const budget = new DecodeBudget(limits.maxDecodedBytes)
  checked(() => budget.charge(rows * 2 * bytesPerDecodedValue, `${rows} rows of ts and value`), fail)
  // Per dimension and row: the decoder's cell, our copy of it and the row's tuple index.
  if (dimensions.length > 0) checked(() => budget.charge(rows * dimensions.length * bytesPerDecodedValue, `${rows} rows of ${dimensions.join(', ')}`), fail)
  const columns = ['ts', 'value', ...dimensions]
  const held = await holdColumnChunks(file, metadata, topLevel, columns, budget, fail)
  return decodeColumns(prefetchedBuffer(file, held), metadata, rows, dimensions, budget, fail)
}

type Fail = (problem: string, cause?: unknown) => DataError

/** The footer's row count, checked against the sum of its row groups and the limit. */
function checkRowCounts(metadata: FileMetaData, limits: ReadLimits, fail: Fail): number {
  const rows = Number(metadata.num_rows)
  if (!Number.isSafeInteger(rows) || rows < 0 || rows > limits.maxRows) throw fail(`declares ${metadata.num_rows} rows (limit ${limits.maxRows})`)
  let groupRows = 0
  for (const group of metadata.row_groups) groupRows += Number(group.num_rows)
  if (groupRows !== rows) throw fail(`the footer declares ${rows} rows but its ${metadata.row_groups.length} row group(s) hold ${groupRows} (corrupt metadata)`)
  return rows
}

/** Fetches the chunk of each of `columns` in every row group and checks their pages against their metadata. */
async function holdColumnChunks(file: AsyncBuffer, metadata: FileMetaData, topLevel: SchemaElement[], columns: readonly string[], budget: DecodeBudget, fail: Fail): Promise<HeldRange[]> {
  const held: HeldRange[] = []
  for (const [groupIndex, group] of metadata.row_groups.entries()) {
    for (const column of columns) {
      const chunks = group.columns.filter((c) => c.meta_data?.path_in_schema?.length === 1 && c.meta_data.path_in_schema[0] === column)
      if (chunks.length !== 1) throw fail(`column ${column}: row group ${groupIndex} has ${chunks.length} column chunks for it (expected one)`)
      const meta = chunks[0].meta_data!
      const element = topLevel.find((e) => e.name === column)!
      if (meta.type !== element.type) throw fail(`column ${column}: row group ${groupIndex} stores ${meta.type} but the schema says ${element.type} (corrupt metadata)`)
      const range = chunkRange(chunks[0], file.byteLength)
      if (!range) throw fail(`column ${column}: row group ${groupIndex} places its chunk outside the file's ${file.byteLength} bytes (corrupt metadata)`)
      // The chunk is held twice at most: as fetched and as the decoder's copy of a request.
      checked(() => budget.charge(2 * (range.end - range.start), `the ${column} chunk of row group ${groupIndex}`), fail)
      const bytes = new Uint8Array(await file.slice(range.start, range.end))
      const declared = { column: `column ${column} (row group ${groupIndex})`, numValues: Number(meta.num_values), totalUncompressedBytes: Number(meta.total_uncompressed_size), groupRows: Number(group.num_rows) }
      const pages = checked(() => scanChunkPages(bytes, declared), fail)
      checked(() => budget.charge(pages.dictionaryValues * bytesPerDecodedValue, `the ${column} dictionary of row group ${groupIndex}`), fail)
      held.push({ start: range.start, bytes })
    }
  }
  return held
}

/** Runs a check over bytes already in memory; its Error is the file's fault and becomes a DataError. */
function checked<T>(check: () => T, fail: Fail): T {
  try {
    return check()
  } catch (error) {
    throw fail((error as Error).message, error)
  }
}

function chunkRange(chunk: ColumnChunk, fileBytes: number): { start: number; end: number } | undefined {
  const meta = chunk.meta_data!
  const start = Number(meta.dictionary_page_offset || meta.data_page_offset)
  const end = start + Number(meta.total_compressed_size)
  // The last 8 bytes are the footer length and magic; a chunk never reaches into them.
  return Number.isSafeInteger(start) && start >= 4 && end >= start && end <= fileBytes - 8 ? { start, end } : undefined
}

async function decodeColumns(file: AsyncBuffer, metadata: FileMetaData, rows: number, dimensions: readonly string[], budget: DecodeBudget, fail: Fail): Promise<EventBatch> {
  const tsMs = new Float64Array(rows).fill(Number.NaN)
  const values = new Float64Array(rows).fill(Number.NaN)
  const spans: Record<string, [number, number][]> = { ts: [], value: [] }
  const cells = new Map(dimensions.map((name) => [name, new Array<string | null>(rows).fill(null)]))
  for (const name of dimensions) spans[name] = []
  let problem: string | undefined
  try {
    await parquetRead({
      file,
      metadata,
      columns: ['ts', 'value', ...dimensions],
      compressors: budgetedCompressors(budget),
      parsers: readParsers,
      onChunk(chunk) {
        const name = chunk.columnName
        const data = chunk.columnData
        if (chunk.rowStart < 0 || chunk.rowStart + data.length > rows) {
          problem ??= `column ${name}: decoded rows ${chunk.rowStart}..${chunk.rowStart + data.length} beyond the ${rows} the footer declares`
          return
        }
        spans[name]?.push([chunk.rowStart, chunk.rowStart + data.length])
        const column = cells.get(name)
        if (column) {
          for (let i = 0; i < data.length; i++) {
            const v = data[i]
            column[chunk.rowStart + i] = v === null || v === undefined || v === '' ? null : String(v)
          }
          return
        }
        const target = name === 'ts' ? tsMs : values
        for (let i = 0; i < data.length; i++) {
          const v = data[i]
          if (typeof v === 'bigint' && (v > BigInt(Number.MAX_SAFE_INTEGER) || v < BigInt(Number.MIN_SAFE_INTEGER))) {
            problem ??= `column ${name}: integer ${v} at row ${chunk.rowStart + i} is beyond 2^53 and has no exact double`
          }
          target[chunk.rowStart + i] = v === null || v === undefined ? Number.NaN : Number(v)
        }
      },
    })
  } catch (error) {
    throw fail(`cannot decode column data: ${(error as Error).message}`, error)
  }
  if (problem) throw fail(problem)
  for (const [name, list] of Object.entries(spans)) {
    const covered = coveredRows(list)
    if (covered !== rows) throw fail(`column ${name}: decoded ${covered} distinct rows of the ${rows} the footer declares (corrupt pages)`)
  }
  return dimensions.length === 0 ? { tsMs, values } : { tsMs, values, series: indexSeries(dimensions, dimensions.map((name) => cells.get(name)!), rows) }
}

/** The distinct tuples of the dimension cells and each row's tuple index. */
function indexSeries(names: readonly string[], columns: (string | null)[][], rows: number): SeriesIndex {
  // Each column's values numbered first, so a row's tuple key is a few small integers, not its strings.
  const codes = columns.map((column) => {
    const numbers = new Map<string | null, number>()
    const out = new Int32Array(rows)
    for (let i = 0; i < rows; i++) {
      let code = numbers.get(column[i])
      if (code === undefined) numbers.set(column[i], (code = numbers.size))
      out[i] = code
    }
    return out
  })
  const tupleOfKey = new Map<string, number>()
  const tuples: (string | null)[][] = []
  const index = new Int32Array(rows)
  for (let i = 0; i < rows; i++) {
    let key = String(codes[0][i])
    for (let d = 1; d < codes.length; d++) key += `,${codes[d][i]}`
    let tuple = tupleOfKey.get(key)
    if (tuple === undefined) {
      tupleOfKey.set(key, (tuple = tuples.length))
      tuples.push(columns.map((column) => column[i]))
    }
    index[i] = tuple
  }
  return { names, tuples, index }
}

/** Rows covered exactly once by `spans`, or -1 when two spans overlap. */
function coveredRows(spans: [number, number][]): number {
  spans.sort((a, b) => a[0] - b[0])
  let covered = 0
  let end = 0
  for (const [from, to] of spans) {
    if (from < end) return -1
    covered += to - from
    end = to
  }
  return covered
}

/** Reads whole rows of a small file of ours (predictions) as objects; timestamps as epoch ms. Without `columns`, every column the file has. */
export async function readRows(file: AsyncBuffer, source: string, columns?: string[]): Promise<Record<string, unknown>[]> {
  try {
    return await parquetReadObjects({ file, columns, compressors, parsers: readParsers })
  } catch (error) {
    throw new DataError(`parquet: ${source}: ${(error as Error).message}`, { cause: error })
  }
}
