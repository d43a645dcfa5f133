/** Reads an M4-format CSV: a header row, then `"id","v1","v2",...` with empty cells after the end. */
import { readFileSync } from 'node:fs'

export interface M4Series {
  id: string
  values: Float64Array
}

export function readM4Csv(path: string, limit = Infinity): M4Series[] {
  const lines = readFileSync(path, 'utf8').split(/\r?\n/)
  const out: M4Series[] = []
  for (let i = 1; i < lines.length && out.length < limit; i++) {
    if (!lines[i].trim()) continue
    const cells = lines[i].split(',').map((c) => c.replace(/^"|"$/g, ''))
    const numbers = cells.slice(1).filter((c) => c !== '' && c !== 'NA').map(Number)
    if (numbers.some((v) => !Number.isFinite(v))) throw new Error(`m4: ${path} line ${i + 1}: a value is not a number`)
    out.push({ id: cells[0], values: Float64Array.from(numbers) })
  }
  return out
}
