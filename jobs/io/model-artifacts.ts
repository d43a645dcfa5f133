/** Model artifacts in the lake: written by train, read by train (for promotion) and infer. */
import { checkArtifact, type ModelArtifact } from '../core/artifact.js'
import { modelArtifactKey } from '../core/lake-layout.js'
import type { ObjectStore } from './object-store.js'
import { DataError, InputMissingError } from '../core/errors.js'

export async function readArtifact(lake: ObjectStore, metricId: string, version: string): Promise<ModelArtifact> {
  const key = modelArtifactKey(metricId, version)
  const bytes = await lake.get(key)
  if (!bytes) throw new InputMissingError(`models: artifact ${key} is missing (registered version ${version} of ${metricId})`)
  try {
    return checkArtifact(JSON.parse(new TextDecoder().decode(bytes)), key)
  } catch (error) {
    throw new DataError(`models: ${(error as Error).message}`)
  }
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
