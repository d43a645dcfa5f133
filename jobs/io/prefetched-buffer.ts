/**
 * An AsyncBuffer that serves some byte ranges from memory and fetches the rest: the reader fetches
 * the `ts` and `value` column chunks once to check their page headers, and the decoder then reads
 * the same bytes without a second round trip, however it groups its requests.
 */
import type { AsyncBuffer } from 'hyparquet'

export interface HeldRange {
  start: number
  bytes: Uint8Array
}

export function prefetchedBuffer(file: AsyncBuffer, held: HeldRange[]): AsyncBuffer {
  const ranges = [...held].sort((a, b) => a.start - b.start)
  return {
    byteLength: file.byteLength,
    async slice(start: number, end: number = file.byteLength): Promise<ArrayBuffer> {
      const stop = Math.min(end, file.byteLength)
      const out = new Uint8Array(Math.max(0, stop - start))
      let cursor = start
      const fill = async (to: number) => {
        if (to > cursor) out.set(new Uint8Array(await file.slice(cursor, to)), cursor - start)
        cursor = Math.max(cursor, to)
      }
      for (const range of ranges) {
        const rangeEnd = range.start + range.bytes.length
        if (rangeEnd <= cursor || range.start >= stop) continue
        await fill(range.start)
        const to = Math.min(rangeEnd, stop)
        out.set(range.bytes.subarray(cursor - range.start, to - range.start), cursor - start)
        cursor = to
      }
      await fill(stop)
      return out.buffer
    },
  }
}
