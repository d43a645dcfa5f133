/**
 * A proxy in front of dynalite that makes BatchWriteItem partially fail the way DynamoDB does under
 * load: on every other call it forwards only the first half of the items and hands the rest back
 * as UnprocessedItems. dynalite never does this by itself; everything else reaches it unchanged.
 */
import { createServer, request, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'

export interface UnprocessedProxy {
  endpoint: string
  batchCalls: number
  itemsHeldBack: number
  close(): Promise<void>
}

export async function startUnprocessedProxy(targetEndpoint: string): Promise<UnprocessedProxy> {
  const target = new URL(targetEndpoint)
  const state = { batchCalls: 0, itemsHeldBack: 0 }
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = []
    req.on('data', (c: Buffer) => chunks.push(c))
    req.on('end', () => {
      let body = Buffer.concat(chunks)
      let heldBack: Record<string, unknown[]> | undefined
      const isBatch = String(req.headers['x-amz-target'] ?? '').endsWith('.BatchWriteItem')
      if (isBatch && state.batchCalls++ % 2 === 0) {
        const parsed = JSON.parse(body.toString()) as { RequestItems: Record<string, unknown[]> }
        heldBack = {}
        for (const [table, items] of Object.entries(parsed.RequestItems)) {
          const keep = Math.ceil(items.length / 2)
          if (items.length > 1) {
            heldBack[table] = items.slice(keep)
            parsed.RequestItems[table] = items.slice(0, keep)
            state.itemsHeldBack += items.length - keep
          }
        }
        body = Buffer.from(JSON.stringify(parsed))
      }
      const upstream = request(
        { host: target.hostname, port: target.port, path: req.url, method: req.method, headers: { ...req.headers, 'content-length': String(body.length) } },
        (up) => {
          const out: Buffer[] = []
          up.on('data', (c: Buffer) => out.push(c))
          up.on('end', () => {
            let payload = Buffer.concat(out)
            if (heldBack && up.statusCode === 200) {
              const parsed = JSON.parse(payload.toString()) as { UnprocessedItems?: Record<string, unknown[]> }
              parsed.UnprocessedItems = { ...parsed.UnprocessedItems, ...heldBack }
              payload = Buffer.from(JSON.stringify(parsed))
            }
            const headers: Record<string, string | string[] | undefined> = { ...up.headers, 'content-length': String(payload.length) }
            delete headers['x-amz-crc32']
            res.writeHead(up.statusCode ?? 500, headers)
            res.end(payload)
          })
        },
      )
      upstream.on('error', (error) => {
        res.writeHead(502)
        res.end(String(error))
      })
      upstream.end(body)
    })
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as AddressInfo
  return {
    endpoint: `http://127.0.0.1:${port}`,
    get batchCalls() {
      return state.batchCalls
    },
    get itemsHeldBack() {
      return state.itemsHeldBack
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve())
        server.closeAllConnections()
      }),
  }
}
