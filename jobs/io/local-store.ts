/**
 * The lake as a local folder (the embedded default, `.gras/lake`). Symbolic links are never
 * followed out of the lake root: listings skip them, and a read or write whose real path leaves
 * the root is refused, so a linked day folder cannot bring outside files in and a linked
 * `quarantine/` cannot be written through.
 */
import { readdir, readFile, realpath, rename, stat, writeFile, copyFile, open, lstat } from 'node:fs/promises'
import type { Dirent } from 'node:fs'
import { dirname, join, resolve, sep } from 'node:path'
import { randomBytes } from 'node:crypto'
import { assertReadableKey, assertSafeKey, type CountingBuffer, type ObjectInfo, type ObjectStore } from './object-store.js'
import { ConfigError } from '../core/errors.js'
import { folderError, makeFolder } from './make-folder.js'

const localLake = { subject: 'lake', hint: 'check --lake / GRAS_LAKE: a folder this user can write' }

function isMissing(error: unknown): boolean {
  const code = (error as NodeJS.ErrnoException).code
  return code === 'ENOENT' || code === 'ENOTDIR'
}

export class LocalObjectStore implements ObjectStore {
  readonly uri: string
  private readonly root: string

  constructor(root: string) {
    this.root = resolve(root)
    this.uri = this.root
  }

  private resolvedRoot: string | undefined

  /**
   * The root's real path, resolved once it exists: every read, write and listing checks against
   * it, and resolving it again for every object doubled the realpath calls of a run over many files.
   */
  private async realRoot(): Promise<string> {
    this.resolvedRoot ??= await realpath(this.root)
    return this.resolvedRoot
  }

  private inside(realRoot: string, path: string): boolean {
    return path === realRoot || path.startsWith(realRoot + sep)
  }

  private lexicalPath(key: string): string {
    // A folder has no empty, '.' or '..' names: such a key would resolve to another file.
    if (key.split('/').some((segment) => segment === '' || segment === '.' || segment === '..')) throw new Error(`lake: key ${JSON.stringify(key)} names no file in ${this.root}`)
    const path = join(this.root, key)
    if (!path.startsWith(this.root + sep)) throw new Error(`lake: key ${JSON.stringify(key)} resolves outside ${this.root}`)
    return path
  }

  private escapes(key: string): ConfigError {
    return new ConfigError(`lake: ${JSON.stringify(key)} resolves outside the lake ${this.root} through a symbolic link (the local store does not follow links out of the lake)`)
  }

  /** The path of an existing object to read, after checking its real path stays in the lake; throws ENOENT when missing. */
  private async readPath(key: string): Promise<string> {
    const path = this.lexicalPath(assertReadableKey(key))
    const [realRoot, real] = await Promise.all([this.realRoot(), realpath(path)])
    if (!this.inside(realRoot, real)) throw this.escapes(key)
    return path
  }

  /** The path to write `key` at, its folder created, after checking no link leads the write out of the lake. */
  private async writePath(key: string): Promise<string> {
    const path = this.lexicalPath(assertSafeKey(key))
    await makeFolder(this.root, localLake)
    const realRoot = await this.realRoot()
    // The deepest folder that exists decides where mkdir and the write really go.
    let existing = dirname(path)
    for (;;) {
      try {
        await lstat(existing)
        break
      } catch (error) {
        if (!isMissing(error)) throw error
        existing = dirname(existing)
      }
    }
    if (!this.inside(realRoot, await realpath(existing))) throw this.escapes(key)
    await makeFolder(dirname(path), localLake)
    return path
  }

  /** Entries of a folder inside the lake; none when it is missing or its real path leaves the lake. */
  private async entries(relative: string): Promise<Dirent[]> {
    try {
      const path = relative ? this.lexicalPath(relative) : this.root
      const [realRoot, real] = await Promise.all([this.realRoot(), realpath(path)])
      if (!this.inside(realRoot, real)) return []
      return await readdir(path, { withFileTypes: true })
    } catch (error) {
      if (isMissing(error)) return []
      throw error
    }
  }

  private async info(key: string): Promise<ObjectInfo> {
    const info = await stat(join(this.root, key))
    return { key, size: info.size, etag: `${info.size}-${Math.floor(info.mtimeMs)}`, lastModifiedMs: info.mtimeMs }
  }

  async list(prefix: string): Promise<ObjectInfo[]> {
    const out: ObjectInfo[] = []
    // Dirents of links are neither files nor folders: links are not followed.
    const walk = async (relative: string): Promise<void> => {
      for (const entry of await this.entries(relative)) {
        if (entry.name.includes('.tmp-')) continue
        const key = relative ? `${relative}/${entry.name}` : entry.name
        if (entry.isDirectory()) await walk(key)
        else if (entry.isFile()) out.push(await this.info(key))
      }
    }
    await walk(prefix.replace(/\/+$/, ''))
    return out.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0))
  }

  async listPrefixes(prefix: string): Promise<string[]> {
    return (await this.listLevel(prefix)).folders
  }

  async listLevel(prefix: string): Promise<{ objects: ObjectInfo[]; folders: string[] }> {
    const base = prefix.replace(/\/+$/, '')
    const objects: ObjectInfo[] = []
    const folders: string[] = []
    for (const entry of await this.entries(base)) {
      if (entry.name.includes('.tmp-')) continue
      const key = base ? `${base}/${entry.name}` : entry.name
      if (entry.isDirectory()) folders.push(`${key}/`)
      else if (entry.isFile()) objects.push(await this.info(key))
    }
    return { objects: objects.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0)), folders: folders.sort() }
  }

  async openBuffer(info: ObjectInfo): Promise<CountingBuffer> {
    const path = await this.readPath(info.key)
    const handle = await open(path, 'r')
    const size = (await handle.stat()).size
    await handle.close()
    const buffer: CountingBuffer = {
      byteLength: size,
      bytesFetched: 0,
      async slice(start: number, end?: number): Promise<ArrayBuffer> {
        const stop = Math.min(end ?? size, size)
        const length = Math.max(0, stop - start)
        const file = await open(path, 'r')
        try {
          const bytes = new Uint8Array(length)
          await file.read(bytes, 0, length, start)
          buffer.bytesFetched += length
          return bytes.buffer
        } finally {
          await file.close()
        }
      },
    }
    return buffer
  }

  async exists(key: string): Promise<boolean> {
    try {
      return (await stat(await this.readPath(key))).isFile()
    } catch (error) {
      if (isMissing(error)) return false
      throw error
    }
  }

  async get(key: string): Promise<Uint8Array | undefined> {
    try {
      return new Uint8Array(await readFile(await this.readPath(key)))
    } catch (error) {
      if (isMissing(error)) return undefined
      throw error
    }
  }

  async put(key: string, body: Uint8Array | string): Promise<void> {
    const path = await this.writePath(key)
    // Write beside, then rename: a reader (or a crash) never sees half a file. A link at the final
    // name is replaced by the rename, never written through.
    const temporary = `${path}.tmp-${process.pid}-${randomBytes(4).toString('hex')}`
    try {
      await writeFile(temporary, body)
      await rename(temporary, path)
    } catch (error) {
      throw folderError(error, localLake)
    }
  }

  async copy(fromKey: string, toKey: string): Promise<void> {
    const from = await this.readPath(fromKey)
    const to = await this.writePath(toKey)
    const temporary = `${to}.tmp-${process.pid}-${randomBytes(4).toString('hex')}`
    try {
      await copyFile(from, temporary)
      await rename(temporary, to)
    } catch (error) {
      throw folderError(error, localLake)
    }
  }
}
