/** A lake whose every call is counted as the S3 request it would be: PUT (put, copy), LIST (list, listPrefixes, listLevel, exists), GET (get, and each ranged read of an opened object). */
import type { ObjectStore } from '../jobs/io/object-store.js'

export type RequestKind = 'PUT' | 'LIST' | 'GET'

export function counted(lake: ObjectStore, counts: Record<RequestKind, number>): ObjectStore {
  const add = (kind: RequestKind) => counts[kind]++
  return {
    uri: lake.uri,
    list: (prefix) => (add('LIST'), lake.list(prefix)),
    listPrefixes: (prefix) => (add('LIST'), lake.listPrefixes(prefix)),
    listLevel: (prefix) => (add('LIST'), lake.listLevel(prefix)),
    exists: (key) => (add('LIST'), lake.exists(key)),
    get: (key) => (add('GET'), lake.get(key)),
    put: (key, body) => (add('PUT'), lake.put(key, body)),
    copy: (from, to) => (add('PUT'), lake.copy(from, to)),
    async openBuffer(info) {
      const buffer = await lake.openBuffer(info)
      return {
        byteLength: buffer.byteLength,
        get bytesFetched() {
          return buffer.bytesFetched
        },
        slice: (start: number, end?: number) => (add('GET'), buffer.slice(start, end)),
      }
    },
  }
}
