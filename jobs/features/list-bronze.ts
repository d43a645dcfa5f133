/**
 * Lists a metric's bronze files for a window, walking `year=`/`month=`/`day=` one level at a time
 * so only the window's days are read. Returns what it found in three kinds: files at the
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

/** The folders and objects of one level of a listing, built from the flat list of its keys. */
interface Folder {
  objects: ObjectInfo[]
  folders: Map<string, Folder>
  /** Objects at any depth below. */
  count: number
}

function folderTree(infos: readonly ObjectInfo[], base: string): Folder {
  const root: Folder = { objects: [], folders: new Map(), count: 0 }
  for (const info of infos) {
    const segments = info.key.slice(base.length).split('/')
    let folder = root
    folder.count++
    for (const name of segments.slice(0, -1)) {
      let child = folder.folders.get(name)
      if (!child) folder.folders.set(name, (child = { objects: [], folders: new Map(), count: 0 }))
      child.count++
      folder = child
    }
    folder.objects.push(info)
  }
  return root
}

function objectsBelow(folder: Folder): ObjectInfo[] {
  return [...folder.objects, ...[...folder.folders.values()].flatMap(objectsBelow)]
}

/**
 * Lists metric `metricId`'s bronze for the UTC days overlapping [windowStartMs, windowEndMs). One
 * listing of the metric's prefix (one S3 request per thousand keys, instead of one per partition
 * level and day), then the partitions walked in memory level by level.
 */
export async function listBronze(lake: ObjectStore, metricId: string, windowStartMs: number, windowEndMs: number): Promise<BronzeListing> {
  const out: BronzeListing = { files: [], nested: [], skipped: [] }
  const firstDay = Math.floor(windowStartMs / dayMs) * dayMs
  const base = `${bronzeMetricPrefix(metricId)}/`
  const byKey = (a: ObjectInfo, b: ObjectInfo) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0)
  const listDay = (folder: Folder, dayFolder: string, dayStartMs: number) => {
    for (const info of objectsBelow(folder).sort(byKey)) {
      if (!info.key.endsWith('.parquet')) out.skipped.push({ path: info.key, objects: 1 })
      else if (!info.key.slice(dayFolder.length).includes('/')) out.files.push({ info, dayStartMs })
      else out.nested.push(info)
    }
  }
  const walk = (folder: Folder, path: string, parts: number[]) => {
    out.skipped.push(...[...folder.objects].sort(byKey).map((o) => ({ path: o.key, objects: 1 })))
    const children = [...folder.folders].map(([name, child]) => ({ key: `${path}${name}/`, child })).sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0))
    for (const { key, child } of children) {
      const value = bronzePartitionValue(levels[parts.length], lastSegment(key))
      const span = value === undefined ? undefined : partitionSpan([...parts, value])
      if (!span) {
        out.skipped.push({ path: key, objects: child.count })
        continue
      }
      if (span.startMs >= windowEndMs || span.endMs <= firstDay) continue
      if (parts.length === levels.length - 1) listDay(child, key, span.startMs)
      else walk(child, key, [...parts, value!])
    }
  }
  walk(folderTree(await lake.list(bronzeMetricPrefix(metricId)), base), base, [])
  return out
}
