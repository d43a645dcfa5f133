/**
 * Sort keys (`version`) of the registry table's items that are not model versions: the approved
 * pointer and the lease locks. They start with `~`, which no version id does (versionId: `v` and a
 * compact timestamp), so a query of a metric's items tells them apart by that first character.
 */
const nonVersionPrefix = '~'

export const approvedPointerKey = `${nonVersionPrefix}approved`

/** The lease lock of one job on a metric. */
export const leaseLockKey = (job: string) => `${nonVersionPrefix}lock:${job}`

/** True for a model version's sort key, false for the pointer and the locks. */
export const isModelVersionKey = (version: string) => !version.startsWith(nonVersionPrefix)
