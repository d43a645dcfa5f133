/** The S3 object store against s3rver, a real S3-protocol server started here. */
import { test, before, after } from 'node:test'
import assert from 'node:assert/strict'
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { S3ObjectStore } from '../../jobs/io/s3-store.js'
import { readEvents } from '../../jobs/io/parquet-read.js'
import { startS3Store, type S3Server } from '../helpers/servers.js'
import { fixturesDir } from '../helpers/paths.js'

let s3: S3Server
let store: S3ObjectStore
before(async () => {
  ;({ s3, store } = await startS3Store('lake', 'team/gras'))
})
after(async () => s3.close())

test('put, get, list, listPrefixes and copy under a prefix', async () => {
  await store.put('bronze/gras/metric=G/year=2024/month=01/day=29/a.parquet', 'aaa')
  await store.put('bronze/gras/metric=R/year=2024/month=01/day=29/b.parquet', new Uint8Array([1, 2]))
  assert.deepEqual(await store.listPrefixes('bronze/gras'), ['bronze/gras/metric=G/', 'bronze/gras/metric=R/'])
  const listed = await store.list('bronze/gras/metric=G')
  assert.deepEqual(listed.map((o) => [o.key, o.size]), [['bronze/gras/metric=G/year=2024/month=01/day=29/a.parquet', 3]])
  assert.ok(listed[0].etag)
  assert.equal(new TextDecoder().decode(await store.get(listed[0].key)), 'aaa')
  assert.equal(await store.get('nothing/here.json'), undefined)
  await store.copy(listed[0].key, 'quarantine/a.parquet')
  assert.equal(new TextDecoder().decode(await store.get('quarantine/a.parquet')), 'aaa')
  assert.equal((await store.list('')).length, 3)
})

test('exists answers by a listing: the key itself, never a longer key that starts with it', async () => {
  await store.put('silver/gras/features/metric=G/cutoff=20240129T000000Z/_manifest.json', '{}')
  assert.equal(await store.exists('silver/gras/features/metric=G/cutoff=20240129T000000Z/_manifest.json'), true)
  assert.equal(await store.exists('silver/gras/features/metric=G/cutoff=20240129T000000Z/_manifest'), false)
  assert.equal(await store.exists('silver/gras/features/metric=G/_manifest.json'), false)
})

test('Parquet is read through ranged GETs without downloading the whole object', async () => {
  const name = 'duckdb-zstd-tz-bigint.parquet'
  const bytes = readFileSync(join(fixturesDir, 'foreign', name))
  await store.put(`raw/${name}`, bytes)
  const [info] = await store.list('raw')
  const buffer = await store.openBuffer(info)
  const events = await readEvents(buffer, info.key)
  assert.equal(events.tsMs.length, 8640)
  assert.ok(buffer.bytesFetched < bytes.length / 3, `fetched ${buffer.bytesFetched} of ${bytes.length}`)
})

test('unsafe keys never reach S3', async () => {
  await assert.rejects(store.put('../outside', 'x'), /unsafe object key/)
})
