/**
 * A per-file bound on decoded bytes, charged as pages and dictionaries are decompressed (the size a
 * decompressor is asked to produce is what it allocates), not as the footer claims. hyparquet takes
 * its decompressors as an argument, so each is wrapped to charge the budget before it runs.
 */
import type { Compressors } from 'hyparquet'
import { compressors, decompressZstd } from 'hyparquet-compressors'

export class DecodeBudget {
  private used = 0

  constructor(readonly limitBytes: number) {}

  /** Adds `bytes` for `what`; throws an Error naming both and the limit once the total passes it. */
  charge(bytes: number, what: string): void {
    this.used += bytes
    if (!(this.used <= this.limitBytes)) {
      throw new Error(`decoded size budget exceeded by ${what}: ${this.used} bytes (limit ${this.limitBytes})`)
    }
  }

  get usedBytes(): number {
    return this.used
  }
}

/** hyparquet-compressors' decompressors, each charging `budget` with the page size it is asked for. */
export function budgetedCompressors(budget: DecodeBudget): Compressors {
  // fzstd sizes its output from the frame unless given a buffer: give it one of the declared size.
  const base: Compressors = { ...compressors, ZSTD: (input: Uint8Array, length: number) => decompressZstd(input, new Uint8Array(length)) }
  const out: Compressors = {}
  for (const [codec, decompress] of Object.entries(base) as [keyof Compressors, NonNullable<Compressors[keyof Compressors]>][]) {
    out[codec] = (input: Uint8Array, length: number) => {
      budget.charge(length, `a ${codec} page of ${length} bytes`)
      return decompress(input, length)
    }
  }
  return out
}
