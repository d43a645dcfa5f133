/**
 * Reads bronze Parquet, which is outside input, in a worker thread with a time limit. A corrupt or
 * hostile file can send a decoder into an endless loop (the fuzzer found zeroed page headers that
 * do); an in-thread loop cannot be interrupted, a worker can be terminated. Files go to the worker
 * in batches, each with its last bytes already read (the whole of a small bronze file), so a batch
 * of small files costs one round trip instead of two per file; any other byte the decoder wants is
 * served to it slice by slice from here, so S3 reads stay ranged and I/O errors keep their own type
 * (a throttled GET stays transient, not bad data). The time limit is per file: a file that does not
 * finish within it is refused, the worker restarted and the rest of its batch read by the new one.
 */
import { Worker, type ResourceLimits } from 'node:worker_threads'
import type { EventBatch, SeriesIndex } from '../core/series.js'
import { DataError } from '../core/errors.js'
import type { CountingBuffer } from './object-store.js'

export type Reply =
  | { type: 'slice'; file: number; id: number; start: number; end?: number }
  | { type: 'done'; file: number; tsMs: Float64Array; values: Float64Array; series?: SeriesIndex }
  | { type: 'error'; file: number; name: string; message: string }

export type Request =
  | { type: 'read'; dimensions: readonly string[]; files: { byteLength: number; source: string; tailStart: number; tail: ArrayBuffer }[] }
  | { type: 'slice'; id: number; bytes?: ArrayBuffer; failed?: boolean }

/**
 * The decode worker's V8 heap. Typed arrays live outside it and are bounded by the reader's
 * decoded-size budget (parquet-read.ts); the two together stay well under the 2 GiB pod limit,
 * and a worker that reaches its heap limit is ended by V8 and its file quarantined.
 */
export const workerResourceLimits = { maxOldGenerationSizeMb: 512, maxYoungGenerationSizeMb: 32, stackSizeMb: 4 }

/** Bytes of each file's end read before it goes to the worker: the footer, and all of a small file. */
export const tailBytes = 64 * 1024

export interface BatchFile {
  file: CountingBuffer
  source: string
}

/** Per file of a batch: its events, or why not (a DataError for the file's fault, else the I/O error as thrown). */
export type BatchResult = { events: EventBatch } | { error: unknown }

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

  /** Reads `ts`, `value` and the `dimensions` columns; throws DataError for bad data or a decode that outlives the limit. */
  async read(file: CountingBuffer, source: string, dimensions: readonly string[] = []): Promise<EventBatch> {
    const [result] = await this.readBatch([{ file, source }], dimensions)
    if ('error' in result) throw result.error
    return result.events
  }

  /** Reads every file of `files` (with the columns of `dimensions`), in order, in one worker round trip when they are small. */
  async readBatch(files: readonly BatchFile[], dimensions: readonly string[] = []): Promise<BatchResult[]> {
    const results: BatchResult[] = []
    const tails = await Promise.all(
      files.map(async ({ file }) => {
        const tailStart = Math.max(0, file.byteLength - tailBytes)
        try {
          return { tailStart, tail: await file.slice(tailStart, file.byteLength) }
        } catch (error) {
          return { tailStart, error }
        }
      }),
    )
    let next = 0
    while (next < files.length) {
      // A file whose end could not be read fails as its read would have; the worker never sees it.
      const tail = tails[next]
      if ('error' in tail) {
        results.push({ error: tail.error })
        next++
        continue
      }
      let end = next
      while (end < files.length && !('error' in tails[end])) end++
      const batch = files.slice(next, end).map((f, i) => ({ ...f, ...(tails[next + i] as { tailStart: number; tail: ArrayBuffer }) }))
      results.push(...(await this.decode(batch, dimensions)))
      next = end
    }
    return results
  }

  /** Decodes `batch` on the worker; a file that times out or kills the worker is refused and the rest go to a new worker. */
  private async decode(batch: (BatchFile & { tailStart: number; tail: ArrayBuffer })[], dimensions: readonly string[]): Promise<BatchResult[]> {
    const results: BatchResult[] = []
    while (results.length < batch.length) {
      const rest = batch.slice(results.length)
      results.push(...(await this.decodeUntilFailure(rest, dimensions)))
    }
    return results
  }

  /** Results of `batch` in order up to and including the first file that ends the worker. */
  private decodeUntilFailure(batch: (BatchFile & { tailStart: number; tail: ArrayBuffer })[], dimensions: readonly string[]): Promise<BatchResult[]> {
    const worker = this.spawn()
    const results: BatchResult[] = []
    const ioErrors = new Map<number, unknown>()
    return new Promise<BatchResult[]>((resolve) => {
      const finish = () => {
        clearTimeout(timer)
        worker.off('message', onMessage)
        worker.off('error', onError)
        resolve(results)
      }
      const refuseCurrent = (error: DataError) => {
        void worker.terminate()
        this.worker = undefined
        results.push({ error })
        finish()
      }
      const current = () => batch[results.length].source
      const limit = () => setTimeout(() => refuseCurrent(new DataError(`parquet: ${current()}: decoding did not finish within ${this.timeoutMs} ms (corrupt or hostile file)`)), this.timeoutMs)
      let timer = limit()
      const onError = (error: Error) => refuseCurrent(new DataError(`parquet: ${current()}: the decoder failed: ${error.message}`, { cause: error }))
      const onMessage = (reply: Reply) => {
        if (reply.type === 'slice') {
          Promise.resolve(batch[reply.file].file.slice(reply.start, reply.end)).then(
            (bytes) => worker.postMessage({ type: 'slice', id: reply.id, bytes } satisfies Request, [bytes]),
            (error: unknown) => {
              ioErrors.set(reply.file, error)
              worker.postMessage({ type: 'slice', id: reply.id, failed: true } satisfies Request)
            },
          )
          return
        }
        clearTimeout(timer)
        const { source } = batch[reply.file]
        if (reply.type === 'done') results.push({ events: reply.series ? { tsMs: reply.tsMs, values: reply.values, series: reply.series } : { tsMs: reply.tsMs, values: reply.values } })
        // An I/O failure while the worker read is the real cause: kept as it was.
        else if (ioErrors.has(reply.file)) results.push({ error: ioErrors.get(reply.file) })
        else results.push({ error: reply.name === 'DataError' ? new DataError(reply.message) : new DataError(`parquet: ${source}: ${reply.message}`) })
        if (results.length === batch.length) return finish()
        timer = limit()
      }
      worker.on('message', onMessage)
      worker.on('error', onError)
      // The tails as copies in one message: cheaper than a transfer list of many small buffers.
      const files = batch.map(({ file, source, tailStart, tail }) => ({ byteLength: file.byteLength, source, tailStart, tail }))
      worker.postMessage({ type: 'read', dimensions, files } satisfies Request)
    })
  }

  async close(): Promise<void> {
    await this.worker?.terminate()
    this.worker = undefined
  }
}
