/**
 * The predictions copies a monitor process lists, each listing made once for all its groups: a
 * day folder holds every group's copy of every run that day (thousands of keys, one LIST request
 * per thousand), so a listing per group and day would be most of the run's S3 cost.
 */
import { predictionsDayPrefix, predictionsPrefixForMetric } from '../core/lake-layout.js'
import { compactDate } from '../core/time.js'
import type { ObjectInfo, ObjectStore } from '../io/object-store.js'

export class CopyListings {
  private readonly days = new Map<string, Promise<ObjectInfo[]>>()
  private metricFolders?: Promise<Set<string>>

  constructor(readonly lake: ObjectStore) {}

  /** The objects of `metricId`'s day folder of the UTC day `dayMs`. */
  day(metricId: string, dayMs: number): Promise<ObjectInfo[]> {
    const prefix = predictionsDayPrefix(metricId, compactDate(dayMs))
    let listed = this.days.get(prefix)
    if (!listed) {
      listed = this.lake.list(prefix)
      // A failed listing (throttled, say) is not kept: the next group tries again.
      listed.catch(() => this.days.delete(prefix))
      this.days.set(prefix, listed)
    }
    return listed
  }

  /** Whether `predictions/metric=<id>/` exists: one listing of predictions/ for every id asked. */
  async hasFolder(id: string): Promise<boolean> {
    this.metricFolders ??= this.lake.listPrefixes('predictions').then((folders) => new Set(folders))
    return (await this.metricFolders).has(`${predictionsPrefixForMetric(id)}/`)
  }
}
