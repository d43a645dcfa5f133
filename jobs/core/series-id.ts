/**
 * The canonical series id: what names one series of a metric in every key gras writes (silver,
 * models, predictions, DynamoDB). A metric without dimensions has one series, whose id is the
 * metric id itself, so lakes and tables written before dimensions existed keep their keys.
 *
 * A metric with dimensions (`dimensions: [region, channel]` in config) has one series per distinct
 * combination of their values, with the id
 *
 *     <metric id>~<name>=<value>~<name>=<value>...
 *
 * - names in code-unit order (sorted), so reordering the config list does not rename a series;
 * - each value's UTF-8 bytes outside `A-Z a-z 0-9 _ . -` written as `%XX` (upper-case hex), so
 *   the id is safe in S3 keys, file names and DynamoDB keys, and `~`/`=` never occur in a value;
 * - a null value and the empty string are both "no value" (`region=`), as Prometheus treats a
 *   missing label;
 * - an id longer than `maxReadableSeriesIdChars` becomes `<metric id>~_h=<32 hex>`, the first 128
 *   bits of SHA-256 of the readable id: stable, and the dimensions travel beside it as attributes.
 *
 * The same dimension values always give the same id, two different ones never do (the encoding is
 * reversible; the hashed form collides with probability about n^2 / 2^129).
 */
import { createHash } from 'node:crypto'
import { metricIdPattern } from './ids.js'

const metricIdSource = metricIdPattern.source.slice(1, -1)

/** Dimension names become Parquet column names we read and attribute names we write. */
export const dimensionNamePattern = /^[a-z][a-z0-9_]{0,62}$/
/** Column names a dimension may not take: the bronze contract's own columns. */
export const reservedDimensionNames: readonly string[] = ['ts', 'value']

/** Past this the readable form is replaced by the hashed one (S3 keys end at 1,024 bytes, and the id appears in several). */
export const maxReadableSeriesIdChars = 400

const hashedMarker = '_h'
const hashHexChars = 32

export const seriesIdPattern = new RegExp(`^${metricIdSource}(?:~_h=[0-9a-f]{${hashHexChars}}|(?:~[a-z][a-z0-9_]{0,62}=(?:[A-Za-z0-9_.-]|%[0-9A-F]{2})*)*)$`)

export type DimensionValues = Readonly<Record<string, string | null>>

const keptByte = (b: number) => (b >= 0x30 && b <= 0x39) || (b >= 0x41 && b <= 0x5a) || (b >= 0x61 && b <= 0x7a) || b === 0x5f || b === 0x2e || b === 0x2d

/** One value as it appears in an id. */
export function encodeDimensionValue(value: string | null): string {
  if (value === null || value === '') return ''
  let out = ''
  for (const b of Buffer.from(value, 'utf8')) out += keptByte(b) ? String.fromCharCode(b) : `%${b.toString(16).toUpperCase().padStart(2, '0')}`
  return out
}

function decodeDimensionValue(encoded: string): string {
  const bytes: number[] = []
  for (let i = 0; i < encoded.length; i++) {
    if (encoded[i] === '%') {
      bytes.push(parseInt(encoded.slice(i + 1, i + 3), 16))
      i += 2
    } else bytes.push(encoded.charCodeAt(i))
  }
  return Buffer.from(bytes).toString('utf8')
}

/**
 * The id of the series of `metricId` whose dimension columns hold `values`. `values` must name
 * exactly the metric's dimensions; an empty record is the metric's only series.
 */
export function seriesIdOf(metricId: string, values: DimensionValues): string {
  const names = Object.keys(values).sort()
  if (names.length === 0) return metricId
  const readable = metricId + names.map((name) => `~${name}=${encodeDimensionValue(values[name])}`).join('')
  if (readable.length <= maxReadableSeriesIdChars) return readable
  return `${metricId}~${hashedMarker}=${createHash('sha256').update(readable).digest('hex').slice(0, hashHexChars)}`
}

export interface ParsedSeriesId {
  metricId: string
  /** The dimension values, or undefined for the hashed form (they are kept beside the id). Empty values come back as ''. */
  dimensions: Record<string, string> | undefined
}

/** The metric and dimensions an id names, or undefined when it is not a series id. */
export function parseSeriesId(id: string): ParsedSeriesId | undefined {
  if (!seriesIdPattern.test(id)) return undefined
  const [metricId, ...parts] = id.split('~')
  if (parts.length === 1 && parts[0].startsWith(`${hashedMarker}=`)) return { metricId, dimensions: undefined }
  const dimensions: Record<string, string> = {}
  let previous = ''
  for (const part of parts) {
    const eq = part.indexOf('=')
    const name = part.slice(0, eq)
    // Not canonical unless sorted and unique: two spellings of one series would be two series.
    if (name <= previous) return undefined
    previous = name
    dimensions[name] = decodeDimensionValue(part.slice(eq + 1))
  }
  // Canonical only if it is what seriesIdOf writes: `%61` for `a`, bytes that are no UTF-8, or a
  // readable form past the length limit would be a second spelling of some series.
  return seriesIdOf(metricId, dimensions) === id ? { metricId, dimensions } : undefined
}

/** The metric a series id belongs to (the id itself for a metric without dimensions). */
export function metricOfSeries(seriesId: string): string {
  const cut = seriesId.indexOf('~')
  return cut < 0 ? seriesId : seriesId.slice(0, cut)
}
