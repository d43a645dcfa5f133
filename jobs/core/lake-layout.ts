/**
 * Every key the lake holds, built and parsed in one place. The bronze part is the contract with the
 * Java writer (README "Bronze contract"); the rest is ours.
 */
import { createHash } from 'node:crypto'
import { metricIdPattern } from './ids.js'
import { parseSeriesId } from './series-id.js'
import { compactDate, compactTimestamp } from './time.js'

export const bronzeRoot = 'bronze/gras'

function pad(n: number, width = 2): string {
  return String(n).padStart(width, '0')
}

export function bronzeMetricPrefix(metricId: string): string {
  return `${bronzeRoot}/metric=${metricId}`
}

/** `bronze/gras/metric=<id>/year=YYYY/month=MM/day=DD` for the UTC day starting at `dayStartMs`. */
export function bronzeDayPrefix(metricId: string, dayStartMs: number): string {
  const d = new Date(dayStartMs)
  return `${bronzeMetricPrefix(metricId)}/year=${d.getUTCFullYear()}/month=${pad(d.getUTCMonth() + 1)}/day=${pad(d.getUTCDate())}`
}

/** A bronze file as the demo writes it: `<day partition>/part-NNNN.parquet`. */
export function bronzeFileKey(metricId: string, dayStartMs: number, part: number): string {
  return `${bronzeDayPrefix(metricId, dayStartMs)}/part-${String(part).padStart(4, '0')}.parquet`
}

/**
 * The day partition folders of the bronze contract, as Hive writers name them: DuckDB's
 * `PARTITION_BY (year, month, day)` and Spark's `partitionBy` write integers unpadded
 * (`month=1/day=5`), the Java app pads them (`month=01/day=05`); both name the same day.
 */
const partitionPatterns = { year: /^year=(\d{4})$/, month: /^month=(\d{1,2})$/, day: /^day=(\d{1,2})$/ }

/** The number a `year=`, `month=` or `day=` folder name holds, or undefined when it is not one. */
export function bronzePartitionValue(level: keyof typeof partitionPatterns, folderName: string): number | undefined {
  const match = partitionPatterns[level].exec(folderName)
  if (!match) return undefined
  const n = Number(match[1])
  if (level === 'month' && (n < 1 || n > 12)) return undefined
  if (level === 'day' && (n < 1 || n > 31)) return undefined
  return n
}

/** The UTC start of a day, or undefined when year/month/day is no calendar date (February 30th). */
export function calendarDayMs(year: number, month: number, day: number): number | undefined {
  const ms = Date.UTC(year, month - 1, day)
  const check = new Date(ms)
  return check.getUTCFullYear() === year && check.getUTCMonth() + 1 === month && check.getUTCDate() === day ? ms : undefined
}

/** The UTC day a bronze key's partition names, or undefined when the key does not follow the layout. */
export function bronzePartitionDay(key: string): number | undefined {
  const match = /\/(year=[^/]*)\/(month=[^/]*)\/(day=[^/]*)\//.exec(key)
  if (!match) return undefined
  const year = bronzePartitionValue('year', match[1])
  const month = bronzePartitionValue('month', match[2])
  const day = bronzePartitionValue('day', match[3])
  return year === undefined || month === undefined || day === undefined ? undefined : calendarDayMs(year, month, day)
}

/** The metric id of a `.../metric=<id>/` prefix, or undefined when it is not one or not a valid id. */
export function metricIdOfPrefix(prefix: string): string | undefined {
  const match = /metric=([^/]+)\/?$/.exec(prefix)
  return match && metricIdPattern.test(match[1]) ? match[1] : undefined
}

/**
 * The series id of a `.../metric=<series id>/` prefix (every layer after bronze keys its units by
 * series id: a dimensionless metric's is its metric id), or undefined when it is not one or the id
 * is not canonical. Bronze partitions are metrics: they are parsed by metricIdOfPrefix.
 */
export function seriesIdOfPrefix(prefix: string): string | undefined {
  const match = /metric=([^/]+)\/?$/.exec(prefix)
  return match && parseSeriesId(match[1]) ? match[1] : undefined
}

