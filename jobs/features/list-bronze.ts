/**
 * Lists a metric's bronze files for a window, walking `year=`/`month=`/`day=` one level at a time
 * so only the window's days are listed in full. Returns what it found in three kinds: files at the
 * contract's depth in a day of the window, `.parquet` files nested deeper inside such a day (to
 * quarantine: neither summed in nor dropped silently), and everything else that is not a
 * partition or a bronze file (to report).
 */
import { bronzeMetricPrefix, bronzePartitionValue, calendarDayMs } from '../core/lake-layout.js'
import { dayMs } from '../core/time.js'
import type { ObjectInfo, ObjectStore } from '../io/object-store.js'

export interface BronzeListing {
  /** `.parquet` files directly inside a day partition of the window, each with its day. */
  files: { info: ObjectInfo; dayStartMs: number }[]
  /** `.parquet` files below a day partition of the window, deeper than the contract. */
  nested: ObjectInfo[]
  /** Keys and folders that are not bronze partitions or files, and how many objects they hold. */
  skipped: { path: string; objects: number }[]
}

/** The last name of a listed folder (`a/b/` -> `b`; S3's `a/b//` -> ``, which is no partition). */
function lastSegment(folder: string): string {
  return folder.slice(0, -1).split('/').pop() ?? ''
}

const levels = ['year', 'month', 'day'] as const

/** The UTC span a partition path names (`[year]`, `[year, month]`, `[year, month, day]`), or undefined when no calendar date. */
function partitionSpan(parts: number[]): { startMs: number; endMs: number } | undefined {
  const [year, month, day] = parts
  if (parts.length === 1) return { startMs: Date.UTC(year, 0, 1), endMs: Date.UTC(year + 1, 0, 1) }
  if (parts.length === 2) return { startMs: Date.UTC(year, month - 1, 1), endMs: Date.UTC(year, month, 1) }
  const startMs = calendarDayMs(year, month, day)
  return startMs === undefined ? undefined : { startMs, endMs: startMs + dayMs }
}

/** Lists metric `metricId`'s bronze for the UTC days overlapping [windowStartMs, windowEndMs). */
export async function listBronze(lake: ObjectStore, metricId: string, windowStartMs: number, windowEndMs: number): Promise<BronzeListing> {
  const out: BronzeListing = { files: [], nested: [], skipped: [] }
  const firstDay = Math.floor(windowStartMs / dayMs) * dayMs
  const listDay = async (dayFolder: string, dayStartMs: number) => {
    for (const info of await lake.list(dayFolder)) {
      if (!info.key.endsWith('.parquet')) out.skipped.push({ path: info.key, objects: 1 })
      else if (!info.key.slice(dayFolder.length).includes('/')) out.files.push({ info, dayStartMs })
      else out.nested.push(info)
    }
  }
  const walk = async (folder: string, parts: number[]): Promise<void> => {
    const level = await lake.listLevel(folder)
    out.skipped.push(...level.objects.map((o) => ({ path: o.key, objects: 1 })))
    for (const child of level.folders) {
      const value = bronzePartitionValue(levels[parts.length], lastSegment(child))
      const span = value === undefined ? undefined : partitionSpan([...parts, value])
      if (!span) {
        out.skipped.push({ path: child, objects: (await lake.list(child)).length })
        continue
      }
      if (span.startMs >= windowEndMs || span.endMs <= firstDay) continue
      if (parts.length === levels.length - 1) await listDay(child, span.startMs)
      else await walk(child, [...parts, value!])
    }
  }
  await walk(bronzeMetricPrefix(metricId), [])
  return out
}
