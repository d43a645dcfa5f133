/**
 * Bronze keys as another writer names them, against s3rver (a real S3-protocol server): the Java
 * app puts objects with its own client under any S3-legal name; the store lists, reads and
 * quarantines them, and writes only keys of our closed alphabet.
 */
import { test, before, after } from 'node:test'
import assert from 'node:assert/strict'
import { PutObjectCommand } from '@aws-sdk/client-s3'
import { encodeCopySource, S3ObjectStore } from '../../jobs/io/s3-store.js'
import { readEvents } from '../../jobs/io/parquet-read.js'
import { quarantineKeys } from '../../jobs/core/lake-layout.js'
import { startS3Store, type S3Server } from '../helpers/servers.js'
import { encodeParquet, eventsFileSpec } from '../helpers/parquet-bytes.js'

let s3: S3Server
let store: S3ObjectStore
before(async () => {
  ;({ s3, store } = await startS3Store('lake', 'team/gras'))
})
after(async () => s3.close())

const dayPrefix = 'bronze/gras/metric=G/year=2024/month=1/day=29'
const names = ['é.parquet', '2024-01-29T10:00:00Z.parquet', 'a+b.parquet', 'x (1).parquet', 'with space.parquet', '100%.parquet', `${'n'.repeat(192)}.parquet`]
// 200 characters: s3rver keeps each object in a file named after its key plus a suffix, so 240
// (tests/integration/bronze-layout.test.ts, on the local store) exceeds its file system's limit.

test('objects under any S3-legal name are listed, read by ranged GETs and quarantined', async () => {
  const day = Date.UTC(2024, 0, 29)
  for (const [k, name] of names.entries()) {
    const body = encodeParquet(eventsFileSpec([BigInt(day + k * 3_600_000) * 1000n], [k]))
    await s3.client.send(new PutObjectCommand({ Bucket: 'lake', Key: `team/gras/${dayPrefix}/${name}`, Body: body }))
  }
  const level = await store.listLevel(dayPrefix)
  assert.deepEqual(level.objects.map((o) => o.key.slice(dayPrefix.length + 1)).sort(), [...names].sort())
  for (const info of level.objects) {
    const events = await readEvents(await store.openBuffer(info), info.key)
    assert.equal(events.values[0], names.indexOf(info.key.slice(dayPrefix.length + 1)))
    // s3rver decodes x-amz-copy-source with decodeURI (lib/controllers/object.js), which leaves
    // %2B as it is where S3 decodes it to '+': the copy of that name is checked on the header alone.
    if (info.key.includes('+')) continue
    const keys = quarantineKeys(info.key)
    await store.copy(info.key, keys.copy)
    assert.deepEqual(await store.get(keys.copy), await store.get(info.key), info.key)
  }
  assert.equal(encodeCopySource(`${dayPrefix}/a+b?#%é.parquet`), `${dayPrefix}/a%2Bb%3F%23%25%C3%A9.parquet`)
  assert.equal(decodeURIComponent(encodeCopySource(`${dayPrefix}/2024-01-29T10:00:00Z (1).parquet`)), `${dayPrefix}/2024-01-29T10:00:00Z (1).parquet`)
  const quarantined = new Set(level.objects.map((o) => quarantineKeys(o.key).copy))
  assert.equal(quarantined.size, names.length, 'no two names share a quarantine key')
  await assert.rejects(store.put(`${dayPrefix}/é.parquet`, 'x'), /unsafe object key/, 'keys we write keep the closed alphabet')
})
