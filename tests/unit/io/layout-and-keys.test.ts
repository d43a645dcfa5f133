import { test } from 'node:test'
import assert from 'node:assert/strict'
import { bronzeDayPrefix, bronzePartitionDay, bronzePartitionValue, metricIdOfPackPrefix, metricIdOfPrefix, quarantineKeys, seriesIdOfPrefix, silverPackCutoffManifestKey, silverPackFeaturesKey, silverPackManifestKey } from '../../../jobs/core/lake-layout.js'
import { assertReadableKey, assertSafeKey } from '../../../jobs/io/object-store.js'
import { parseLakeUri } from '../../../jobs/io/lake.js'
import { toForecastItem, toPredictionItems } from '../../../jobs/infer/prediction-items.js'
import { toAttributes, fromAttributes } from '../../../jobs/io/predictions-table.js'

test('bronze partitions round-trip and invalid days are refused', () => {
  const day = Date.UTC(2024, 1, 29)
  const prefix = bronzeDayPrefix('G', day)
  assert.equal(prefix, 'bronze/gras/metric=G/year=2024/month=02/day=29')
  assert.equal(bronzePartitionDay(`${prefix}/part-0.parquet`), day)
  assert.equal(bronzePartitionDay('bronze/gras/metric=G/year=2023/month=02/day=29/x.parquet'), undefined)
  assert.equal(quarantineKeys(`${prefix}/a.parquet`).reason, `quarantine/${prefix}/a.parquet.reason.json`)
})

test('metric ids from partitions must match the allowed pattern', () => {
  assert.equal(metricIdOfPrefix('bronze/gras/metric=G_2/'), 'G_2')
  assert.equal(metricIdOfPrefix('bronze/gras/metric=..%2F/'), undefined)
  assert.equal(metricIdOfPrefix('bronze/gras/metric=a b/'), undefined)
})

test('silver and later prefixes name series ids; bronze prefixes only metric ids', () => {
  assert.equal(seriesIdOfPrefix('silver/gras/features/metric=G/'), 'G')
  assert.equal(seriesIdOfPrefix('silver/gras/features/metric=G~channel=web~region=eu%2Fwest/'), 'G~channel=web~region=eu%2Fwest')
  assert.equal(metricIdOfPrefix('bronze/gras/metric=G~region=eu/'), undefined, 'a bronze partition is a metric')
  // Not canonical: unsorted names, an escaped letter, lower-case hex.
  for (const id of ['G~region=eu~channel=web', 'G~region=%65u', 'G~region=eu%2fwest']) assert.equal(seriesIdOfPrefix(`silver/gras/features/metric=${id}/`), undefined, id)
})

test('a metric with dimensions has one silver pack folder, named by its metric id', () => {
  const cutoffMs = Date.UTC(2024, 0, 29, 10)
  assert.equal(silverPackFeaturesKey('O', cutoffMs), 'silver/gras/features/pack=O/cutoff=20240129T100000Z/features.parquet')
  assert.equal(silverPackCutoffManifestKey('O', cutoffMs), 'silver/gras/features/pack=O/cutoff=20240129T100000Z/_manifest.json')
  assert.equal(silverPackManifestKey('O'), 'silver/gras/features/pack=O/newest/_manifest.json')
  assert.equal(metricIdOfPackPrefix('silver/gras/features/pack=O/'), 'O')
  assert.equal(metricIdOfPackPrefix('silver/gras/features/pack=O~region=eu/'), undefined, 'a pack is a metric')
  assert.equal(metricIdOfPackPrefix('silver/gras/features/metric=O/'), undefined)
  assert.equal(seriesIdOfPrefix('silver/gras/features/pack=O/'), undefined, 'a pack is not a series')
})

test('unsafe keys are refused', () => {
  for (const key of ['../x', 'a/../../b', 'a//b', '/abs', 'a/\u0000/b', 'a/%2f/b', 'a/%/b', 'a/%zz/b', 'a/b%2']) assert.throws(() => assertSafeKey(key), /unsafe object key/, key)
  assert.equal(assertSafeKey('models/metric=G/v1/model.json'), 'models/metric=G/v1/model.json')
  // A series id's escapes as seriesIdOf writes them: a `/` in a value is `%2F`, never a folder.
  assert.equal(assertSafeKey('silver/gras/features/metric=G~channel=~region=eu%2Fwest%20%C3%A9/_manifest.json'), 'silver/gras/features/metric=G~channel=~region=eu%2Fwest%20%C3%A9/_manifest.json')
})