export const silverFeaturesRoot = 'silver/gras/features'
/** `silver/gras/features/metric=<series id>`: the key builders below to `reportKey` take series ids. */
export const silverFeaturesPrefix = (seriesId: string) => `${silverFeaturesRoot}/metric=${seriesId}`
/**
 * The newest cutoff's manifest (a copy of `silverCutoffManifestKey` of that cutoff): what a reader
 * without a cutoff gets. features moves it forward only, so a backfill never replaces it.
 */
export const silverManifestKey = (metricId: string) => `${silverFeaturesPrefix(metricId)}/_manifest.json`
/** `silver/gras/features/metric=<id>/cutoff=YYYYMMDDTHHMMSSZ`: one folder per data cutoff (the window end). */
export const silverCutoffPrefix = (metricId: string, cutoffMs: number) => `${silverFeaturesPrefix(metricId)}/cutoff=${compactTimestamp(cutoffMs)}`
export const silverFeaturesKey = (metricId: string, cutoffMs: number) => `${silverCutoffPrefix(metricId, cutoffMs)}/features.parquet`
/** Written after its features file, so a manifest found names data that is there. */
export const silverCutoffManifestKey = (metricId: string, cutoffMs: number) => `${silverCutoffPrefix(metricId, cutoffMs)}/_manifest.json`

/**
 * `silver/gras/features/pack=<metric id>`: the silver of a metric with dimensions, every series in
 * one file per cutoff (a "pack"); a metric without dimensions keeps its `metric=<id>` folder above.
 */
export const silverPackPrefix = (metricId: string) => `${silverFeaturesRoot}/pack=${metricId}`
/** `pack=<id>/cutoff=YYYYMMDDTHHMMSSZ`: the pack of one data cutoff, `features.parquet` then `_manifest.json`. */
export const silverPackCutoffPrefix = (metricId: string, cutoffMs: number) => `${silverPackPrefix(metricId)}/cutoff=${compactTimestamp(cutoffMs)}`
export const silverPackFeaturesKey = (metricId: string, cutoffMs: number) => `${silverPackCutoffPrefix(metricId, cutoffMs)}/features.parquet`
export const silverPackCutoffManifestKey = (metricId: string, cutoffMs: number) => `${silverPackCutoffPrefix(metricId, cutoffMs)}/_manifest.json`
/**
 * The newest cutoff's pack manifest (a copy, moved forward only), in a folder of its own: one
 * listing of `silverPackNewestPrefix` gives its etag and size, on S3 as on a local lake.
 */
export const silverPackNewestPrefix = (metricId: string) => `${silverPackPrefix(metricId)}/newest`
export const silverPackManifestKey = (metricId: string) => `${silverPackNewestPrefix(metricId)}/_manifest.json`

/** The metric id of a `.../pack=<id>/` prefix, or undefined when it is not one or not a valid id. */
export function metricIdOfPackPrefix(prefix: string): string | undefined {
  const match = /\/pack=([^/]+)\/?$/.exec(prefix)
  return match && metricIdPattern.test(match[1]) ? match[1] : undefined
}

/** Where train wrote a series' artifact and backtest report before models packs: still read (a registry record naming it). */
export const modelVersionPrefix = (metricId: string, version: string) => `models/metric=${metricId}/${version}`
export const modelArtifactKey = (metricId: string, version: string) => `${modelVersionPrefix(metricId, version)}/model.json`
export const backtestReportKey = (metricId: string, version: string) => `${modelVersionPrefix(metricId, version)}/backtest.json`

/** A group's slice number and its metric's slice count (core/series-groups.ts); 1 of 1 is the whole metric. */
export interface GroupSlice {
  index: number
  count: number
}

/**
 * `models/metric=<metric id>/run=<run id>/group=<k>of<C>.json`: the models pack of one group of a
 * train run, holding every series' artifact and backtest report (io/model-artifacts.ts). `run=`
 * never begins a version id (`v...`), so packs and the per-version folders above never share a key.
 */
