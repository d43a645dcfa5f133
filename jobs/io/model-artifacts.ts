/** Model artifacts in the lake: written by train, read by train (for promotion) and infer. */
import { z } from 'zod'
import { artifactSchemaVersion, type ModelArtifact } from '../core/artifact.js'
import { modelNames } from '../core/ids.js'
import { backtestReportKey, modelArtifactKey } from '../core/lake-layout.js'
import type { CandidateReport, Fallback } from '../core/select.js'
import type { ObjectStore } from './object-store.js'
import { InputMissingError } from '../core/errors.js'
import { numberOrNaN, parseLakeDocument } from './lake-document.js'

/** A candidate's backtest scores; NaN (a model that could not be scored) is stored as null. */
export const candidateReportSchema = z.object({ model: z.string(), mase: numberOrNaN, smape: numberOrNaN, coverage: numberOrNaN }) satisfies z.ZodType<CandidateReport, unknown>
export const fallbackSchema = z.object({ model: z.string(), reason: z.string(), detail: z.string() }) satisfies z.ZodType<Fallback>

/** core/artifact.ts's ModelArtifact as read back; tests/unit/io/lake-documents.test.ts checks that the two agree. */
export const modelArtifactSchema = z.object({
  schemaVersion: z.literal(artifactSchemaVersion),
  metricId: z.string(),
  version: z.string(),
  runId: z.string(),
  model: z.enum([...modelNames, 'combination']),
  label: z.string(),
  params: z.unknown(),
  periods: z.array(z.number().int().positive()),
  stepMs: z.number().int().positive(),
  horizon: z.number().int().min(1),
  intervalLevel: z.number().gt(0).lt(1),
  nonNegative: z.boolean(),
  halfWidths: z.array(numberOrNaN),
  backtestMase: numberOrNaN,
  candidates: z.array(candidateReportSchema),
  fallbacks: z.array(fallbackSchema),
  trainedThrough: z.iso.datetime(),
  dataCutoff: z.iso.datetime().optional(),
})

export async function readArtifact(lake: ObjectStore, metricId: string, version: string): Promise<ModelArtifact> {
  const key = modelArtifactKey(metricId, version)
  const bytes = await lake.get(key)
  if (!bytes) throw new InputMissingError(`models: artifact ${key} is missing (registered version ${version} of ${metricId})`)
  return parseLakeDocument(modelArtifactSchema, bytes, key)
}

/** `backtest.json` beside the artifact: the selection's origins and every candidate's scores, which `gras backtest` and the report show. */
const backtestReportSchema = z.object({
  chosen: z.string(),
  origins: z.array(z.iso.datetime()),
  horizon: z.number().int().min(1),
  intervalLevel: z.number().gt(0).lt(1),
  candidates: z.array(candidateReportSchema),
  fallbacks: z.array(fallbackSchema),
})

export type BacktestReport = z.output<typeof backtestReportSchema>

export async function readBacktestReport(lake: ObjectStore, metricId: string, version: string): Promise<BacktestReport> {
  const key = backtestReportKey(metricId, version)
  const bytes = await lake.get(key)
  if (!bytes) throw new InputMissingError(`backtest: ${key} is missing (approved version ${version} of ${metricId})`)
  return parseLakeDocument(backtestReportSchema, bytes, key)
}

/** Run ids and version ids end up in keys: this keeps them to the safe alphabet. */
export function versionId(trainedThroughCompact: string, runId: string): string {
  return `v${trainedThroughCompact}-${runId.replace(/[^A-Za-z0-9-]/g, '-').slice(0, 48)}`
}

/**
 * The data cutoff (epoch ms) a model was trained to: its artifact's `dataCutoff`, else its
 * `trainedThrough`, else the time its version id starts with (`versionId`); NaN when none says.
 */
export function modelCutoffMs(version: string, artifact?: Partial<Pick<ModelArtifact, 'dataCutoff' | 'trainedThrough'>>): number {
  const recorded = artifact?.dataCutoff ?? artifact?.trainedThrough
  if (recorded !== undefined) return Date.parse(recorded)
  const match = /^v(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z-/.exec(version)
  return match ? Date.UTC(+match[1], +match[2] - 1, +match[3], +match[4], +match[5], +match[6]) : Number.NaN
}
