/** Opens the lake named by a URI: `s3://bucket/prefix` or a local folder. */
import { LocalObjectStore } from './local-store.js'
import type { ObjectStore } from './object-store.js'
import { S3ObjectStore } from './s3-store.js'
import { createS3Client, type ClientOptions, type Environment } from './aws-clients.js'
import { ConfigError } from '../core/errors.js'

export interface LakeLocation {
  kind: 's3' | 'local'
  bucket?: string
  prefix?: string
  path?: string
}

/** Parses a lake URI; a ConfigError (78) naming the URI when it is empty, of another scheme, or an S3 URI without a valid bucket or with a bad prefix. */
export function parseLakeUri(uri: string): LakeLocation {
  if (uri.trim() === '') throw new ConfigError(`lake: the lake URI is empty (expected s3://<bucket>/<prefix> or a local folder)`)
  if (uri.startsWith('s3://')) {
    const rest = uri.slice(5)
    const slash = rest.indexOf('/')
    const bucket = slash < 0 ? rest : rest.slice(0, slash)
    const prefix = slash < 0 ? '' : rest.slice(slash + 1).replace(/\/+$/, '')
    if (!/^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/.test(bucket)) throw new ConfigError(`lake: ${JSON.stringify(uri)} has no valid bucket name (expected s3://<bucket>/<prefix>, bucket 3-63 of a-z 0-9 . -)`)
    // S3 keeps '.', '..' and empty segments as literal key parts: a prefix with them names other keys than a reader of the path expects.
    const badSegment = prefix === '' ? undefined : prefix.split('/').find((segment) => segment === '' || segment === '.' || segment === '..')
    if (badSegment !== undefined) throw new ConfigError(`lake: ${JSON.stringify(uri)} has ${badSegment === '' ? 'an empty' : `a ${JSON.stringify(badSegment)}`} segment in its prefix (expected s3://<bucket>/<prefix> with no empty, . or .. segments)`)
    return { kind: 's3', bucket, prefix }
  }
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(uri)) throw new ConfigError(`lake: unsupported scheme in ${JSON.stringify(uri)} (expected s3:// or a local folder)`)
  // 's3:/bucket' or 's3:bucket' is a mistyped S3 URI, not a folder named 's3:' to create.
  if (/^s3:/i.test(uri)) throw new ConfigError(`lake: ${JSON.stringify(uri)} is not an S3 URI (expected s3://<bucket>/<prefix>)`)
  return { kind: 'local', path: uri }
}

export function openLake(uri: string, env: Environment, clientOptions: ClientOptions): ObjectStore {
  const location = parseLakeUri(uri)
  if (location.kind === 's3') return new S3ObjectStore(createS3Client(env, clientOptions), location.bucket!, location.prefix!)
  return new LocalObjectStore(location.path!)
}
