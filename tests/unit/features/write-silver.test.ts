import { test } from 'node:test'
import assert from 'node:assert/strict'
import { existsSync } from 'node:fs'
import { join } from 'node:path'
import { LocalObjectStore } from '../../../jobs/io/local-store.js'
import { encodeParquet } from '../../../jobs/io/parquet-write.js'
import { writeSilver } from '../../../jobs/features/write-silver.js'
import { readSilverSeries } from '../../../jobs/io/silver-reader.js'
import { silverFeaturesKey, silverFeaturesPrefix } from '../../../jobs/core/lake-layout.js'
import type { FeaturesManifest } from '../../../jobs/io/silver-manifest.js'
import { InputMissingError } from '../../../jobs/core/errors.js'
import { tempDir } from '../../helpers/paths.js'

const hour = 3_600_000
const t = Date.UTC(2024, 0, 29)
const iso = (ms: number) => new Date(ms).toISOString().replace('.000Z', 'Z')

/** A `rows`-hour silver table ending at `endMs`, every value `level`. */
function silverAt(endMs: number, level: number, dataKey = silverFeaturesKey('G', endMs), rows = 48): { manifest: FeaturesManifest; data: Uint8Array } {
  const startMs = endMs - rows * hour
  const data = encodeParquet([
    { name: 'ts', type: 'TIMESTAMP', data: Float64Array.from({ length: rows }, (_, i) => startMs + i * hour) },
    { name: 'value', type: 'DOUBLE', data: new Float64Array(rows).fill(level) },
    { name: 'observed', type: 'BOOLEAN', data: new Array(rows).fill(true) },
  ])
  const manifest: FeaturesManifest = {
    schemaVersion: 1,
    metricId: 'G',
    runId: `run-${level}`,
    dataKey,
    rows,
    stepMs: hour,
    startTs: iso(startMs),
    endTs: iso(endMs),
    filledSteps: 0,
    window: { start: iso(startMs), end: iso(endMs) },
    inputFiles: [],
    quarantined: [],
    bytesRead: 0,
  }
  return { manifest, data }
}

test('an older cutoff is written under its own folder and never replaces the newest silver', async () => {
  const root = tempDir('write-silver')
  const lake = new LocalObjectStore(root)
  const present = silverAt(t, 1)
  assert.deepEqual(await writeSilver(lake, present.manifest, present.data), { latest: true, newestCutoff: iso(t) })
  const backfill = silverAt(t - 7 * 24 * hour, 2)
  assert.deepEqual(await writeSilver(lake, backfill.manifest, backfill.data), { latest: false, newestCutoff: iso(t) })
  assert.ok(existsSync(join(root, silverFeaturesPrefix('G'), 'cutoff=20240122T000000Z/_manifest.json')))

  assert.equal((await readSilverSeries(lake, 'G')).manifest.runId, 'run-1', 'no cutoff: the newest')
  assert.equal((await readSilverSeries(lake, 'G', t + 5 * hour)).series.values[0], 1, 'a later cutoff without silver of its own: the newest, which is older')
  assert.equal((await readSilverSeries(lake, 'G', t - 7 * 24 * hour)).series.values[0], 2, 'a past cutoff: its own silver')
  await assert.rejects(readSilverSeries(lake, 'G', t - 3 * 24 * hour), (error: Error) => {
    assert.ok(error instanceof InputMissingError)
    assert.match(error.message, /no features for metric G as of 2024-01-26T00:00:00Z .*cutoff=20240126T000000Z\/_manifest.json missing; the newest, 2024-01-29T00:00:00Z, is later\): run gras features --as-of 2024-01-26T00:00:00Z first/)
    return true
  })

  // A rerun of the same cutoff (late bronze files) replaces it; a newer cutoff moves the newest forward.
  const rerun = silverAt(t, 3)
  assert.equal((await writeSilver(lake, rerun.manifest, rerun.data)).latest, true)
  assert.equal((await readSilverSeries(lake, 'G')).series.values[0], 3)
  const next = silverAt(t + hour, 4)
  assert.equal((await writeSilver(lake, next.manifest, next.data)).latest, true)
  assert.equal((await readSilverSeries(lake, 'G', t)).series.values[0], 3, 'the cutoff asked for, although a newer one exists')
  assert.equal((await readSilverSeries(lake, 'G')).series.values[0], 4)
})

test('a lake from before cutoff folders (one features.parquet) stays readable, and the next run moves it forward', async () => {
  const lake = new LocalObjectStore(tempDir('legacy-silver'))
  const legacy = silverAt(t, 1, `${silverFeaturesPrefix('G')}/features.parquet`)
  await lake.put(legacy.manifest.dataKey, legacy.data)
  await lake.put(`${silverFeaturesPrefix('G')}/_manifest.json`, JSON.stringify(legacy.manifest))
  assert.equal((await readSilverSeries(lake, 'G')).series.values[0], 1)
  assert.equal((await readSilverSeries(lake, 'G', t + hour)).series.values[0], 1)
  const backfill = silverAt(t - 24 * hour, 2)
  assert.equal((await writeSilver(lake, backfill.manifest, backfill.data)).latest, false)
  assert.equal((await readSilverSeries(lake, 'G')).series.values[0], 1)
  const next = silverAt(t + hour, 3)
  assert.equal((await writeSilver(lake, next.manifest, next.data)).latest, true)
  assert.equal((await readSilverSeries(lake, 'G')).series.values[0], 3)
})
