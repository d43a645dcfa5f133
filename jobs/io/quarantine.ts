/** Copies a bad bronze file to quarantine/ with a reason file; the original stays where the writer put it. */
import { quarantineKeys } from '../core/lake-layout.js'
import type { ObjectInfo, ObjectStore } from './object-store.js'

export interface QuarantineRecord {
  key: string
  reason: string
  quarantinedAs: string
}

/** Idempotent: a rerun rewrites the same two keys. */
export async function quarantineFile(lake: ObjectStore, file: ObjectInfo, reason: string, runId: string, atIso: string): Promise<QuarantineRecord> {
  const keys = quarantineKeys(file.key)
  await lake.copy(file.key, keys.copy)
  const body = { source: file.key, size: file.size, etag: file.etag, reason, runId, quarantinedAt: atIso }
  await lake.put(keys.reason, JSON.stringify(body, null, 2) + '\n')
  return { key: file.key, reason, quarantinedAs: keys.copy }
}
