/**
 * The lake in S3 (or any S3-protocol server). Objects are read by ranged GETs through an
 * AsyncBuffer, so the Parquet reader fetches only the footer and the column chunks it needs.
 * Retries and backoff are the SDK's standard mode (AWS_MAX_ATTEMPTS / AWS_RETRY_MODE apply).
 */
import {
  CopyObjectCommand,
  GetObjectCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  type S3Client,
} from '@aws-sdk/client-s3'
import { assertReadableKey, assertSafeKey, joinKey, type CountingBuffer, type ObjectInfo, type ObjectStore } from './object-store.js'
import { backoffDelayMs, sleep } from './backoff.js'
import { TransientError } from '../core/errors.js'

const listedObjectAttempts = 6

/**
 * Reads an object that a listing just returned. A 404 then means the read reached a replica that
 * has not seen the object yet (S3-compatible stores with eventual consistency): retry with backoff;
 * if it persists, it is transient, not missing input.
 */
async function readListedObject(send: () => Promise<{ Body?: { transformToByteArray(): Promise<Uint8Array> } }>, key: string): Promise<Uint8Array> {
  return retryWhileMissing(async () => (await send()).Body!.transformToByteArray(), key)
}

async function retryWhileMissing<T>(call: () => Promise<T>, key: string): Promise<T> {
  for (let attempt = 0; ; attempt++) {
    try {
      return await call()
    } catch (error) {
      const name = (error as { name?: string }).name
      if ((name !== 'NoSuchKey' && name !== 'NotFound') || attempt + 1 >= listedObjectAttempts) {
        if (name === 'NoSuchKey' || name === 'NotFound') throw new TransientError(`s3: ${key} was listed but still reads as missing after ${listedObjectAttempts} attempts`, { cause: error })
        throw error
      }
      await sleep(backoffDelayMs(attempt, 100, 2000))
    }
  }
}

/**
 * A key as CopyObject's `x-amz-copy-source` wants it: URL-encoded, so '+', '?', '#', '%' and
 * non-ASCII reach S3 as themselves. Characters a path segment may hold literally stay as they are
 * ('=' of every partition, ':' of ISO times), which also keeps servers that decode the header
 * with decodeURI (s3rver) finding the key.
 */
export function encodeCopySource(key: string): string {
  return key
    .split('/')
    .map((segment) => encodeURIComponent(segment).replace(/%(3D|3A|40|2C|3B|24|26)/g, (escape) => decodeURIComponent(escape)))
    .join('/')
}

export class S3ObjectStore implements ObjectStore {
  readonly uri: string

  constructor(
    private readonly client: S3Client,
    private readonly bucket: string,
    private readonly prefix: string,
  ) {
    this.uri = `s3://${bucket}/${prefix}`
  }

  /** A key we write: the closed alphabet. */
  private fullKey(key: string): string {
    return joinKey(this.prefix, assertSafeKey(key))
  }

  /** A key we read, as any writer may have named it. */
  private fullReadKey(key: string): string {
    assertReadableKey(key)
    return this.prefix ? `${this.prefix}/${key}` : key
  }

  private relativeKey(fullKey: string): string {
    return this.prefix ? fullKey.slice(this.prefix.length + 1) : fullKey
  }

  async list(prefix: string): Promise<ObjectInfo[]> {
    const out: ObjectInfo[] = []
    let token: string | undefined
    const base = joinKey(this.prefix, prefix) + '/'
    do {
      const page = await this.client.send(new ListObjectsV2Command({ Bucket: this.bucket, Prefix: base, ContinuationToken: token }))
      for (const item of page.Contents ?? []) {
        if (!item.Key || item.Key.endsWith('/')) continue
        out.push(this.objectInfo(item))
      }
      token = page.IsTruncated ? page.NextContinuationToken : undefined
    } while (token)
    return out.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0))
  }

  private objectInfo(item: { Key?: string; Size?: number; ETag?: string; LastModified?: Date }): ObjectInfo {
    return { key: this.relativeKey(item.Key!), size: item.Size ?? 0, etag: item.ETag?.replaceAll('"', ''), lastModifiedMs: item.LastModified?.getTime() }
  }

  async listPrefixes(prefix: string): Promise<string[]> {
    return (await this.listLevel(prefix)).folders
  }

  async listLevel(prefix: string): Promise<{ objects: ObjectInfo[]; folders: string[] }> {
    const objects: ObjectInfo[] = []
    const folders: string[] = []
    let token: string | undefined
    const base = joinKey(this.prefix, prefix) + '/'
    do {
      const page = await this.client.send(
        new ListObjectsV2Command({ Bucket: this.bucket, Prefix: base, Delimiter: '/', ContinuationToken: token }),
      )
      for (const common of page.CommonPrefixes ?? []) if (common.Prefix) folders.push(this.relativeKey(common.Prefix))
      for (const item of page.Contents ?? []) if (item.Key && !item.Key.endsWith('/')) objects.push(this.objectInfo(item))
      token = page.IsTruncated ? page.NextContinuationToken : undefined
    } while (token)
    return { objects: objects.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0)), folders: folders.sort() }
  }

  async exists(key: string): Promise<boolean> {
    const fullKey = this.fullReadKey(key)
    // Keys sort lexicographically, so the first key with this prefix is the key itself when it exists.
    const page = await this.client.send(new ListObjectsV2Command({ Bucket: this.bucket, Prefix: fullKey, MaxKeys: 1 }))
    return page.Contents?.[0]?.Key === fullKey
  }

  async openBuffer(info: ObjectInfo): Promise<CountingBuffer> {
    const { client, bucket } = this
    const key = this.fullReadKey(info.key)
    const size = info.size
    const buffer: CountingBuffer = {
      byteLength: size,
      bytesFetched: 0,
      async slice(start: number, end?: number): Promise<ArrayBuffer> {
        const stop = Math.min(end ?? size, size)
        if (stop <= start) return new ArrayBuffer(0)
        const command = new GetObjectCommand({ Bucket: bucket, Key: key, Range: `bytes=${start}-${stop - 1}`, IfMatch: info.etag ? `"${info.etag}"` : undefined })
        const bytes = await readListedObject(() => client.send(command), key)
        buffer.bytesFetched += bytes.byteLength
        return bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer
      },
    }
    return buffer
  }

  /**
   * The whole object, or undefined when it is missing. A 404 is asked again twice, briefly: on
   * stores with eventual consistency a just-written object (a manifest) can read as missing once.
   */
  async get(key: string): Promise<Uint8Array | undefined> {
    for (let attempt = 0; ; attempt++) {
      try {
        const response = await this.client.send(new GetObjectCommand({ Bucket: this.bucket, Key: this.fullReadKey(key) }))
        return await response.Body!.transformToByteArray()
      } catch (error) {
        const name = (error as { name?: string }).name
        if (name !== 'NoSuchKey' && name !== 'NotFound') throw error
        if (attempt >= 2) return undefined
        await sleep(backoffDelayMs(attempt, 100, 400))
      }
    }
  }

  async put(key: string, body: Uint8Array | string): Promise<void> {
    // A single PUT is atomic in S3: readers see the old object or the new one.
    await this.client.send(new PutObjectCommand({ Bucket: this.bucket, Key: this.fullKey(key), Body: body }))
  }

  async copy(fromKey: string, toKey: string): Promise<void> {
    const source = `${this.bucket}/${encodeCopySource(this.fullReadKey(fromKey))}`
    await retryWhileMissing(() => this.client.send(new CopyObjectCommand({ Bucket: this.bucket, Key: this.fullKey(toKey), CopySource: source })), fromKey)
  }
}
