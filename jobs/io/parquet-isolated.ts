/**
 * Reads bronze Parquet, which is outside input, in a worker thread with a time limit. A corrupt or
 * hostile file can send a decoder into an endless loop (the fuzzer found zeroed page headers that
 * do); an in-thread loop cannot be interrupted, a worker can be terminated. The file's bytes are
 * served to the worker slice by slice from here, so S3 reads stay ranged and I/O errors keep their
 * own type (a throttled GET stays transient, not bad data).
 */
import { Worker, type ResourceLimits } from 'node:worker_threads'
import type { EventBatch } from '../core/series.js'
import { DataError } from '../core/errors.js'
import type { CountingBuffer } from './object-store.js'

type Reply =
  | { type: 'slice'; id: number; start: number; end?: number }
  | { type: 'done'; tsMs: Float64Array; values: Float64Array }
  | { type: 'error'; name: string; message: string }

/**
 * The decode worker's V8 heap. Typed arrays live outside it and are bounded by the reader's
 * decoded-size budget (parquet-read.ts); the two together stay well under the 2 GiB pod limit,
 * and a worker that reaches its heap limit is ended by V8 and its file quarantined.
 */
export const workerResourceLimits = { maxOldGenerationSizeMb: 512, maxYoungGenerationSizeMb: 32, stackSizeMb: 4 }

export class IsolatedParquetReader {
  private worker: Worker | undefined

  constructor(
    private readonly timeoutMs: number,
    private readonly resourceLimits: ResourceLimits = workerResourceLimits,
  ) {}

  private spawn(): Worker {
    this.worker ??= new Worker(new URL('./parquet-worker.js', import.meta.url), { resourceLimits: this.resourceLimits })
    this.worker.unref()
    return this.worker
  }

  /** Reads `ts` and `value`; throws DataError for bad data or a decode that outlives the limit. */
  read(file: CountingBuffer, source: string): Promise<EventBatch> {
    const worker = this.spawn()
    return new Promise<EventBatch>((resolve, reject) => {
      let ioError: unknown
      const finish = (outcome: () => void) => {
        clearTimeout(timer)
        worker.off('message', onMessage)
        worker.off('error', onError)
        outcome()
      }
      const restart = () => {
        void worker.terminate()
        this.worker = undefined
      }
      const timer = setTimeout(() => {
        restart()
        finish(() => reject(new DataError(`parquet: ${source}: decoding did not finish within ${this.timeoutMs} ms (corrupt or hostile file)`)))
      }, this.timeoutMs)
      const onError = (error: Error) => {
        restart()
        finish(() => reject(new DataError(`parquet: ${source}: the decoder failed: ${error.message}`, { cause: error })))
      }
      const onMessage = (reply: Reply) => {
        if (reply.type === 'slice') {
          Promise.resolve(file.slice(reply.start, reply.end)).then(
            (bytes) => worker.postMessage({ type: 'slice', id: reply.id, bytes }, [bytes]),
            (error: unknown) => {
              ioError = error
              worker.postMessage({ type: 'slice', id: reply.id, failed: true })
            },
          )
          return
        }
        if (reply.type === 'done') return finish(() => resolve({ tsMs: reply.tsMs, values: reply.values }))
        // An I/O failure while the worker read is the real cause: rethrow it as it was.
        if (ioError !== undefined) return finish(() => reject(ioError))
        finish(() => reject(reply.name === 'DataError' ? new DataError(reply.message) : new DataError(`parquet: ${source}: ${reply.message}`)))
      }
      worker.on('message', onMessage)
      worker.on('error', onError)
      worker.postMessage({ type: 'read', byteLength: file.byteLength, source })
    })
  }

  async close(): Promise<void> {
    await this.worker?.terminate()
    this.worker = undefined
  }
}
