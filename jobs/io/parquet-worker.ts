/**
 * Worker thread that decodes bronze Parquet (parquet-isolated.ts runs it), a batch of files at a
 * time, one after another, answering each as it finishes. Each file comes with its last bytes;
 * any other range is asked of the main thread slice by slice, so the worker reads exactly what the
 * in-process reader would (footer, then the ts, value and dimension column chunks) and the main thread keeps
 * doing the I/O.
 */
import { parentPort } from 'node:worker_threads'
import type { AsyncBuffer } from 'hyparquet'
import { readEvents } from './parquet-read.js'
import { prefetchedBuffer } from './prefetched-buffer.js'
import type { Reply, Request } from './parquet-isolated.js'

const pending = new Map<number, { resolve: (b: ArrayBuffer) => void; reject: (e: Error) => void }>()
let nextId = 0
const transferBytes = 64 * 1024
const post = (reply: Reply, transfer: ArrayBuffer[] = []) => parentPort!.postMessage(reply, transfer)

parentPort!.on('message', (message: Request) => {
  if (message.type === 'slice') {
    const waiter = pending.get(message.id)
    pending.delete(message.id)
    if (message.failed || !message.bytes) waiter?.reject(new Error('slice fetch failed'))
    else waiter?.resolve(message.bytes)
    return
  }
  void readAll(message.files, message.dimensions)
})

async function readAll(files: Extract<Request, { type: 'read' }>['files'], dimensions: readonly string[]): Promise<void> {
  for (const [index, { byteLength, source, tailStart, tail }] of files.entries()) {
    const remote: AsyncBuffer = {
      byteLength,
      slice(start: number, end?: number) {
        const id = nextId++
        return new Promise<ArrayBuffer>((resolve, reject) => {
          pending.set(id, { resolve, reject })
          post({ type: 'slice', file: index, id, start, end })
        })
      },
    }
    try {
      const events = await readEvents(prefetchedBuffer(remote, [{ start: tailStart, bytes: new Uint8Array(tail) }]), source, undefined, dimensions)
      // Small results are copied: transferring a buffer costs more than copying a few KB.
      const transfer = events.tsMs.byteLength >= transferBytes ? [events.tsMs.buffer as ArrayBuffer, events.values.buffer as ArrayBuffer, ...(events.series ? [events.series.index.buffer as ArrayBuffer] : [])] : []
      post({ type: 'done', file: index, tsMs: events.tsMs, values: events.values, ...(events.series ? { series: events.series } : {}) }, transfer)
    } catch (error) {
      post({ type: 'error', file: index, name: (error as Error).name, message: (error as Error).message })
    }
  }
}