export const modelsPackKey = (metricId: string, runId: string, group: GroupSlice) => `models/metric=${metricId}/run=${runId}/group=${group.index}of${group.count}.json`

/** `predictions/metric=<metric id>`: the Parquet copies of a metric's groups (and, before groups, of one series, under its series id). */
export const predictionsPrefixForMetric = (metricId: string) => `predictions/metric=${metricId}`

/** `predictions/metric=<id>/date=YYYYMMDD`: the runs whose first forecast step falls on that UTC day. */
export const predictionsDayPrefix = (metricId: string, dateCompact: string) => `${predictionsPrefixForMetric(metricId)}/date=${dateCompact}`

/**
 * `predictions/metric=<metric id>/date=YYYYMMDD/<runId>.parquet` for a group of the whole metric
 * (a dimensionless metric's key as before groups), `<runId>~<k>of<C>.parquet` for one slice: run
 * ids never hold `~`. One copy per group, run and date, every row naming its series.
 */
export function predictionsKey(metricId: string, dateCompact: string, runId: string, group: GroupSlice = { index: 1, count: 1 }): string {
  const slice = group.count === 1 ? '' : `~${group.index}of${group.count}`
  return `${predictionsDayPrefix(metricId, dateCompact)}/${runId}${slice}.parquet`
}

/** The run and group slice of a predictions copy's key (either form of predictionsKey), or undefined when it is not one. */
export function predictionsCopyOfKey(key: string): { runId: string; group: GroupSlice } | undefined {
  const match = /\/date=\d{8}\/([^/~]+)(?:~(\d+)of(\d+))?\.parquet$/.exec(key)
  if (!match) return undefined
  return { runId: match[1], group: match[2] === undefined ? { index: 1, count: 1 } : { index: Number(match[2]), count: Number(match[3]) } }
}

/**
 * `monitor/served/metric=<metric id>/window=<first>-<end>/group=<k>of<C>.parquet`: the runs that
 * served a monitor group's series on the UTC days [first, end) (io/served-runs.ts), kept so the
 * monitor runs of one day read them once, not every run's copies every hour.
 */
export const servedRunsWindowPrefix = (metricId: string, firstDayMs: number, endDayMs: number) => `monitor/served/metric=${metricId}/window=${compactDate(firstDayMs)}-${compactDate(endDayMs)}`

export const servedRunsKey = (metricId: string, firstDayMs: number, endDayMs: number, group: GroupSlice) => `${servedRunsWindowPrefix(metricId, firstDayMs, endDayMs)}/group=${group.index}of${group.count}.parquet`

/** `monitor/served/metric=<metric id>/_late-run.json`: infer wrote a copy into a day that had already ended; kept served runs older than it are read again. */
export const lateRunMarkerKey = (metricId: string) => `monitor/served/metric=${metricId}/_late-run.json`

/** `monitor/written/metric=<metric id>/group=<k>of<C>.json`: what monitor last wrote to the accuracy table for a group's series (io/monitor-written.ts). */
export const monitorWrittenPrefix = (metricId: string) => `monitor/written/metric=${metricId}`

export const monitorWrittenKey = (metricId: string, group: GroupSlice) => `${monitorWrittenPrefix(metricId)}/group=${group.index}of${group.count}.json`

const quarantineSegmentChars = 160
const quarantineKeyChars = 800
const quarantineUnsafe = /[^A-Za-z0-9=._ -]/g

/**
 * Where a bad bronze file is copied, and its reason file beside it: `quarantine/<its key>` when
 * the key is in our closed alphabet, else each segment with other characters replaced by `_`,
 * cut to a length every file system and S3 accept, and a hash of the original key added so two
 * keys never share a quarantine key. The reason file keeps the original key.
 */
