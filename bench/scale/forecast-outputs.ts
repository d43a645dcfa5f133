/**
 * What a pipeline run forecast, in a form that survives a change of layout: every row of every
 * Parquet copy under predictions/ keyed by series and step (a copy's `series_id`, or its metric
 * for a copy written before groups), and the global model's networks byte for byte. Two runs with
 * equal outputs here served the same forecasts, whatever objects held them.
 */
import { join } from 'node:path'
import { filesUnder } from '../../tests/helpers/files-under.js'
import { readRows } from '../../jobs/io/parquet-read.js'

export interface ForecastOutputs {
  /** `<series>|<timestamp ms>` to `value|lower|upper|interval_level`. */
  rows: Map<string, string>
  /** Files under models/neural/, by path. */
  networks: Map<string, Buffer>
}

export async function forecastOutputs(lake: string): Promise<ForecastOutputs> {
  const rows = new Map<string, string>()
  for (const [path, bytes] of filesUnder(lake, 'predictions')) {
    if (!path.endsWith('.parquet')) continue
    const buffer = bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer
    for (const row of await readRows(buffer, path)) {
      const series = String(row.series_id ?? row.metric_id)
      rows.set(`${series}|${Number(row.timestamp)}`, [row.value, row.lower, row.upper, row.interval_level].join('|'))
    }
  }
  return { rows, networks: filesUnder(join(lake, 'models'), 'neural') }
}

/** The first difference between two runs' outputs, or undefined when they forecast the same. */
export function firstDifference(expected: ForecastOutputs, actual: ForecastOutputs): string | undefined {
  if (expected.rows.size !== actual.rows.size) return `${actual.rows.size} forecast rows (expected ${expected.rows.size})`
  for (const [key, value] of expected.rows) if (actual.rows.get(key) !== value) return `forecast ${key}: ${actual.rows.get(key)} (expected ${value})`
  const keys = (m: Map<string, Buffer>) => [...m.keys()].sort().join('\n')
  if (keys(expected.networks) !== keys(actual.networks)) return 'other files under models/neural/'
  for (const [key, bytes] of expected.networks) if (!bytes.equals(actual.networks.get(key)!)) return `models/neural/${key} differs`
  return undefined
}
