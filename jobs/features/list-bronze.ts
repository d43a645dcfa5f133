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

function lastSegment(path: string): string {
  return path.replace(/\/+$/, '').split('/').pop() ?? ''
}

/** Lists metric `metricId`'s bronze for the UTC days overlapping [windowStartMs, windowEndMs). */
export async function listBronze(lake: ObjectStore, metricId: string, windowStartMs: number, windowEndMs: number): Promise<BronzeListing> {
  const out: BronzeListing = { files: [], nested: [], skipped: [] }
  const firstDay = Math.floor(windowStartMs / dayMs) * dayMs
  const inWindow = (fromMs: number, toMs: number) => fromMs < windowEndMs && toMs > firstDay
  const skipFolder = async (folder: string) => out.skipped.push({ path: folder, objects: (await lake.list(folder)).length })
  const skipObjects = (objects: ObjectInfo[]) => out.skipped.push(...objects.map((o) => ({ path: o.key, objects: 1 })))

  const metricLevel = await lake.listLevel(bronzeMetricPrefix(metricId))
  skipObjects(metricLevel.objects)
  for (const yearFolder of metricLevel.folders) {
    const year = bronzePartitionValue('year', lastSegment(yearFolder))
    if (year === undefined) {
      await skipFolder(yearFolder)
      continue
    }
    if (!inWindow(Date.UTC(year, 0, 1), Date.UTC(year + 1, 0, 1))) continue
    const yearLevel = await lake.listLevel(yearFolder)
    skipObjects(yearLevel.objects)
    for (const monthFolder of yearLevel.folders) {
      const month = bronzePartitionValue('month', lastSegment(monthFolder))
      if (month === undefined) {
        await skipFolder(monthFolder)
        continue
      }
      if (!inWindow(Date.UTC(year, month - 1, 1), Date.UTC(year, month, 1))) continue
      const monthLevel = await lake.listLevel(monthFolder)
      skipObjects(monthLevel.objects)
      for (const dayFolder of monthLevel.folders) {
        const day = bronzePartitionValue('day', lastSegment(dayFolder))
        const dayStartMs = day === undefined ? undefined : calendarDayMs(year, month, day)
        if (dayStartMs === undefined) {
          await skipFolder(dayFolder)
          continue
        }
        if (!inWindow(dayStartMs, dayStartMs + dayMs)) continue
        for (const info of await lake.list(dayFolder)) {
          const direct = !info.key.slice(dayFolder.length).includes('/')
          if (!info.key.endsWith('.parquet')) skipObjects([info])
          else if (direct) out.files.push({ info, dayStartMs })
          else out.nested.push(info)
        }
      }
    }
  }
  return out
}
