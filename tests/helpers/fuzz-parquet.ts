/**
 * A seeded mutator of Parquet bytes for fuzzing the bronze reader: byte flips, truncation, inserted
 * and zeroed ranges, and footers that declare impossible lengths. Pure: the same seed gives the
 * same cases.
 */
import { seededRandom, type Random } from '../../jobs/core/random.js'

export type Mutation = 'flip' | 'truncate' | 'insert' | 'zero' | 'footer-length' | 'duplicate' | 'tail-garbage'
const mutations: Mutation[] = ['flip', 'truncate', 'insert', 'zero', 'footer-length', 'duplicate', 'tail-garbage']

export interface FuzzCase {
  index: number
  mutation: Mutation
  bytes: Uint8Array
}

export function* fuzzCases(bases: Uint8Array[], count: number, seed: number): Generator<FuzzCase> {
  const random = seededRandom(seed)
  for (let index = 0; index < count; index++) {
    const base = bases[index % bases.length]
    const mutation = mutations[Math.floor(random() * mutations.length)]
    yield { index, mutation, bytes: mutate(base, mutation, random) }
  }
}

function mutate(base: Uint8Array, mutation: Mutation, random: Random): Uint8Array {
  const at = (n: number) => Math.floor(random() * n)
  const bytes = base.slice()
  switch (mutation) {
    case 'flip': {
      for (let k = 1 + at(16); k > 0; k--) bytes[at(bytes.length)] ^= 1 << at(8)
      return bytes
    }
    case 'truncate':
      return bytes.slice(0, at(bytes.length))
    case 'insert': {
      const position = at(bytes.length)
      const noise = Uint8Array.from({ length: 1 + at(64) }, () => at(256))
      return Uint8Array.from([...bytes.slice(0, position), ...noise, ...bytes.slice(position)])
    }
    case 'zero': {
      const start = at(bytes.length)
      bytes.fill(0, start, Math.min(bytes.length, start + 1 + at(256)))
      return bytes
    }
    case 'footer-length': {
      // The 4 bytes before the trailing "PAR1" give the footer length: claim something absurd.
      const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength)
      view.setUint32(bytes.length - 8, [0xffffffff, 0x7fffffff, bytes.length * 2, 0][at(4)], true)
      return bytes
    }
    case 'duplicate': {
      const start = at(bytes.length)
      const piece = bytes.slice(start, start + 1 + at(512))
      const position = at(bytes.length)
      return Uint8Array.from([...bytes.slice(0, position), ...piece, ...bytes.slice(position)])
    }
    case 'tail-garbage':
      return Uint8Array.from([...bytes, ...Uint8Array.from({ length: 1 + at(32) }, () => at(256))])
  }
}
