/** Rows for people (an aligned text table) and for programs (JSON, CSV) from one column list. Pure. */

/** How a command prints its rows: `--json`, `--csv`, or the text table. */
export type RowFormat = 'table' | 'json' | 'csv'

export interface Column<R> {
  /** Field of the row shown in this column; also the JSON field and the CSV header. */
  key: keyof R & string
  /** Header of the text table (default: `key`). */
  header?: string
  /** Numbers right, text left: header and cells alike. */
  align: 'left' | 'right'
  /** Text of the cell (default: formatNumber for numbers, String otherwise). */
  text?: (row: R) => string
}

/** A text table: each column aligned one way, its header with it, a dashed rule under the headers. */
export function formatTable(columns: { header: string; align: 'left' | 'right' }[], rows: string[][]): string {
  const widths = columns.map((h, c) => Math.max(h.header.length, ...rows.map((r) => (r[c] ?? '').length)))
  const line = (cells: string[]) =>
    cells
      .map((cell, c) => (columns[c].align === 'left' ? cell.padEnd(widths[c]) : cell.padStart(widths[c])))
      .join('  ')
      .trimEnd()
  return [line(columns.map((c) => c.header)), widths.map((w) => '-'.repeat(w)).join('  '), ...rows.map(line)].join('\n')
}

/** The text table of `rows` under `columns`. */
export function formatRows<R extends object>(columns: Column<R>[], rows: R[]): string {
  const cell = (column: Column<R>, row: R) => {
    if (column.text) return column.text(row)
    const value = row[column.key] as unknown
    return typeof value === 'number' ? formatNumber(value) : String(value ?? '')
  }
  return formatTable(
    columns.map((c) => ({ header: c.header ?? c.key, align: c.align })),
    rows.map((row) => columns.map((c) => cell(c, row))),
  )
}

/**
 * A JSON array of the rows, every field as it is (numbers at full precision; NaN and missing as
 * null), so the field names are the rows' own and stay stable.
 */
export function rowsToJson(rows: object[]): string {
  return JSON.stringify(rows, (_key, value: unknown) => (typeof value === 'number' && !Number.isFinite(value) ? null : value), 2)
}

/**
 * CSV after RFC 4180: a header row of field names (those of `fields`, in order), CRLF line ends, a
 * field quoted when it holds a comma, a double quote, CR or LF, and quotes inside it doubled. NaN
 * and missing values are empty fields.
 */
export function rowsToCsv<R extends object>(fields: (keyof R & string)[], rows: R[]): string {
  const field = (value: unknown) => {
    const text = value === undefined || value === null || (typeof value === 'number' && !Number.isFinite(value)) ? '' : String(value)
    return /[",\r\n]/.test(text) ? `"${text.replaceAll('"', '""')}"` : text
  }
  return [fields.map(field), ...rows.map((row) => fields.map((f) => field(row[f])))].map((cells) => cells.join(',')).join('\r\n') + '\r\n'
}

/**
 * Rows in the chosen format: the text table under `title` (and `notes` after it), or JSON or CSV of
 * `fields` (default: the columns' keys) with nothing else, so a program can parse stdout whole.
 */
export function printRows<R extends object>(format: RowFormat, columns: Column<R>[], rows: R[], text: { title?: string; empty?: string; notes?: string[]; fields?: (keyof R & string)[] } = {}): string {
  const fields = text.fields ?? columns.map((c) => c.key)
  if (format === 'json') return rowsToJson(rows.map((row) => Object.fromEntries(fields.map((f) => [f, row[f] ?? null])))) + '\n'
  if (format === 'csv') return rowsToCsv(fields, rows)
  const body = rows.length === 0 && text.empty !== undefined ? text.empty : formatRows(columns, rows)
  return [...(text.title === undefined ? [] : [text.title]), body, ...(text.notes ?? [])].join('\n') + '\n'
}

/** The format asked for by `--json` / `--csv` (commander makes them conflict). */
export function rowFormatOf(options: { json?: boolean; csv?: boolean }): RowFormat {
  return options.json ? 'json' : options.csv ? 'csv' : 'table'
}

/** A MASE to four decimals, as the promotion's reason text quotes it, so a person sees one number. */
export const formatMase = (value: number) => (Number.isFinite(value) ? value.toFixed(4) : '-')

/** A number with a precision that suits its magnitude. */
export function formatNumber(value: number): string {
  if (!Number.isFinite(value)) return String(value)
  const abs = Math.abs(value)
  return value.toFixed(abs >= 1000 ? 0 : abs >= 10 ? 1 : 3)
}
