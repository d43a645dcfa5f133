/**
 * The embedded DynamoDB: dynalite (a DynamoDB-compatible server on LevelDB) in this process, on a
 * loopback port, persisted under `.gras/`. Used when no cloud endpoint is configured, so local runs
 * go through the same SDK calls as cloud runs.
 */
import { createRequire } from 'node:module'
import { mkdirSync } from 'node:fs'
import type { AddressInfo, Server } from 'node:net'

export interface EmbeddedDynamo {
  endpoint: string
  close(): Promise<void>
}

/** Starts dynalite with its data in `dir` (in memory when undefined). */
export async function startEmbeddedDynamo(dir: string | undefined): Promise<EmbeddedDynamo> {
  const require = createRequire(import.meta.url)
  const dynalite = require('dynalite') as (options: object) => Server
  if (dir) mkdirSync(dir, { recursive: true })
  const server = dynalite({ path: dir, createTableMs: 0, deleteTableMs: 0, updateTableMs: 0 })
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject)
    server.listen(0, '127.0.0.1', () => resolve())
  })
  const { port } = server.address() as AddressInfo
  return {
    endpoint: `http://127.0.0.1:${port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve())
        // dynalite keeps connections alive; closing them lets the process exit promptly.
        ;(server as Server & { closeAllConnections?: () => void }).closeAllConnections?.()
      }),
  }
}
