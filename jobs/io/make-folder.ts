/**
 * Creates a folder and its missing parents one level at a time. Node 20's recursive mkdir spins
 * forever, blocking the event loop and so every signal handler, when mkdir reports ENOENT under a
 * parent that exists (a path under /proc, some FUSE and network mounts); a level-by-level loop ends.
 * A folder gras cannot create is the operator's setting to fix (exit 78), named with its path.
 */
import { mkdir, stat } from 'node:fs/promises'
import type { Stats } from 'node:fs'
import { dirname } from 'node:path'
import { ConfigError } from '../core/errors.js'

const operatorCodes = new Set(['EACCES', 'EPERM', 'EROFS', 'ENOTDIR', 'EEXIST', 'ENOENT', 'ELOOP', 'ENAMETOOLONG'])

/** Where a folder's path comes from, for the message: its subsystem and the setting that moves it. */
export interface FolderSetting {
  subject: string
  hint: string
}

/** The error to throw for a failed write: exit 78 with the subject and the setting to fix when the operator can fix it, else `error` as it is. */
export function folderError(error: unknown, setting: FolderSetting): unknown {
  const code = (error as NodeJS.ErrnoException).code
  if (!code || !operatorCodes.has(code)) return error
  return new ConfigError(`${setting.subject}: cannot write: ${(error as Error).message} (${setting.hint})`, { cause: error })
}

/** True when `p` is a folder, false when nothing is there; an error when something else is, or the lookup fails. */
function isFolder(p: string, found: Stats | Error): boolean {
  if (!(found instanceof Error)) {
    if (found.isDirectory()) return true
    throw Object.assign(new Error(`ENOTDIR: not a directory: ${p}`), { code: 'ENOTDIR' })
  }
  if ((found as NodeJS.ErrnoException).code === 'ENOENT') return false
  throw found
}

export async function makeFolder(path: string, setting: FolderSetting): Promise<void> {
  try {
    const missing: string[] = []
    for (let p = path; ; p = dirname(p)) {
      const found = await stat(p).catch((error: Error) => error)
      if (isFolder(p, found) || dirname(p) === p) break
      missing.unshift(p)
    }
    for (const level of missing) await mkdir(level).catch((error: NodeJS.ErrnoException) => (error.code === 'EEXIST' ? undefined : Promise.reject(error)))
  } catch (error) {
    throw folderError(error, setting)
  }
}
