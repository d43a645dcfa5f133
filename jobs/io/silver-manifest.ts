/** The manifest of a series' silver features at one data cutoff: what `features` read and wrote. */
import { z } from 'zod'
import type { QuarantineRecord } from './quarantine.js'

const isoTime = z.iso.datetime()

const quarantineRecordSchema = z.object({ key: z.string(), reason: z.string(), quarantinedAs: z.string() }) satisfies z.ZodType<QuarantineRecord>

export const featuresManifestSchema = z.object({
  schemaVersion: z.number().int(),
  metricId: z.string().min(1),
  /** Only for a series of a metric with dimensions: its id (core/series-id.ts), which keys its silver. */
  seriesId: z.string().min(1).optional(),
  /** With seriesId: the series' dimension values by name, null where the bronze cell was null or empty. */
  dimensions: z.record(z.string(), z.string().nullable()).optional(),
  runId: z.string(),
  dataKey: z.string().min(1),
  rows: z.number().int().min(0),
  stepMs: z.number().int().positive(),
  startTs: isoTime,
  /** Exclusive: the first step after the data. */
  endTs: isoTime,
  filledSteps: z.number().int().min(0),
  window: z.object({ start: isoTime, end: isoTime }),
  /** `rows`, `redelivered`: of this series; `redelivered`: rows identical to events an earlier file delivered, counted once. */
  inputFiles: z.array(z.object({ key: z.string(), size: z.number(), etag: z.string().optional(), rows: z.number(), redelivered: z.number().optional() })),
  /** Objects under the metric that are not partitions or files of the contract (absent in older manifests). */
  skipped: z.array(z.object({ path: z.string(), objects: z.number() })).optional(),
  quarantined: z.array(quarantineRecordSchema),
  bytesRead: z.number(),
})

export type FeaturesManifest = z.infer<typeof featuresManifestSchema>

/** The series a manifest describes: what its silver keys are built from. */
export function seriesIdOfManifest(manifest: Pick<FeaturesManifest, 'metricId' | 'seriesId'>): string {
  return manifest.seriesId ?? manifest.metricId
}
