/**
 * The embedded DynamoDB: dynalite (a DynamoDB-compatible server on LevelDB) in this process, on a
 * loopback port, persisted beside the lake. Used when no cloud endpoint is configured, so local runs
 * go through the same SDK calls as cloud runs.
 *
 * LevelDB lets one process open its files. A second local run waits for the first to finish (up to
 * `dynamodb.embeddedLockWaitMs`), then gives up with a transient error: the lock is a small LevelDB
 * inside the data folder, held for the life of the server, so the operating system releases it when a run
 * dies, and no stale lock file can block the next one.
 */
import { createHash } from 'node:crypto'
import { createRequire } from 'node:module'
import { homedir } from 'node:os'
import { join, resolve } from 'node:path'
import type { AddressInfo, Server } from 'node:net'
import { parseLakeUri } from './lake.js'
import { sleep } from './backoff.js'
import { TransientError } from '../core/errors.js'
import { makeFolder } from './make-folder.js'

export interface EmbeddedDynamo {
  endpoint: string
  /** Where the data is; undefined when in memory. */
  dir?: string
  close(): Promise<void>
}

export interface EmbeddedOptions {
  /** How long to wait for another process to release `dir` (0: fail at once). */
  lockWaitMs?: number
  /** Called once when the files are in use and this run starts waiting. */
  onWait?: (dir: string) => void
}

/**
 * The embedded server's folder for a lake: `explicit` when set; beside a local lake
 * (`<lake>.dynamodb`); for an S3 lake, under the user's state folder, named after the bucket and a
 * hash of the URI. Never relative to the working directory, so every run on a lake sees its registry.
 */
export function embeddedDynamoDir(lakeUri: string, explicit: string | undefined, env: Record<string, string | undefined> = process.env): string {
  if (explicit) return resolve(explicit)
  const location = parseLakeUri(lakeUri)
  if (location.kind === 'local') return `${resolve(location.path!)}.dynamodb`
  const stateHome = env.XDG_STATE_HOME || join(env.HOME || homedir(), '.local', 'state')
  const hash = createHash('sha256').update(lakeUri.replace(/\/+$/, '')).digest('hex').slice(0, 12)
  return join(stateHome, 'gras', 'dynamodb', `${location.bucket}-${hash}`)
}

const lockPollMs = 250
/** Inside the data folder: LevelDB ignores entries whose names are not its own files. */
const lockFolder = 'gras-lock'

interface LevelDb {
  open(): Promise<void>
  close(): Promise<void>
}

/** Starts dynalite with its data in `dir` (in memory when undefined). */
export async function startEmbeddedDynamo(dir: string | undefined, options: EmbeddedOptions = {}): Promise<EmbeddedDynamo> {
  const require = createRequire(import.meta.url)
  const dynalite = require('dynalite') as (options: object) => Server
  let lock: LevelDb | undefined
  if (dir) {
    await makeFolder(dir, { subject: 'dynamodb: the embedded DynamoDB\'s folder', hint: 'it lives beside a local lake unless dynamodb.embeddedDir names another: check --lake / GRAS_LAKE or dynamodb.embeddedDir' })
    lock = await acquireLock(dir, options)
  }
  const server = dynalite({ path: dir, createTableMs: 0, deleteTableMs: 0, updateTableMs: 0 })
  try {
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject)
      server.listen(0, '127.0.0.1', () => resolve())
    })
  } catch (error) {
    await lock?.close()
    throw error
  }
  const { port } = server.address() as AddressInfo
  return {
    endpoint: `http://127.0.0.1:${port}`,
    dir,
    close: async () => {
      await new Promise<void>((resolve) => {
        server.close(() => resolve())
        // dynalite keeps connections alive; closing them lets the process exit promptly.
        ;(server as Server & { closeAllConnections?: () => void }).closeAllConnections?.()
      })
      await lock?.close()
    },
  }
}

/** Opens the lock database beside `dir`, waiting while another process holds it. */
async function acquireLock(dir: string, options: EmbeddedOptions): Promise<LevelDb> {
  // The LevelDB that dynalite itself stores its data in.
  const fromDynalite = createRequire(createRequire(import.meta.url).resolve('dynalite'))
  const { Level } = fromDynalite('level') as { Level: new (path: string) => LevelDb }
  const waitMs = options.lockWaitMs ?? 0
  const started = Date.now()
  let announced = false
  for (;;) {
    const lock = new Level(join(dir, lockFolder))
    try {
      await lock.open()
      return lock
    } catch (error) {
      const code = (error as { cause?: { code?: string } }).cause?.code
      if (code !== 'LEVEL_LOCKED') throw error
    }
    if (Date.now() - started >= waitMs) {
      throw new TransientError(
        `dynamodb: the embedded DynamoDB in ${dir} is in use by another gras run on this lake; gave up after waiting ${waitMs} ms (dynamodb.embeddedLockWaitMs) (let the other run finish, then rerun)`,
      )
    }
    if (!announced) options.onWait?.(dir)
    announced = true
    await sleep(lockPollMs)
  }
}