export function quarantineKeys(sourceKey: string): { copy: string; reason: string } {
  const segments = sourceKey.split('/')
  const safe = segments.map((segment) => {
    const replaced = segment === '' || segment === '.' || segment === '..' ? '_' : segment.replace(quarantineUnsafe, '_')
    return replaced.slice(0, quarantineSegmentChars)
  })
  let copy = `quarantine/${safe.join('/')}`
  if (copy.length > quarantineKeyChars || safe.some((segment, i) => segment !== segments[i])) {
    const hash = createHash('sha256').update(sourceKey).digest('hex').slice(0, 12)
    const last = safe.pop()!.slice(0, quarantineSegmentChars - hash.length - 1)
    const folders = safe.join('/').length + last.length > quarantineKeyChars ? safe.slice(0, 3) : safe
    copy = `quarantine/${[...folders, `${last}-${hash}`].join('/')}`
  }
  return { copy, reason: `${copy}.reason.json` }
}

/** The global neural model: its registry id (not a valid metric id, so it cannot collide with one) and its keys. */
export const neuralRegistryId = '_neural'
export const neuralVersionPrefix = (version: string) => `models/neural/${version}`
/** One member network of an ensemble: `models/neural/<version>/<phase>/m<k>`. */
export const neuralModelPrefix = (version: string, phase: NeuralPhase, member: number) => `${neuralVersionPrefix(version)}/${phase}/m${member}`
/** Written last by train-neural: a version without it is incomplete. */
export const neuralMetaKey = (version: string) => `${neuralVersionPrefix(version)}/gras.json`
export const neuralCheckpointPrefix = (runId: string, phase: NeuralPhase, member: number) => `checkpoints/${runId}/${phase}/m${member}`
/** The shapes a train-neural run id built its networks with (jobs/neural/run-shapes.ts). */
export const neuralRunShapesKey = (runId: string) => `checkpoints/${runId}/shapes.json`
/** A network saved in TensorFlow.js's format under `prefix`: its topology and weight manifest, and its weights. */
export const networkKeys = (prefix: string) => ({ topology: `${prefix}/model.json`, weights: `${prefix}/weights.bin` })
/** Names the slot that holds a checkpoint's newest save; written last. */
export const checkpointStateKey = (checkpointPrefix: string) => `${checkpointPrefix}/state.json`
/** One of a checkpoint's two slots: its network, and the optimizer's variables (their names and shapes, and their float32 values). */
export function checkpointSlotKeys(checkpointPrefix: string, slot: 'a' | 'b'): { network: string; optimizerSpecs: string; optimizerData: string } {
  const dir = `${checkpointPrefix}/${slot}`
  return { network: `${dir}/model`, optimizerSpecs: `${dir}/optimizer.json`, optimizerData: `${dir}/optimizer.bin` }
}
/** `backtest`: trained on data before every series' first backtest origin; `final`: on all data. */
export type NeuralPhase = 'backtest' | 'final'

/** A page of the HTML report of a run: `reports/<runId>/<file>` (index.html, metric=<id>.html). */
export const reportKey = (runId: string, file: string) => `reports/${runId}/${file}`

/** `plans/<plan id>/plan.json`: the shard split of `gras plan`; `plans/latest.json` is the newest. */
export const shardPlanKey = (planId: string) => `plans/${planId}/plan.json`
export const latestShardPlanKey = 'plans/latest.json'

export const silverDaysRoot = 'silver/gras/days'
/** `silver/gras/days/metric=<metric id>`: the day caches of a metric's bronze (per metric, not per series: one bronze file holds all its series). */
export const silverDaysPrefix = (metricId: string) => `${silverDaysRoot}/metric=${metricId}`
/** `silver/gras/days/metric=<id>/day=YYYYMMDD`: what one UTC day of the metric's bronze delivered. */
export const silverDayPrefix = (metricId: string, dayStartMs: number) => `${silverDaysPrefix(metricId)}/day=${new Date(dayStartMs).toISOString().slice(0, 10).replaceAll('-', '')}`
/** The day's accepted events (ts, value), written before its manifest. */
export const silverDayEventsKey = (metricId: string, dayStartMs: number) => `${silverDayPrefix(metricId, dayStartMs)}/events.parquet`
/** Written last: the files the day was built from, the quarantined ones with their reasons, and the events file's hash. */
export const silverDayManifestKey = (metricId: string, dayStartMs: number) => `${silverDayPrefix(metricId, dayStartMs)}/_manifest.json`
