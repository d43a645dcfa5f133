/**
 * A fault-injecting HTTP proxy for tests, in front of s3rver or dynalite. By a seeded schedule it
 * answers S3 503 SlowDown and 500 InternalError, DynamoDB ThrottlingException and 500, resets
 * connections, delays requests, answers 404 for an object the first time it is read after a listing
 * showed it (eventual consistency), and returns part of a BatchWriteItem as UnprocessedItems. Every
 * fault is counted by kind. With no rates it is a plain proxy, and `onExchange` sees every request
 * the server answered (the IAM test records a run's AWS calls this way).
 */
import { createServer, request, type IncomingMessage, type Server, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import { seededRandom } from '../../jobs/core/random.js'

export type FaultKind = 'slowDown' | 'serverError' | 'reset' | 'delay' | 'notYetVisible' | 'throttle' | 'unprocessed'

export interface FaultRates {
  /** Probability per request of each fault; the rest pass through. */
  slowDown?: number
  serverError?: number
  reset?: number
  delay?: number
  throttle?: number
  unprocessed?: number
  /** S3: read-after-list 404 on the first read of each listed object (probability per object). */
  notYetVisible?: number
  /** Kinds injected once each on the first requests, whatever the dice say, so every kind is exercised. */
  guaranteed?: ('slowDown' | 'serverError' | 'reset' | 'delay' | 'throttle')[]
}

/** A request the upstream server answered, as the client sent it. */
export interface Exchange {
  method: string
  /** Path and query, as sent (path-style for S3). */
  url: string
  headers: IncomingMessage['headers']
  body: Buffer
  status: number
}

export interface FaultProxy {
  endpoint: string
  counts: Record<FaultKind, number>
  requests: number
  close(): Promise<void>
}

export async function startFaultProxy(
  target: string,
  service: 's3' | 'dynamodb',
  seed: number,
  rates: FaultRates,
  onExchange?: (exchange: Exchange) => void,
): Promise<FaultProxy> {
  const random = seededRandom(seed)
  const upstream = new URL(target)
  const counts: Record<FaultKind, number> = { slowDown: 0, serverError: 0, reset: 0, delay: 0, notYetVisible: 0, throttle: 0, unprocessed: 0 }
  const listed = new Set<string>()
  const guaranteed = [...(rates.guaranteed ?? [])]
  const hiddenOnce = new Set<string>()
  let requests = 0

  const forward = (req: IncomingMessage, res: ServerResponse, body: Buffer, rewrite?: (status: number, payload: Buffer) => Buffer) => {
    const out = request({ host: upstream.hostname, port: upstream.port, path: req.url, method: req.method, headers: { ...req.headers, 'content-length': String(body.length) } }, (up) => {
      const chunks: Buffer[] = []
      up.on('data', (c: Buffer) => chunks.push(c))
      up.on('end', () => {
        let payload: Buffer = Buffer.concat(chunks)
        if (service === 's3' && req.method === 'GET' && /[?&]list-type=2/.test(req.url ?? '')) {
          for (const match of payload.toString().matchAll(/<Key>([^<]+)<\/Key>/g)) listed.add(decodeXml(match[1]))
        }
        onExchange?.({ method: req.method ?? '', url: req.url ?? '', headers: req.headers, body, status: up.statusCode ?? 500 })
        if (rewrite) payload = rewrite(up.statusCode ?? 500, payload)
        const headers: Record<string, string | string[] | undefined> = { ...up.headers, 'content-length': String(payload.length) }
        delete headers['x-amz-crc32']
        res.writeHead(up.statusCode ?? 500, headers)
        res.end(payload)
      })
    })
    out.on('error', () => res.destroy())
    out.end(body)
  }

  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = []
    req.on('data', (c: Buffer) => chunks.push(c))
    req.on('end', () => {
      requests++
      const body = Buffer.concat(chunks)
      const forced = guaranteed.shift()
      const roll = random()
      let edge = 0
      const hit = (kind: 'slowDown' | 'serverError' | 'reset' | 'delay' | 'throttle' | 'unprocessed') => {
        if (forced) return forced === kind
        return roll < (edge += rates[kind] ?? 0)
      }
      if (hit('reset')) {
        counts.reset++
        return req.socket.destroy()
      }
      if (service === 's3') {
        if (hit('slowDown')) {
          counts.slowDown++
          return s3Error(res, 503, 'SlowDown', 'Please reduce your request rate.')
        }
        if (hit('serverError')) {
          counts.serverError++
          return s3Error(res, 500, 'InternalError', 'We encountered an internal error. Please try again.')
        }
        const key = objectKey(req.url ?? '')
        if (req.method === 'GET' && key && listed.has(key) && !hiddenOnce.has(key) && random() < (rates.notYetVisible ?? 0)) {
          hiddenOnce.add(key)
          counts.notYetVisible++
          return s3Error(res, 404, 'NoSuchKey', 'The specified key does not exist.')
        }
      } else {
        if (hit('throttle')) {
          counts.throttle++
          return dynamoError(res, 400, 'ThrottlingException', 'Rate of requests exceeds the allowed throughput.')
        }
        if (hit('serverError')) {
          counts.serverError++
          return dynamoError(res, 500, 'InternalServerError', 'Internal server error')
        }
        const isBatch = String(req.headers['x-amz-target'] ?? '').endsWith('.BatchWriteItem')
        if (isBatch && hit('unprocessed')) {
          const parsed = JSON.parse(body.toString()) as { RequestItems: Record<string, unknown[]> }
          const heldBack: Record<string, unknown[]> = {}
          for (const [table, items] of Object.entries(parsed.RequestItems)) {
            if (items.length < 2) continue
            const keep = Math.ceil(items.length / 2)
            heldBack[table] = items.slice(keep)
            parsed.RequestItems[table] = items.slice(0, keep)
          }
          counts.unprocessed++
          return forward(req, res, Buffer.from(JSON.stringify(parsed)), (status, payload) => {
            if (status !== 200) return payload
            const response = JSON.parse(payload.toString()) as { UnprocessedItems?: Record<string, unknown[]> }
            response.UnprocessedItems = { ...response.UnprocessedItems, ...heldBack }
            return Buffer.from(JSON.stringify(response))
          })
        }
      }
      if (hit('delay')) {
        counts.delay++
        return void setTimeout(() => forward(req, res, body), 50 + Math.floor(random() * 250))
      }
      forward(req, res, body)
    })
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as AddressInfo
  return {
    endpoint: `http://127.0.0.1:${port}`,
    counts,
    get requests() {
      return requests
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve())
        server.closeAllConnections()
      }),
  }
}

/** The object key of a path-style GET (`/bucket/key`), without the query. */
function objectKey(url: string): string | undefined {
  const path = url.split('?')[0]
  const slash = path.indexOf('/', 1)
  return slash > 0 ? decodeURIComponent(path.slice(slash + 1)) : undefined
}

function decodeXml(text: string): string {
  return text.replace(/&amp;/g, '&').replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&quot;/g, '"').replace(/&apos;/g, "'")
}

function s3Error(res: ServerResponse, status: number, code: string, message: string): void {
  res.writeHead(status, { 'content-type': 'application/xml' })
  res.end(`<?xml version="1.0" encoding="UTF-8"?><Error><Code>${code}</Code><Message>${message}</Message><RequestId>fault</RequestId></Error>`)
}

function dynamoError(res: ServerResponse, status: number, type: string, message: string): void {
  res.writeHead(status, { 'content-type': 'application/x-amz-json-1.0' })
  res.end(JSON.stringify({ __type: `com.amazonaws.dynamodb.v20120810#${type}`, message }))
}
