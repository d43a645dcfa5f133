/** The manifest of a metric's silver features at one data cutoff: what `features` read and wrote. */
import type { QuarantineRecord } from './quarantine.js'

export interface FeaturesManifest {
  schemaVersion: number
  metricId: string
  runId: string
  dataKey: string
  rows: number
  stepMs: number
  startTs: string
  /** Exclusive: the first step after the data. */
  endTs: string
  filledSteps: number
  window: { start: string; end: string }
  /** `redelivered`: rows identical to events an earlier file delivered, counted once. */
  inputFiles: { key: string; size: number; etag?: string; rows: number; redelivered?: number }[]
  /** Objects under the metric that are not partitions or files of the contract (absent in older manifests). */
  skipped?: { path: string; objects: number }[]
  quarantined: QuarantineRecord[]
  bytesRead: number
}
