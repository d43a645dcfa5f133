/**
 * Hand-made Parquet bytes for the cases no mainstream writer produces: footers and page headers
 * that contradict each other, pages that inflate, decompression bombs. A file is described as
 * plain data (schema, row groups, chunks, pages), which a test may edit before `encodeParquet`
 * serialises it with a Thrift compact-protocol writer written from the Parquet format's
 * parquet.thrift (apache/parquet-format, field ids as there).
 */
type Field = [id: number, type: 'bool' | 'i8' | 'i32' | 'i64' | 'binary' | 'struct' | 'list-i32' | 'list-binary' | 'list-struct', value: unknown]

class Bytes {
  readonly out: number[] = []
  byte(b: number) {
    this.out.push(b & 0xff)
  }
  varint(n: bigint) {
    let v = n
    do {
      const b = Number(v & 0x7fn)
      v >>= 7n
      this.byte(v > 0n ? b | 0x80 : b)
    } while (v > 0n)
  }
  zigzag(n: bigint | number) {
    const v = BigInt(n)
    this.varint(v >= 0n ? v << 1n : ((-v) << 1n) - 1n)
  }
}

const compactType = { bool: 1, i8: 3, i32: 5, i64: 6, binary: 8, struct: 12, 'list-i32': 9, 'list-binary': 9, 'list-struct': 9 } as const

function writeStruct(w: Bytes, fields: Field[]) {
  let last = 0
  for (const [id, type, value] of fields.filter((f) => f[2] !== undefined).sort((a, b) => a[0] - b[0])) {
    const t = type === 'bool' ? (value ? 1 : 2) : compactType[type]
    if (id - last > 0 && id - last <= 15) w.byte(((id - last) << 4) | t)
    else {
      w.byte(t)
      w.zigzag(id)
    }
    last = id
    if (type === 'bool') continue
    writeValue(w, type, value)
  }
  w.byte(0)
}

function writeValue(w: Bytes, type: Field[1], value: unknown) {
  if (type === 'i8') w.byte(value as number)
  else if (type === 'i32' || type === 'i64') w.zigzag(value as number | bigint)
  else if (type === 'binary') {
    const bytes = new TextEncoder().encode(value as string)
    w.varint(BigInt(bytes.length))
    for (const b of bytes) w.byte(b)
  } else if (type === 'struct') writeStruct(w, value as Field[])
  else {
    const items = value as unknown[]
    const elementType = type === 'list-i32' ? 5 : type === 'list-binary' ? 8 : 12
    if (items.length < 15) w.byte((items.length << 4) | elementType)
    else {
      w.byte(0xf0 | elementType)
      w.varint(BigInt(items.length))
    }
    for (const item of items) writeValue(w, type === 'list-i32' ? 'i32' : type === 'list-binary' ? 'binary' : 'struct', item)
  }
}

/** parquet.thrift enums, by name. */
export const ParquetType = { BOOLEAN: 0, INT32: 1, INT64: 2, INT96: 3, FLOAT: 4, DOUBLE: 5, BYTE_ARRAY: 6, FIXED_LEN_BYTE_ARRAY: 7 } as const
export const Converted = { UTF8: 0, LIST: 3, ENUM: 4, DECIMAL: 5, DATE: 6, TIME_MILLIS: 7, TIME_MICROS: 8, TIMESTAMP_MILLIS: 9, TIMESTAMP_MICROS: 10, INT_64: 18, JSON: 19, INTERVAL: 21 } as const
export const Codec = { UNCOMPRESSED: 0, SNAPPY: 1, GZIP: 2 } as const

export interface SchemaSpec {
  name: string
  type?: number
  repetition?: 0 | 1 | 2
  numChildren?: number
  converted?: number
  /** A LogicalType union member as Thrift fields, e.g. `[[8, 'struct', [[1, 'bool', true], [2, 'struct', [[2, 'struct', []]]]]]]` for TIMESTAMP(MICROS). */
  logical?: Field[]
}

