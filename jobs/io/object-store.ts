/**
 * The lake seen as keys and bytes. Two implementations, a local folder and S3; nothing above this
 * seam knows which. Keys are '/'-separated and relative to the lake root.
 */
import type { AsyncBuffer } from 'hyparquet'

export interface ObjectInfo {
  key: string
  size: number
  etag?: string
  /** When the store last saw the object written: the order of deliveries. */
  lastModifiedMs?: number
}

/** An AsyncBuffer over one object that counts the bytes it fetched. */
export interface CountingBuffer extends AsyncBuffer {
  bytesFetched: number
}

export interface ObjectStore {
  /** Where the lake is, for messages (never contains credentials). */
  readonly uri: string
  /** Every object under `prefix`, recursively, sorted by key. */
  list(prefix: string): Promise<ObjectInfo[]>
  /** The immediate child "folders" of `prefix` (each ending in '/'). */
  listPrefixes(prefix: string): Promise<string[]>
  /** One level below `prefix`: its objects and its child "folders" (each ending in '/'), both sorted. */
  listLevel(prefix: string): Promise<{ objects: ObjectInfo[]; folders: string[] }>
  /** Random access to an object by ranged reads; `info.size` spares a round trip. */
  openBuffer(info: ObjectInfo): Promise<CountingBuffer>
  /**
   * Whether an object exists, asked by a listing: S3 answers a GET of a missing key 404 only to a
   * caller allowed to list the whole bucket (else 403), and a listing needs only the key's prefix.
   */
  exists(key: string): Promise<boolean>
  /** The whole object, or undefined when it does not exist. */
  get(key: string): Promise<Uint8Array | undefined>
  /** Writes an object so that readers see either the old bytes or the new ones, never a part. */
  put(key: string, body: Uint8Array | string): Promise<void>
  /** Copies an object within the lake. */
  copy(fromKey: string, toKey: string): Promise<void>
}

// `~` and `%XX` (upper-case hex) are the separators and escapes of series ids (core/series-id.ts).
const safeSegment = /^(?:[A-Za-z0-9=._ ~-]|%[0-9A-F]{2})+$/

/** S3's own bound on a key, in UTF-8 bytes. */
export const maxKeyBytes = 1024

/**
 * Rejects keys that no S3-compatible store could hold (empty, or over S3's 1,024 UTF-8 bytes). Any
 * other key, as another writer named it (`é`, `:`, `+`, `(`, spaces, long names, even `a//b`), can
 * be read; a local folder adds its own checks. Throws naming the key.
 */
export function assertReadableKey(key: string): string {
  const bytes = new TextEncoder().encode(key).length
  if (bytes === 0 || bytes > maxKeyBytes) throw new Error(`lake: object key of ${bytes} bytes ${JSON.stringify(key.slice(0, 80))} (expected 1 to ${maxKeyBytes})`)
  return key
}

/** Rejects keys that could leave the lake or that no writer of ours produces: every key we write passes it. Throws naming the key. */
export function assertSafeKey(key: string): string {
  const segments = key.split('/')
  for (const segment of segments) {
    if (segment === '' || segment === '.' || segment === '..' || !safeSegment.test(segment)) {
      throw new Error(`lake: unsafe object key ${JSON.stringify(key)} (segment ${JSON.stringify(segment)})`)
    }
  }
  return key
}

/** Joins key parts with '/', dropping empty parts. */
export function joinKey(...parts: string[]): string {
  return parts
    .flatMap((p) => p.split('/'))
    .filter((p) => p !== '')
    .join('/')
}
