/** `gras models list|approve|rollback`: read and override the registry's approved version. */
import { ModelRegistry, type ApprovedPointer, type ModelVersionRecord } from '../io/model-registry.js'
import { InputMissingError, UsageError } from '../core/errors.js'
import { formatMase, printRows, type Column, type RowFormat } from './format-table.js'

export interface ModelListing {
  metricId: string
  approved?: ApprovedPointer
  versions: ModelVersionRecord[]
}

/** One registered version as `models list` prints it (also its JSON and CSV fields). */
export interface ModelRow {
  metricId: string
  version: string
  /** The shortest prefix, of at least `shortVersionMin` characters, that no other version of the metric starts with. */
  shortVersion: string
  runId: string
  model: string
  /** The chosen candidate's backtest MASE (the artifact's backtestMase), the number the promotion compared. */
  backtestMase: number
  status: string
  decision: string
  reason: string
  createdAt: string
  dataCutoff: string | null
}

/** Like git's abbreviated hashes: `v` and the trained-through date and hour at least. */
export const shortVersionMin = 12

export async function listModels(registry: ModelRegistry, metricIds: string[]): Promise<ModelListing[]> {
  return Promise.all(
    metricIds.map(async (metricId) => ({ metricId, approved: await registry.getApproved(metricId), versions: await registry.listVersions(metricId) })),
  )
}

/** The shortest prefix of `version` (at least `min` characters) that none of `others` starts with. */
export function shortenVersion(version: string, others: readonly string[], min = shortVersionMin): string {
  const rivals = others.filter((v) => v !== version)
  for (let length = Math.min(min, version.length); length < version.length; length++) {
    const prefix = version.slice(0, length)
    if (!rivals.some((v) => v.startsWith(prefix))) return prefix
  }
  return version
}

export function modelRows(listings: ModelListing[]): ModelRow[] {
  return listings.flatMap((l) => {
    const all = l.versions.map((v) => v.version)
    return l.versions.map((v) => ({
      metricId: l.metricId,
      version: v.version,
      shortVersion: shortenVersion(v.version, all),
      runId: v.runId,
      model: v.model,
      backtestMase: v.backtestMase,
      status: v.version === l.approved?.version ? 'approved' : l.approved?.previous.includes(v.version) ? 'previously approved' : v.decision,
      decision: v.decision,
      reason: v.reason,
      createdAt: v.createdAt,
      dataCutoff: v.dataCutoff ?? null,
    }))
  })
}

const columns: Column<ModelRow>[] = [
  { key: 'metricId', header: 'metric', align: 'left' },
  { key: 'shortVersion', header: 'version', align: 'left' },
  { key: 'model', align: 'left' },
  { key: 'backtestMase', header: 'mase', align: 'right', text: (r) => formatMase(r.backtestMase) },
  { key: 'status', align: 'left' },
  { key: 'createdAt', header: 'created', align: 'left' },
]
const fields: (keyof ModelRow)[] = ['metricId', 'version', 'shortVersion', 'runId', 'model', 'backtestMase', 'status', 'decision', 'reason', 'createdAt', 'dataCutoff']

export function printModelListings(listings: ModelListing[], format: RowFormat): string {
  return printRows(format, columns, modelRows(listings), { empty: 'no registered models', fields })
}

/**
 * The full version id of `given`: itself when registered, else the one version of the metric it
 * is a prefix of. Throws UsageError when several versions start with it, InputMissingError when none.
 */
export async function resolveVersion(registry: ModelRegistry, metricId: string, given: string): Promise<string> {
  if (await registry.getVersion(metricId, given)) return given
  // As git: a prefix too short to mean anything is not looked up.
  const matches = given.length < 4 ? [] : (await registry.listVersions(metricId)).map((v) => v.version).filter((v) => v.startsWith(given))
  if (matches.length === 1) return matches[0]
  if (matches.length > 1) throw new UsageError(`models: version ${given} of ${metricId} is ambiguous: ${matches.join(', ')} start with it (give more characters)`)
  throw new InputMissingError(`models: ${metricId} has no version ${given} (see gras models list --metrics ${metricId})`)
}

/** Approves an existing version (its full id or a unique prefix) by hand, whatever its backtest says; returns the full id. */
export async function approveVersion(registry: ModelRegistry, metricId: string, version: string, actor: string, nowIso: string): Promise<string> {
  const full = await resolveVersion(registry, metricId, version)
  await registry.approve(metricId, full, await registry.getApproved(metricId), actor, nowIso)
  return full
}

/** Re-approves the version approved before the current one; returns it. */
export async function rollbackVersion(registry: ModelRegistry, metricId: string, actor: string, nowIso: string): Promise<string> {
  const current = await registry.getApproved(metricId)
  if (!current) throw new InputMissingError(`models: ${metricId} has no approved version to roll back from`)
  return registry.rollback(metricId, current, actor, nowIso)
}
