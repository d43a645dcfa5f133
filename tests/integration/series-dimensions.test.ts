/**
 * Metrics with dimensions end to end, through the built CLI, on bronze DuckDB writes: several
 * series per file become one silver pack per metric, a series under its series id, with the hourly values of
 * DuckDB's own GROUP BY over the same files; files that break the per-series rules are quarantined
 * with a reason and the others processed; and four series of one metric are forecast exactly as
 * four dimensionless metrics holding the same events are.
 */
import { test, after } from 'node:test'
import assert from 'node:assert/strict'
import { mkdirSync, readdirSync, readFileSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { DuckDBInstance } from '@duckdb/node-api'
import { parquetMetadata, parquetReadObjects } from 'hyparquet'
import { DynamoDBClient, ScanCommand } from '@aws-sdk/client-dynamodb'
import { seriesIdOf } from '../../jobs/core/series-id.js'
import { embeddedDynamoDir, startEmbeddedDynamo } from '../../jobs/io/embedded-dynamo.js'
import { readNewestForecast } from '../../jobs/io/forecasts-table.js'
import { configDirWith, runCli } from '../helpers/run-cli.js'
import { tempDir } from '../helpers/paths.js'

const instance = await DuckDBInstance.create(':memory:')
const db = await instance.connect()
await db.run(`set timezone = 'UTC'`)
after(() => db.closeSync())

const settings = `
metrics:
  D:
    aggregation: sum
    dimensions: [region, channel]
  Q:
    dimensions: [region]
  M:
    dimensions: [k]
train:
  candidates: [snaive, ets, theta]
  backtestOrigins: 3
`
const config = configDirWith(settings)

function lakeIn(cwd: string): string {
  return join(cwd, '.gras/lake')
}

/** DuckDB writes `select` (with ts) to the metric's bronze, partitioned by day as Spark and DuckDB do. */
async function writeBronze(lake: string, metric: string, select: string): Promise<void> {
  const dir = join(lake, `bronze/gras/metric=${metric}`)
  mkdirSync(dir, { recursive: true })
  await db.run(`copy (select *, year(ts) as year, month(ts) as month, day(ts) as day from (${select})) to '${dir}' (format parquet, partition_by (year, month, day), overwrite_or_ignore)`)
}

/** DuckDB writes `select` to one file of a day partition. */
async function writeFile(lake: string, metric: string, day: string, name: string, select: string): Promise<void> {
  const path = join(lake, `bronze/gras/metric=${metric}/year=2024/month=01/day=${day}/${name}`)
  mkdirSync(dirname(path), { recursive: true })
  await db.run(`copy (${select}) to '${path}' (format parquet)`)
}

const parsers = { timestampFromMilliseconds: (v: bigint) => Number(v), timestampFromMicroseconds: (v: bigint) => Number(v / 1000n) }

function bytesOf(path: string): ArrayBuffer {
  const bytes = readFileSync(path)
  return bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer
}

interface PackSeries {
  seriesId: string
  dimensions: Record<string, string | null>
  rowStart: number
  rows: number
  files: number
  events: number
}

/** The newest pack manifest of metric `metricId`: every series of it in one features file. */
function packOf(lake: string, metricId: string): Record<string, unknown> & { dataKey: string; series: PackSeries[] } {
  return JSON.parse(readFileSync(join(lake, `silver/gras/features/pack=${metricId}/newest/_manifest.json`), 'utf8'))
}

function seriesOf(lake: string, seriesId: string): PackSeries {
  const found = packOf(lake, seriesId.split('~')[0]).series.find((s) => s.seriesId === seriesId)
  assert.ok(found, `${seriesId} in its pack`)
  return found
}

/** The rows of one series in its metric's pack, read by hyparquet from the row range its manifest names. */
async function silverRows(lake: string, seriesId: string): Promise<{ series_id: string; ts: number; value: number; observed: boolean; event_count: number }[]> {
  const { rowStart, rows } = seriesOf(lake, seriesId)
  return (await parquetReadObjects({ file: bytesOf(join(lake, packOf(lake, seriesId.split('~')[0]).dataKey)), rowStart, rowEnd: rowStart + rows, parsers })) as never
}

test('several series per DuckDB file: one silver pack, a series per id in it, with the hourly values of DuckDB\'s GROUP BY', { timeout: 120_000 }, async () => {
  const cwd = tempDir('dims-duckdb')
  const lake = lakeIn(cwd)
  const regions = `['eu', 'us west/coast', 'Zürich 東京', null]`
  await writeBronze(
    lake,
    'D',
    `select timestamp '2024-01-01 00:00:00' + to_minutes(i * 10) as ts, ((i * 7) % 23 + 0.5)::double as value,
       ${regions}[1 + (i // 3) % 4] as region, ['web', 'app'][1 + i % 2] as channel, md5(i::varchar) as payload
     from range(0, 3 * 24 * 6) t(i)`,
  )
  const result = await runCli(['features', '--metrics', 'D', '--as-of', '2024-01-04T00:00:00Z', '--run-id', 'dims-1'], { cwd, env: { GRAS_CONFIG: config } })
  assert.equal(result.code, 0, result.stderr + result.stdout.slice(-2000))

  const groups = (await db.runAndReadAll(`select region, channel, epoch_ms(date_trunc('hour', ts))::bigint, sum(value)::double, count(*)::int from read_parquet('${lake}/bronze/gras/metric=D/*/*/*/*.parquet') group by all order by all`)).getRows()
  const truth = new Map<string, Map<number, { sum: number; count: number }>>()
  for (const [region, channel, ts, sum, count] of groups) {
    const id = seriesIdOf('D', { region: region as string | null, channel: channel as string })
    if (!truth.has(id)) truth.set(id, new Map())
    truth.get(id)!.set(Number(ts), { sum: Number(sum), count: Number(count) })
  }
  assert.equal(truth.size, 8)
  assert.deepEqual(readdirSync(join(lake, 'silver/gras/features')), ['pack=D'], 'one pack for the metric')
  const silverIds = packOf(lake, 'D').series.map((s) => s.seriesId)
  assert.deepEqual(silverIds, [...truth.keys()].sort())
  assert.ok(silverIds.includes('D~channel=web~region=Z%C3%BCrich%20%E6%9D%B1%E4%BA%AC'), silverIds.join(' '))
  assert.ok(silverIds.includes('D~channel=app~region=us%20west%2Fcoast'), 'a / in a value is escaped, never a folder')
  assert.ok(silverIds.includes('D~channel=web~region='), 'a null region is the empty value')
  for (const [id, hours] of truth) {
    const rows = await silverRows(lake, id)
    assert.ok(rows.every((r) => r.series_id === id), id)
    const observed = rows.filter((r) => r.observed)
    assert.equal(observed.length, hours.size, id)
    for (const row of observed) {
      const want = hours.get(row.ts)!
      assert.ok(want, `${id}: ${new Date(row.ts).toISOString()} has events in DuckDB's read`)
      assert.equal(row.event_count, want.count, `${id} ${new Date(row.ts).toISOString()}`)
      assert.ok(Math.abs(row.value - want.sum) < 1e-9, `${id} ${new Date(row.ts).toISOString()}: ${row.value} vs ${want.sum}`)
    }
  }
  const id = 'D~channel=app~region=us%20west%2Fcoast'
  const pack = packOf(lake, 'D')
  const series = seriesOf(lake, id)
  assert.deepEqual([pack.metricId, series.seriesId, series.dimensions], ['D', id, { region: 'us west/coast', channel: 'app' }])
  assert.equal(series.events, [...truth.get(id)!.values()].reduce((sum, h) => sum + h.count, 0), 'rows of this series')
  assert.equal(series.files, 3, 'the three daily files hold it')
  const kv = Object.fromEntries((parquetMetadata(bytesOf(join(lake, pack.dataKey))).key_value_metadata ?? []).map((e) => [e.key, e.value]))
  assert.deepEqual([kv['gras.schema_version'], kv['gras.metric_id'], JSON.parse(kv['gras.dimension_names']!)], ['2', 'D', ['region', 'channel']])
  assert.deepEqual(seriesOf(lake, 'D~channel=web~region=').dimensions, { region: null, channel: 'web' })
  const done = result.logs.find((l) => l.msg === 'job finished')
  assert.equal(done?.failed, 0)
})

test('a file without a dimension column, with one of another type, or with a (series, ts) twice is quarantined naming why; the same ts in two series is fine', { timeout: 120_000 }, async () => {
  const cwd = tempDir('dims-quarantine')
  const lake = lakeIn(cwd)
  const rows = (regions: string) => `select timestamp '2024-01-02 00:00:00' + to_minutes(i * 30) as ts, i::double as value, r as region from range(0, 48) t(i), (select unnest(${regions}) as r)`
  await writeFile(lake, 'Q', '02', 'good.parquet', rows(`['eu', 'us']`))
  await writeFile(lake, 'Q', '02', 'no-region.parquet', `select timestamp '2024-01-02 12:00:05' as ts, 1.0::double as value`)
  await writeFile(lake, 'Q', '02', 'double-region.parquet', `select timestamp '2024-01-02 12:00:06' as ts, 1.0::double as value, 2.5::double as region`)
  await writeFile(lake, 'Q', '02', 'twice.parquet', `select timestamp '2024-01-02 13:00:07' as ts, v::double as value, 'eu' as region from range(0, 2) t(v)`)
  await writeFile(lake, 'Q', '03', 'next.parquet', rows(`['eu']`).replace('2024-01-02', '2024-01-03'))
  const result = await runCli(['features', '--metrics', 'Q', '--as-of', '2024-01-04T00:00:00Z', '--run-id', 'dims-q'], { cwd, env: { GRAS_CONFIG: config } })
  assert.equal(result.code, 0, result.stderr + result.stdout.slice(-2000))
  const day = 'bronze/gras/metric=Q/year=2024/month=01/day=02'
  const pack = packOf(lake, 'Q')
  assert.deepEqual(
    (pack.quarantined as { key: string; reason: string }[]).map((q) => [q.key, q.reason]).sort(),
    [
      [`${day}/double-region.parquet`, `parquet: ${day}/double-region.parquet: dimension column region has type DOUBLE (expected BYTE_ARRAY annotated UTF8/STRING, INT32 or INT64)`],
      [`${day}/no-region.parquet`, `parquet: ${day}/no-region.parquet: missing dimension column region (found ts, value)`],
      [`${day}/twice.parquet`, `${day}/twice.parquet: ts: duplicate timestamp 2024-01-02T13:00:07.000000Z in series Q~region=eu`],
    ],
  )
  assert.deepEqual((pack.inputFiles as { key: string; rows: number }[]).map((f) => [f.key.split('/').pop(), f.rows]), [['good.parquet', 96], ['next.parquet', 48]])
  assert.deepEqual([seriesOf(lake, 'Q~region=eu').files, seriesOf(lake, 'Q~region=eu').events], [2, 96])
  assert.deepEqual([seriesOf(lake, 'Q~region=us').files, seriesOf(lake, 'Q~region=us').events], [1, 48])
  assert.equal((await silverRows(lake, 'Q~region=us')).filter((r) => r.observed).length, 24)
  const reason = JSON.parse(readFileSync(join(lake, `quarantine/${day}/no-region.parquet.reason.json`), 'utf8'))
  assert.match(reason.reason, /missing dimension column region/)
})

/** Four series with their own level, cycle and noise, every 15 minutes for three weeks. */
const fourSeries = `select timestamp '2024-01-01 00:00:00' + to_minutes(i * 15) as ts,
    (10 * (1 + kk) + (5 + kk) * sin(2 * pi() * (i % 96) / 96.0 + kk) + ((i * 37 + kk * 11) % 17) / 4.0)::double as value,
    ['a', 'b', 'c', 'd'][1 + kk] as k
  from range(0, 21 * 96) t(i), range(0, 4) s(kk)`

test('four series of one metric are forecast exactly as four dimensionless metrics with the same events are (values and bounds)', { timeout: 600_000 }, async () => {
  const together = tempDir('dims-together')
  const apart = tempDir('dims-apart')
  await writeBronze(lakeIn(together), 'M', fourSeries)
  for (const [n, k] of ['a', 'b', 'c', 'd'].entries()) await writeBronze(lakeIn(apart), `M${n + 1}`, `select ts, value from (${fourSeries}) where k = '${k}'`)
  const args = ['pipeline', '--as-of', '2024-01-22T00:00:00Z', '--run-id', 'eq-1', '--workers', '1']
  const env = { GRAS_CONFIG: config }
  const [one, four] = [await runCli(args, { cwd: together, env }), await runCli(args, { cwd: apart, env })]
  assert.equal(one.code, 0, one.stderr + one.stdout.slice(-2000))
  assert.equal(four.code, 0, four.stderr + four.stdout.slice(-2000))
  // One copy per group and run, its rows naming their series: the four series' copy is M's.
  const forecasts = async (cwd: string, id: string) => {
    const dir = join(lakeIn(cwd), `predictions/metric=${id.split('~')[0]}/date=20240122`)
    const rows = (await parquetReadObjects({ file: bytesOf(join(dir, 'eq-1.parquet')), columns: ['timestamp', 'value', 'lower', 'upper', 'series_id'], parsers })) as { timestamp: number; value: number; lower: number; upper: number; series_id?: string }[]
    return rows.filter((r) => r.series_id === id).map((r) => ({ timestamp: r.timestamp, value: r.value, lower: r.lower, upper: r.upper }))
  }
  assert.deepEqual(readdirSync(join(lakeIn(together), 'predictions')), ['metric=M'], 'one copy folder for the four series')
  for (const [n, k] of ['a', 'b', 'c', 'd'].entries()) {
    const series = await forecasts(together, `M~k=${k}`)
    assert.equal(series.length, 48)
    assert.deepEqual(series, await forecasts(apart, `M${n + 1}`), `M~k=${k} vs M${n + 1}`)
  }
  const trained = one.logs.filter((l) => l.job === 'train' && l.msg === 'model trained').map((l) => l.metric)
  assert.deepEqual(trained.sort(), ['M~k=a', 'M~k=b', 'M~k=c', 'M~k=d'], 'train ran on the four series')

  // The views take series ids; a metric with dimensions stands for its series where that is meant.
  const models = await runCli(['models', 'list', '--json'], { cwd: together, env, allowText: true })
  assert.equal(models.code, 0, models.stderr)
  const listed = JSON.parse(models.stdout) as { metricId: string }[]
  assert.deepEqual([...new Set(listed.map((m) => m.metricId))].filter((m) => m !== '_neural').sort(), ['M~k=a', 'M~k=b', 'M~k=c', 'M~k=d'])
  const byMetric = await runCli(['models', 'list', '--metrics', 'M', '--json'], { cwd: together, env, allowText: true })
  assert.deepEqual([...new Set((JSON.parse(byMetric.stdout) as { metricId: string }[]).map((m) => m.metricId))].sort(), ['M~k=a', 'M~k=b', 'M~k=c', 'M~k=d'])
  const one1 = await runCli(['predictions', '--metric', 'M~k=b', '--from', '2024-01-22T00:00:00Z', '--json'], { cwd: together, env, allowText: true })
  assert.equal(one1.code, 0, one1.stderr)
  assert.ok(Array.isArray(JSON.parse(one1.stdout)), 'a series id is a --metric (its 2024 items are past their ttl: none shown)')
  const whole = await runCli(['predictions', '--metric', 'M'], { cwd: together, env, allowText: true })
  assert.equal(whole.code, 64)
  assert.match(whole.stderr, /predictions: --metric M: the metric has dimensions; give one of its series \(M~k=a, M~k=b, M~k=c, M~k=d\)/)
  const unknown = await runCli(['infer', '--metrics', 'M~k=zz', '--as-of', '2024-01-22T00:00:00Z'], { cwd: together, env })
  assert.equal(unknown.code, 66)
  assert.match(unknown.stderr, /unknown series M~k=zz: not in the newest silver\/gras\/features\/pack=M\//)
  const single = await runCli(['infer', '--metrics', 'M~k=c', '--as-of', '2024-01-22T00:00:00Z', '--run-id', 'eq-2'], { cwd: together, env })
  assert.equal(single.code, 0, single.stderr)
  assert.deepEqual([...new Set(single.logs.filter((l) => l.msg === 'forecast written').map((l) => l.metric))], ['M~k=c'])

  // The Java app's one request names the series; its item names the metric and the dimension values,
  // and the version 1 table, whose key names only a metric, holds nothing of a series with dimensions.
  const server = await startEmbeddedDynamo(embeddedDynamoDir(lakeIn(together), undefined))
  try {
    const client = new DynamoDBClient({ endpoint: server.endpoint, region: 'local', credentials: { accessKeyId: 'x', secretAccessKey: 'x' } })
    const item = await readNewestForecast(client, 'gras-forecasts', 'M~k=c')
    assert.deepEqual([item?.seriesId, item?.metricId, item?.dimensions, item?.runId], ['M~k=c', 'M', { k: 'c' }, 'eq-2'])
    const v1 = await client.send(new ScanCommand({ TableName: 'gras-predictions' }))
    assert.deepEqual(v1.Items, [])
    client.destroy()
  } finally {
    await server.close()
  }
})
