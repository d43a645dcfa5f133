/**
 * Worker thread that decodes bronze Parquet (parquet-isolated.ts runs it). Its bytes come from the
 * main thread slice by slice, so it reads exactly what the in-process reader would (footer, then the
 * ts and value column chunks) and the main thread keeps doing the I/O.
 */
import { parentPort } from 'node:worker_threads'
import type { AsyncBuffer } from 'hyparquet'
import { readEvents } from './parquet-read.js'

type Request = { type: 'read'; byteLength: number; source: string } | { type: 'slice'; id: number; bytes?: ArrayBuffer; failed?: boolean }

const pending = new Map<number, { resolve: (b: ArrayBuffer) => void; reject: (e: Error) => void }>()
let nextId = 0

parentPort!.on('message', (message: Request) => {
  if (message.type === 'slice') {
    const waiter = pending.get(message.id)
    pending.delete(message.id)
    if (message.failed || !message.bytes) waiter?.reject(new Error('slice fetch failed'))
    else waiter?.resolve(message.bytes)
    return
  }
  const file: AsyncBuffer = {
    byteLength: message.byteLength,
    slice(start: number, end?: number) {
      const id = nextId++
      return new Promise<ArrayBuffer>((resolve, reject) => {
        pending.set(id, { resolve, reject })
        parentPort!.postMessage({ type: 'slice', id, start, end })
      })
    },
  }
  readEvents(file, message.source).then(
    (events) => parentPort!.postMessage({ type: 'done', tsMs: events.tsMs, values: events.values }, [events.tsMs.buffer as ArrayBuffer, events.values.buffer as ArrayBuffer]),
    (error: Error) => parentPort!.postMessage({ type: 'error', name: error.name, message: error.message }),
  )
})
