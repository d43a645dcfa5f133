/**
 * Which of one run's predictions copies to read for a group's series, reading as few as possible.
 * A run writes one copy per group (`<run>~<k>of<C>`), and its groups are consecutive slices of the
 * metric's sorted series ids (core/series-groups.ts): copy k holds every series of the run between
 * its first and last id. So a series inside a read copy's range but not in it is not in the run,
 * and a series between two read copies can only be in an unread copy between them. A monitor group
 * then reads about one copy per run and day (its own slice, the neighbours when the slices moved
 * since), not all C. Read ranges that overlap or run against k (two attempts of one run id over
 * different series sets can leave them so) void that reasoning: then every copy is read.
 */

interface Range {
  first: string
  last: string
}

/**
 * Walks the copies `indices` (the slice numbers 1..count of the copies one run wrote that the
 * listing found) for the series `wanted`, starting at the copy where `group` (slice `index` of
 * `count`) would sit, and returns the indices it read, ascending. `read(k)` returns copy k's
 * series ids (the caller keeps what it parsed).
 */
export async function walkRunCopies(
  indices: readonly number[],
  count: number,
  wanted: readonly string[],
  group: { index: number; count: number },
  read: (index: number) => Promise<readonly string[]>,
): Promise<number[]> {
  const existing = [...new Set(indices)].sort((a, b) => a - b)
  const ranges = new Map<number, Range | undefined>()
  const held = new Set<string>()
  const load = async (k: number) => {
    const ids = await read(k)
    for (const id of ids) held.add(id)
    ranges.set(k, ids.length === 0 ? undefined : { first: ids.reduce((a, b) => (b < a ? b : a)), last: ids.reduce((a, b) => (b > a ? b : a)) })
  }
  if (existing.length === 0 || wanted.length === 0) return []
  const guess = Math.min(count, Math.max(1, Math.round(((group.index - 0.5) * count) / group.count + 0.5)))
  await load(existing.reduce((best, k) => (Math.abs(k - guess) < Math.abs(best - guess) ? k : best)))
  let open = [...wanted]
  for (;;) {
    if (!ordered(ranges)) {
      for (const k of existing) if (!ranges.has(k)) await load(k)
      break
    }
    open = open.filter((id) => !held.has(id) && nextCopyFor(id, existing, ranges) !== undefined)
    if (open.length === 0) break
    await load(nextCopyFor(open[0], existing, ranges)!)
  }
  return [...ranges.keys()].sort((a, b) => a - b)
}

/** Whether the read copies' ranges increase with k without overlapping (empty copies aside). */
function ordered(ranges: ReadonlyMap<number, Range | undefined>): boolean {
  let previous: Range | undefined
  for (const k of [...ranges.keys()].sort((a, b) => a - b)) {
    const range = ranges.get(k)
    if (!range) continue
    if (previous && previous.last >= range.first) return false
    previous = range
  }
  return true
}

/**
 * The unread copy to read next for `id`: undefined when no unread copy can hold it (it is inside
 * a read copy's range, or between two read copies with none unread between them, or past the
 * ends with no copy left there). Between read neighbours it bisects the unread copies.
 */
function nextCopyFor(id: string, existing: readonly number[], ranges: ReadonlyMap<number, Range | undefined>): number | undefined {
  let below = -Infinity
  let above = Infinity
  for (const [k, range] of ranges) {
    if (!range) continue
    if (range.first <= id && id <= range.last) return undefined
    if (range.last < id && k > below) below = k
    if (range.first > id && k < above) above = k
  }
  const candidates = existing.filter((k) => k > below && k < above && !ranges.has(k))
  if (candidates.length === 0) return undefined
  if (below === -Infinity) return candidates[candidates.length - 1]
  if (above === Infinity) return candidates[0]
  return candidates[Math.floor((candidates.length - 1) / 2)]
}
