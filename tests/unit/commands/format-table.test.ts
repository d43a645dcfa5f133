/**
 * Tables, JSON and CSV of the view commands. The CSV is read back by DuckDB's CSV reader (a parser
 * we did not write), with RFC 4180's quote and escape characters.
 */
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { DuckDBInstance } from '@duckdb/node-api'
import { formatRows, printRows, rowsToCsv, rowsToJson, type Column } from '../../../jobs/commands/format-table.js'
import { modelRows, printModelListings, shortenVersion } from '../../../jobs/commands/models.js'
import type { ModelVersionRecord } from '../../../jobs/io/model-registry.js'
import { tempDir } from '../../helpers/paths.js'

interface Row {
  name: string
  value: number
  note: string
}
const columns: Column<Row>[] = [
  { key: 'name', align: 'left' },
  { key: 'value', align: 'right' },
  { key: 'note', align: 'left' },
]

test('each column and its header are aligned the same way: text left, numbers right', () => {
  const table = formatRows(columns, [
    { name: 'a-long-name', value: 1.5, note: 'x' },
    { name: 'b', value: 1234.5, note: 'longer note' },
  ])
  const [header, rule, first, second] = table.split('\n')
  assert.equal(header, 'name         value  note')
  assert.equal(rule, '-----------  -----  -----------')
  assert.equal(first, 'a-long-name  1.500  x')
  assert.equal(second, 'b             1235  longer note')
  // Every cell of a right-aligned column ends where its header ends; a left one starts where it starts.
  const valueEnd = header.indexOf('value') + 'value'.length
  for (const line of [first, second]) assert.match(line.slice(0, valueEnd), /\d$/)
  assert.equal(second.indexOf('longer'), header.indexOf('note'))
})

const awkward: Row[] = [
  { name: 'plain', value: 1, note: '' },
  { name: 'comma, inside', value: 2.25, note: 'say "hi"' },
  { name: 'line\nbreak', value: Number.NaN, note: 'cr\r\nlf' },
]

test('CSV follows RFC 4180 and DuckDB reads back every field', async () => {
  const csv = rowsToCsv(['name', 'value', 'note'], awkward)
  assert.ok(csv.startsWith('name,value,note\r\n'), 'a header row, CRLF line ends')
  assert.match(csv, /\r\n"comma, inside",2\.25,"say ""hi"""\r\n/)
  const path = join(tempDir('csv'), 'rows.csv')
  writeFileSync(path, csv)
  const db = await (await DuckDBInstance.create(':memory:')).connect()
  const reader = await db.runAndReadAll(`select name, value, note from read_csv('${path}', header = true, quote = '"', escape = '"', columns = {'name': 'VARCHAR', 'value': 'DOUBLE', 'note': 'VARCHAR'})`)
  assert.deepEqual(reader.getRowObjectsJS(), [
    { name: 'plain', value: 1, note: null },
    { name: 'comma, inside', value: 2.25, note: 'say "hi"' },
    { name: 'line\nbreak', value: null, note: 'cr\r\nlf' },
  ])
})

test('JSON is an array of objects with the rows\' field names; NaN is null', () => {
  assert.deepEqual(JSON.parse(rowsToJson(awkward)), [
    { name: 'plain', value: 1, note: '' },
    { name: 'comma, inside', value: 2.25, note: 'say "hi"' },
    { name: 'line\nbreak', value: null, note: 'cr\r\nlf' },
  ])
  // Only the fields asked for, in order, and nothing but the array on stdout.
  const out = printRows('json', columns, awkward, { title: 'a title', notes: ['a note'], fields: ['value', 'name'] })
  assert.deepEqual(Object.keys(JSON.parse(out)[0]), ['value', 'name'])
  assert.doesNotMatch(out, /a title|a note/)
})

const record = (version: string, backtestMase: number): ModelVersionRecord => ({
  metricId: 'G',
  version,
  runId: 'r',
  model: 'ets',
  backtestMase,
  artifactKey: 'k',
  createdAt: '2026-01-01T00:00:00.000Z',
  decision: 'kept',
  reason: `backtest MASE ${backtestMase.toFixed(4)} does not beat 0.6000 (approved 0.6316 less 5%)`,
})

test('versions shorten to the shortest unique prefix of at least 12 characters, like git', () => {
  const a = 'v20260101T000000Z-local-20260101T000501Z-ab12'
  const b = 'v20260102T000000Z-local-20260102T000501Z-cd34'
  const c = 'v20260102T000000Z-local-20260102T010501Z-ef56'
  assert.equal(shortenVersion(a, [a]), 'v20260101T00')
  assert.equal(shortenVersion(a, [a, b, c]), 'v20260101T00')
  assert.equal(shortenVersion(b, [a, b, c]), 'v20260102T000000Z-local-20260102T00')
  assert.equal(shortenVersion(c, [a, b, c]), 'v20260102T000000Z-local-20260102T01')
  assert.equal(shortenVersion('v1', ['v1']), 'v1')
})

test('models list shows the registry MASE to the four decimals the reason quotes', () => {
  const version = 'v20260101T000000Z-run-1'
  const listing = { metricId: 'G', approved: { version, previous: [], updatedAt: '', updatedBy: '' }, versions: [record(version, 0.69731)] }
  const table = printModelListings([listing], 'table')
  const [header, , row] = table.split('\n')
  assert.match(row, /^G\s+v20260101T00\s+ets\s+0\.6973\s+approved\s+2026-01-01/)
  assert.equal(row.indexOf('0.6973') + 6, header.indexOf('mase') + 4, 'the MASE column is right-aligned under its header')
  assert.ok(record(version, 0.69731).reason.includes('0.6973'))
  const [json] = JSON.parse(printModelListings([listing], 'json')) as Record<string, unknown>[]
  assert.deepEqual(json, { ...modelRows([listing])[0], backtestMase: 0.69731 })
  assert.equal(json.shortVersion, 'v20260101T00')
  assert.equal(json.version, version)
})
