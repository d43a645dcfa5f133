/** The Parquet copy of a run, read by DuckDB (a reader we did not write): the series named in `series_id` and `metric_id`, the version 1 columns kept. */
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { DuckDBInstance } from '@duckdb/node-api'
import { encodePredictionsCopy, toForecastItem, toPredictionItems } from '../../../jobs/infer/prediction-items.js'
import { seriesIdOf } from '../../../jobs/core/series-id.js'
import { tempDir } from '../../helpers/paths.js'

test('DuckDB reads series_id and metric_id beside the version 1 columns, in their order', async () => {
  const seriesId = seriesIdOf('R', { channel: 'web', region: 'eu' })
  const startMs = Date.UTC(2024, 0, 29, 14)
  const mean = Float64Array.from([10.5, 11.25, 12])
  const points = { startMs, stepMs: 3_600_000, mean, lower: mean.map((v) => v - 1), upper: mean.map((v) => v + 1), level: 0.95 }
  const forecast = toForecastItem(points, { seriesId, metricId: 'R', dimensions: { channel: 'web', region: 'eu' }, modelVersion: 'v1', runId: 'run-1', generatedAtMs: startMs, ttlDays: 90 })
  const path = join(tempDir('predictions-copy'), 'run-1.parquet')
  writeFileSync(path, encodePredictionsCopy([{ seriesId: forecast.seriesId, items: toPredictionItems(forecast) }]))
  const instance = await DuckDBInstance.create(':memory:')
  const db = await instance.connect()
  try {
    const columns = (await db.runAndReadAll(`describe select * from read_parquet('${path}')`)).getRows().map((r) => `${r[0]} ${r[1]}`)
    assert.deepEqual(columns, [
      'metric_id VARCHAR',
      'timestamp TIMESTAMP',
      'value DOUBLE',
      'lower DOUBLE',
      'upper DOUBLE',
      'interval_level DOUBLE',
      'model_version VARCHAR',
      'run_id VARCHAR',
      'generated_at TIMESTAMP',
      'series_id VARCHAR',
    ])
    const rows = (await db.runAndReadAll(`select series_id, metric_id, epoch_ms(timestamp)::bigint, value from read_parquet('${path}') order by timestamp`)).getRows()
    assert.deepEqual(rows.map((r) => [r[0], r[1], Number(r[2]), r[3]]), [
      ['R~channel=web~region=eu', 'R', startMs, 10.5],
      ['R~channel=web~region=eu', 'R', startMs + 3_600_000, 11.25],
      ['R~channel=web~region=eu', 'R', startMs + 7_200_000, 12],
    ])
  } finally {
    db.closeSync()
    instance.closeSync()
  }
})