test('lake URIs', () => {
  assert.deepEqual(parseLakeUri('s3://my-lake/data/gras/'), { kind: 's3', bucket: 'my-lake', prefix: 'data/gras' })
  assert.deepEqual(parseLakeUri('.gras/lake'), { kind: 'local', path: '.gras/lake' })
  assert.throws(() => parseLakeUri('gs://x/y'), /unsupported scheme/)
  assert.throws(() => parseLakeUri('s3://A_B/x'), /no valid bucket/)
  assert.throws(() => parseLakeUri('s3:/bad'), /is not an S3 URI/)
})

test('prediction items follow the contract and are identical for the same run', () => {
  const points = { startMs: Date.UTC(2024, 0, 29, 14), stepMs: 3_600_000, mean: Float64Array.from([10.123456789123, 11]), lower: Float64Array.from([9, 10]), upper: Float64Array.from([11, 12]), level: 0.95 }
  const stamp = { seriesId: 'G', metricId: 'G', dimensions: {}, modelVersion: 'v1', runId: 'r1', generatedAtMs: points.startMs, ttlDays: 90 }
  const items = toPredictionItems(toForecastItem(points, stamp))
  assert.deepEqual(items, toPredictionItems(toForecastItem(points, stamp)))
  assert.equal(items[0].value, 10.1234568)
  assert.equal(items[0].timestamp, '2024-01-29T14:00:00Z')
  assert.equal(items[1].timestamp, '2024-01-29T15:00:00Z')
  assert.equal(items[0].ttl, points.startMs / 1000 + 90 * 86400)
  const attributes = toAttributes(items[0])
  assert.deepEqual(Object.keys(attributes).sort(), ['forecast', 'generated_at', 'interval_level', 'metric_id', 'model_version', 'run_id', 'timestamp', 'ttl'])
  assert.deepEqual(Object.keys(attributes.forecast.M!).sort(), ['lower', 'upper', 'value'])
  assert.deepEqual(fromAttributes(attributes), items[0])
})

test('bronze partitions may be padded or not; anything else names no day', () => {
  assert.equal(bronzePartitionDay('bronze/gras/metric=G/year=2024/month=1/day=5/x.parquet'), Date.UTC(2024, 0, 5))
  assert.equal(bronzePartitionDay('bronze/gras/metric=G/year=2024/month=01/day=05/x.parquet'), Date.UTC(2024, 0, 5))
  for (const folder of ['month=13', 'month=0', 'month=001', 'month=+1', 'month=1.0', 'month=', 'month=__HIVE_DEFAULT_PARTITION__']) assert.equal(bronzePartitionValue('month', folder), undefined, folder)
  assert.equal(bronzePartitionValue('year', 'year=24'), undefined)
  assert.equal(bronzePartitionDay('bronze/gras/metric=G/year=2024/month=2/day=30/x.parquet'), undefined)
})

test('quarantine keys: ours unchanged; any other key escaped into the closed alphabet, bounded, distinct, safe to write', () => {
  const prefix = 'bronze/gras/metric=G/year=2024/month=1/day=29'
  assert.equal(quarantineKeys(`${prefix}/a.parquet`).copy, `quarantine/${prefix}/a.parquet`)
  const keys = ['é.parquet', 'è.parquet', '2024-01-29T10:00:00Z.parquet', 'a+b.parquet', 'a_b.parquet', 'x (1).parquet', `${'n'.repeat(300)}.parquet`, `..`, `deep/${'d/'.repeat(300)}x.parquet`, `deep/${'d/'.repeat(480)}x.parquet`].map((name) => `${prefix}/${name}`)
  const copies = keys.map((key) => quarantineKeys(key))
  for (const [i, { copy, reason }] of copies.entries()) {
    assert.equal(assertSafeKey(copy), copy, keys[i])
    assert.equal(reason, `${copy}.reason.json`)
    assert.ok(copy.length <= 1024 - '.reason.json'.length, `${copy.length} chars`)
    for (const segment of reason.split('/')) assert.ok(segment.length <= 200, `segment of ${segment.length} chars`)
  }
  assert.equal(new Set(copies.map((c) => c.copy)).size, keys.length)
})

test('keys other writers chose are readable unless no store could hold them', () => {
  for (const key of ['bronze/é.parquet', 'bronze/2024-01-29T10:00:00Z.parquet', 'bronze/a+b (1).parquet', 'bronze/a//b', `bronze/${'n'.repeat(1000)}`]) assert.equal(assertReadableKey(key), key)
  for (const key of ['', `${'é'.repeat(513)}`]) assert.throws(() => assertReadableKey(key), /lake: object key of/, key)
})
