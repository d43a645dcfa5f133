/** The lake as a local folder (the embedded default, `.gras/lake`). */
import { mkdir, readdir, readFile, rename, stat, writeFile, copyFile, open } from 'node:fs/promises'
import { dirname, join, resolve, sep } from 'node:path'
import { randomBytes } from 'node:crypto'
import { assertSafeKey, type CountingBuffer, type ObjectInfo, type ObjectStore } from './object-store.js'

export class LocalObjectStore implements ObjectStore {
  readonly uri: string
  private readonly root: string

  constructor(root: string) {
    this.root = resolve(root)
    this.uri = this.root
  }

  private pathOf(key: string): string {
    const path = join(this.root, assertSafeKey(key))
    if (!path.startsWith(this.root + sep)) throw new Error(`lake: key ${JSON.stringify(key)} resolves outside ${this.root}`)
    return path
  }

  async list(prefix: string): Promise<ObjectInfo[]> {
    const base = prefix.replace(/\/+$/, '')
    const out: ObjectInfo[] = []
    const walk = async (relative: string): Promise<void> => {
      let entries
      try {
        entries = await readdir(join(this.root, relative), { withFileTypes: true })
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code === 'ENOENT' || (error as NodeJS.ErrnoException).code === 'ENOTDIR') return
        throw error
      }
      for (const entry of entries) {
        if (entry.name.includes('.tmp-')) continue
        const key = relative ? `${relative}/${entry.name}` : entry.name
        if (entry.isDirectory()) await walk(key)
        else if (entry.isFile()) {
          const info = await stat(join(this.root, key))
          out.push({ key, size: info.size, etag: `${info.size}-${Math.floor(info.mtimeMs)}` })
        }
      }
    }
    await walk(base)
    return out.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0))
  }

  async listPrefixes(prefix: string): Promise<string[]> {
    const base = prefix.replace(/\/+$/, '')
    try {
      const entries = await readdir(join(this.root, base), { withFileTypes: true })
      return entries
        .filter((e) => e.isDirectory())
        .map((e) => `${base}/${e.name}/`)
        .sort()
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return []
      throw error
    }
  }

  async openBuffer(info: ObjectInfo): Promise<CountingBuffer> {
    const handle = await open(this.pathOf(info.key), 'r')
    const size = (await handle.stat()).size
    await handle.close()
    const path = this.pathOf(info.key)
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

  async get(key: string): Promise<Uint8Array | undefined> {
    try {
      return new Uint8Array(await readFile(this.pathOf(key)))
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined
      throw error
    }
  }

  async put(key: string, body: Uint8Array | string): Promise<void> {
    const path = this.pathOf(key)
    await mkdir(dirname(path), { recursive: true })
    // Write beside, then rename: a reader (or a crash) never sees half a file.
    const temporary = `${path}.tmp-${process.pid}-${randomBytes(4).toString('hex')}`
    await writeFile(temporary, body)
    await rename(temporary, path)
  }

  async copy(fromKey: string, toKey: string): Promise<void> {
    const to = this.pathOf(toKey)
    await mkdir(dirname(to), { recursive: true })
    const temporary = `${to}.tmp-${process.pid}-${randomBytes(4).toString('hex')}`
    await copyFile(this.pathOf(fromKey), temporary)
    await rename(temporary, to)
  }
}