export interface PageSpec {
  values: number
  uncompressedSize: number
  body: Uint8Array
  /** A dictionary page (PLAIN values) instead of a data page. */
  dictionary?: boolean
  /** The data page's value encoding: 0 PLAIN (default), 8 RLE_DICTIONARY. */
  encoding?: number
}

export interface ChunkSpec {
  column: string
  type: number
  codec: number
  numValues: number
  /** Defaults to the pages' header and body sizes. */
  totalUncompressed?: number
  pages: PageSpec[]
}

export interface FileSpec {
  /** Top-level columns; defaults to every schema element (a flat schema). */
  rootChildren?: number
  schema: SchemaSpec[]
  numRows: number
  rowGroups: { numRows: number; chunks: ChunkSpec[] }[]
}

/** Logical TIMESTAMP(isAdjustedToUTC, unit) as a Thrift union. */
export const timestampLogical = (unit: 'MILLIS' | 'MICROS' | 'NANOS'): Field[] => [[8, 'struct', [[1, 'bool', true], [2, 'struct', [[{ MILLIS: 1, MICROS: 2, NANOS: 3 }[unit], 'struct', []]]]]]]
export const integerLogical = (bitWidth: number, signed: boolean): Field[] => [[10, 'struct', [[1, 'i8', bitWidth], [2, 'bool', signed]]]]

function pageHeader(page: PageSpec): Uint8Array {
  const w = new Bytes()
  writeStruct(w, [
    [1, 'i32', page.dictionary ? 2 : 0],
    [2, 'i32', page.uncompressedSize],
    [3, 'i32', page.body.length],
    page.dictionary ? [7, 'struct', [[1, 'i32', page.values], [2, 'i32', 0]]] : [5, 'struct', [[1, 'i32', page.values], [2, 'i32', page.encoding ?? 0], [3, 'i32', 3], [4, 'i32', 3]]],
  ])
  return Uint8Array.from(w.out)
}

/** Serialises `spec` as a Parquet file: "PAR1", the chunks' pages, the footer, its length, "PAR1". */
export function encodeParquet(spec: FileSpec): Uint8Array {
  const parts: Uint8Array[] = []
  let length = 0
  const push = (bytes: Uint8Array) => {
    parts.push(bytes)
    length += bytes.length
  }
  push(new TextEncoder().encode('PAR1'))
  const groups: Field[][] = []
  for (const group of spec.rowGroups) {
    const columns: Field[][] = []
    for (const chunk of group.chunks) {
      const start = length
      let uncompressed = 0
      let dataStart = start
      for (const page of chunk.pages) {
        const header = pageHeader(page)
        if (page.dictionary) dataStart = length + header.length + page.body.length
        push(header)
        push(page.body)
        uncompressed += header.length + page.uncompressedSize
      }
      columns.push([
        [2, 'i64', start],
        [3, 'struct', [
          [1, 'i32', chunk.type],
          [2, 'list-i32', [0]],
          [3, 'list-binary', [chunk.column]],
          [4, 'i32', chunk.codec],
          [5, 'i64', chunk.numValues],
          [6, 'i64', chunk.totalUncompressed ?? uncompressed],
          [7, 'i64', length - start],
          [9, 'i64', dataStart],
          [11, 'i64', dataStart > start ? start : undefined],
        ]],
      ])
    }
    groups.push([[1, 'list-struct', columns], [2, 'i64', 0], [3, 'i64', group.numRows]])
  }
  const footer = new Bytes()
  writeStruct(footer, [
    [1, 'i32', 1],
    [2, 'list-struct', [
      [[4, 'binary', 'schema'], [5, 'i32', spec.rootChildren ?? spec.schema.length]],
      ...spec.schema.map((s): Field[] => [
        [1, 'i32', s.type],
        [3, 'i32', s.repetition ?? 0],
        [4, 'binary', s.name],
        [5, 'i32', s.numChildren],
        [6, 'i32', s.converted],
        [10, 'struct', s.logical],
      ]),
    ]],
    [3, 'i64', spec.numRows],
    [4, 'list-struct', groups],
  ])
  const footerLength = footer.out.length
  push(Uint8Array.from(footer.out))
  push(Uint8Array.from([footerLength & 0xff, (footerLength >> 8) & 0xff, (footerLength >> 16) & 0xff, (footerLength >>> 24) & 0xff]))
  push(new TextEncoder().encode('PAR1'))
  const out = new Uint8Array(length)
  let offset = 0
  for (const part of parts) {
    out.set(part, offset)
    offset += part.length
  }
  return out
}

