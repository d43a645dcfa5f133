/** The manifest of a metric's silver features at one data cutoff: what `features` read and wrote. */
import { z } from 'zod'
import type { QuarantineRecord } from './quarantine.js'

const isoTime = z.iso.datetime()

const quarantineRecordSchema = z.object({ key: z.string(), reason: z.string(), quarantinedAs: z.string() }) satisfies z.ZodType<QuarantineRecord>

export const featuresManifestSchema = z.object({
  schemaVersion: z.number().int(),
  metricId: z.string().min(1),
  runId: z.string(),
  dataKey: z.string().min(1),
  rows: z.number().int().min(0),
  stepMs: z.number().int().positive(),
  startTs: isoTime,
  /** Exclusive: the first step after the data. */
  endTs: isoTime,
  filledSteps: z.number().int().min(0),
  window: z.object({ start: isoTime, end: isoTime }),
  /** `redelivered`: rows identical to events an earlier file delivered, counted once. */
  inputFiles: z.array(z.object({ key: z.string(), size: z.number(), etag: z.string().optional(), rows: z.number(), redelivered: z.number().optional() })),
  /** Objects under the metric that are not partitions or files of the contract (absent in older manifests). */
  skipped: z.array(z.object({ path: z.string(), objects: z.number() })).optional(),
  quarantined: z.array(quarantineRecordSchema),
  bytesRead: z.number(),
})

export type FeaturesManifest = z.infer<typeof featuresManifestSchema>
