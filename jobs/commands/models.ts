/** `gras models list|approve|rollback`: read and override the registry's approved version. */
import { ModelRegistry, type ApprovedPointer, type ModelVersionRecord } from '../io/model-registry.js'
import { InputMissingError } from '../core/errors.js'
import { formatNumber, formatTable } from './format-table.js'

export interface ModelListing {
  metricId: string
  approved?: ApprovedPointer
  versions: ModelVersionRecord[]
}

export async function listModels(registry: ModelRegistry, metricIds: string[]): Promise<ModelListing[]> {
  return Promise.all(
    metricIds.map(async (metricId) => ({ metricId, approved: await registry.getApproved(metricId), versions: await registry.listVersions(metricId) })),
  )
}

export function formatModelListings(listings: ModelListing[]): string {
  const rows = listings.flatMap((l) =>
    l.versions.map((v) => [
      l.metricId,
      v.version,
      v.model,
      formatNumber(v.backtestMase),
      v.version === l.approved?.version ? 'approved' : l.approved?.previous.includes(v.version) ? 'previously approved' : v.decision,
      v.createdAt,
    ]),
  )
  return rows.length === 0 ? 'no registered models' : formatTable(['metric', 'version', 'model', 'mase', 'status', 'created'], rows)
}

/** Approves an existing version by hand, whatever its backtest says. */
export async function approveVersion(registry: ModelRegistry, metricId: string, version: string, actor: string, nowIso: string): Promise<void> {
  const record = await registry.getVersion(metricId, version)
  if (!record) throw new InputMissingError(`models: ${metricId} has no version ${version} (see gras models list --metrics ${metricId})`)
  await registry.approve(metricId, version, await registry.getApproved(metricId), actor, nowIso)
}

/** Re-approves the version approved before the current one; returns it. */
export async function rollbackVersion(registry: ModelRegistry, metricId: string, actor: string, nowIso: string): Promise<string> {
  const current = await registry.getApproved(metricId)
  if (!current) throw new InputMissingError(`models: ${metricId} has no approved version to roll back from`)
  return registry.rollback(metricId, current, actor, nowIso)
}