/** PLAIN little-endian bytes of INT64 values. */
export function plainInt64(values: (number | bigint)[]): Uint8Array {
  const view = new DataView(new ArrayBuffer(values.length * 8))
  values.forEach((v, i) => view.setBigInt64(i * 8, BigInt(v), true))
  return new Uint8Array(view.buffer)
}

/** PLAIN little-endian bytes of DOUBLE values. */
export function plainDouble(values: number[]): Uint8Array {
  const view = new DataView(new ArrayBuffer(values.length * 8))
  values.forEach((v, i) => view.setFloat64(i * 8, v, true))
  return new Uint8Array(view.buffer)
}

/** PLAIN little-endian bytes of INT32 values. */
export function plainInt32(values: number[]): Uint8Array {
  const view = new DataView(new ArrayBuffer(values.length * 4))
  values.forEach((v, i) => view.setInt32(i * 4, v, true))
  return new Uint8Array(view.buffer)
}

/** A required ts (TIMESTAMP micros) + value (DOUBLE) file, uncompressed, one page per chunk, in `groups` row groups. */
export function eventsFileSpec(tsMicros: bigint[], values: number[], groups = 1): FileSpec {
  const per = Math.ceil(tsMicros.length / groups)
  const rowGroups = Array.from({ length: groups }, (_, g) => {
    const ts = tsMicros.slice(g * per, (g + 1) * per)
    const vs = values.slice(g * per, (g + 1) * per)
    const page = (body: Uint8Array): PageSpec => ({ values: ts.length, uncompressedSize: body.length, body })
    return {
      numRows: ts.length,
      chunks: [
        { column: 'ts', type: ParquetType.INT64, codec: Codec.UNCOMPRESSED, numValues: ts.length, pages: [page(plainInt64(ts))] },
        { column: 'value', type: ParquetType.DOUBLE, codec: Codec.UNCOMPRESSED, numValues: ts.length, pages: [page(plainDouble(vs))] },
      ],
    }
  })
  return {
    schema: [
      { name: 'ts', type: ParquetType.INT64, converted: Converted.TIMESTAMP_MICROS, logical: timestampLogical('MICROS') },
      { name: 'value', type: ParquetType.DOUBLE },
    ],
    numRows: tsMicros.length,
    rowGroups,
  }
}

/** An RLE_DICTIONARY data page body: bit width 1 and one RLE run of `count` zeros (index 0). */
export function rleZeros(count: number): Uint8Array {
  const out = [1]
  let n = BigInt(count) << 1n
  do {
    const b = Number(n & 0x7fn)
    n >>= 7n
    out.push(n > 0n ? b | 0x80 : b)
  } while (n > 0n)
  out.push(0)
  return Uint8Array.from(out)
}

/** A one-row-group file of `rows` rows whose ts and value each repeat one dictionary value: a few bytes that decode large. */
export function dictionaryBombSpec(rows: number, tsMicros: bigint, value: number): FileSpec {
  const chunk = (column: string, type: number, dictionary: Uint8Array): ChunkSpec => ({
    column,
    type,
    codec: Codec.UNCOMPRESSED,
    numValues: rows,
    pages: [
      { dictionary: true, values: 1, uncompressedSize: dictionary.length, body: dictionary },
      { values: rows, encoding: 8, uncompressedSize: rleZeros(rows).length, body: rleZeros(rows) },
    ],
  })
  const spec = eventsFileSpec([tsMicros], [value])
  spec.numRows = rows
  spec.rowGroups[0] = { numRows: rows, chunks: [chunk('ts', ParquetType.INT64, plainInt64([tsMicros])), chunk('value', ParquetType.DOUBLE, plainDouble([value]))] }
  return spec
}
