/**
 * A metric without dimensions keeps its silver bytes: DuckDB writes three days of bronze, features
 * builds silver, and the feature file's SHA-256 must equal the one the code wrote before metrics
 * could have dimensions (computed with the same test on the commit that introduced series ids,
 * d938cf8). Any change to what a dimensionless metric's silver holds fails here.
 */
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { createHash } from 'node:crypto'
import { mkdirSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { DuckDBInstance } from '@duckdb/node-api'
import { runCli } from '../helpers/run-cli.js'
import { configDir, tempDir } from '../helpers/paths.js'

const goldenFeaturesSha256 = 'a1a5c5941f6873eab6fcefba79c31f3f48745e8e17cfc046563b4cb706c9cae5'

test('a dimensionless metric writes byte-identical silver and the same keys as before dimensions', { timeout: 120_000 }, async () => {
  const cwd = tempDir('silver-golden')
  const lake = join(cwd, '.gras/lake')
  const bronze = join(lake, 'bronze/gras/metric=G')
  mkdirSync(bronze, { recursive: true })
  const instance = await DuckDBInstance.create(':memory:')
  const db = await instance.connect()
  try {
    await db.run(`set timezone = 'UTC'`)
    await db.run(
      `copy (select ts, value, year(ts) as year, month(ts) as month, day(ts) as day from (select timestamp '2024-01-01 00:00:00' + to_minutes(i * 7) as ts, ((i * 37) % 101 + 0.25)::double as value from range(0, 3 * 24 * 60 // 7) t(i)) where ts < timestamp '2024-01-04') to '${bronze}' (format parquet, partition_by (year, month, day), overwrite_or_ignore)`,
    )
  } finally {
    db.closeSync()
  }
  const result = await runCli(['features', '--metrics', 'G', '--as-of', '2024-01-04T00:00:00Z', '--run-id', 'golden'], { cwd, env: { GRAS_CONFIG: configDir } })
  assert.equal(result.code, 0, result.stderr + result.stdout.slice(-2000))
  const cutoff = 'silver/gras/features/metric=G/cutoff=20240104T000000Z'
  const manifest = JSON.parse(readFileSync(join(lake, cutoff, '_manifest.json'), 'utf8')) as Record<string, unknown>
  assert.equal(manifest.dataKey, `${cutoff}/features.parquet`)
  assert.deepEqual(Object.keys(manifest), ['schemaVersion', 'metricId', 'runId', 'dataKey', 'rows', 'stepMs', 'startTs', 'endTs', 'filledSteps', 'window', 'inputFiles', 'skipped', 'quarantined', 'bytesRead'])
  assert.equal(manifest.metricId, 'G')
  const sha = createHash('sha256').update(readFileSync(join(lake, cutoff, 'features.parquet'))).digest('hex')
  assert.equal(sha, goldenFeaturesSha256)
})
