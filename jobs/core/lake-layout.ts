/**
 * Every key the lake holds, built and parsed in one place. The bronze part is the contract with the
 * Java writer (README "Bronze contract"); the rest is ours.
 */
import { metricIdPattern } from '../runtime/config-schema.js'

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

/** The UTC day a bronze key's partition names, or undefined when the key does not follow the layout. */
export function bronzePartitionDay(key: string): number | undefined {
  const match = /\/year=(\d{4})\/month=(\d{2})\/day=(\d{2})\//.exec(key)
  if (!match) return undefined
  const ms = Date.UTC(Number(match[1]), Number(match[2]) - 1, Number(match[3]))
  const check = new Date(ms)
  return check.getUTCDate() === Number(match[3]) && check.getUTCMonth() + 1 === Number(match[2]) ? ms : undefined
}

/** The metric id of a `.../metric=<id>/` prefix, or undefined when it is not one or not a valid id. */
export function metricIdOfPrefix(prefix: string): string | undefined {
  const match = /metric=([^/]+)\/?$/.exec(prefix)
  return match && metricIdPattern.test(match[1]) ? match[1] : undefined
}

export const silverFeaturesRoot = 'silver/gras/features'
export const silverFeaturesPrefix = (metricId: string) => `${silverFeaturesRoot}/metric=${metricId}`
export const silverFeaturesKey = (metricId: string) => `${silverFeaturesPrefix(metricId)}/features.parquet`
export const silverManifestKey = (metricId: string) => `${silverFeaturesPrefix(metricId)}/_manifest.json`

export const modelVersionPrefix = (metricId: string, version: string) => `models/metric=${metricId}/${version}`
export const modelArtifactKey = (metricId: string, version: string) => `${modelVersionPrefix(metricId, version)}/model.json`
export const backtestReportKey = (metricId: string, version: string) => `${modelVersionPrefix(metricId, version)}/backtest.json`

export const predictionsPrefixForMetric = (metricId: string) => `predictions/metric=${metricId}`

/** `predictions/metric=<id>/date=YYYYMMDD/<runId>.parquet`. */
export function predictionsKey(metricId: string, dateCompact: string, runId: string): string {
  return `${predictionsPrefixForMetric(metricId)}/date=${dateCompact}/${runId}.parquet`
}

/** Where a bad bronze file is copied, and its reason file beside it. */
export function quarantineKeys(sourceKey: string): { copy: string; reason: string } {
  return { copy: `quarantine/${sourceKey}`, reason: `quarantine/${sourceKey}.reason.json` }
}

/** The global neural model: its registry id (not a valid metric id, so it cannot collide with one) and its keys. */
export const neuralRegistryId = '_neural'
export const neuralVersionPrefix = (version: string) => `models/neural/${version}`
/** One member network of an ensemble: `models/neural/<version>/<phase>/m<k>`. */
export const neuralModelPrefix = (version: string, phase: NeuralPhase, member: number) => `${neuralVersionPrefix(version)}/${phase}/m${member}`
/** Written last by train-neural: a version without it is incomplete. */
export const neuralMetaKey = (version: string) => `${neuralVersionPrefix(version)}/gras.json`
export const neuralCheckpointPrefix = (runId: string, phase: NeuralPhase, member: number) => `checkpoints/${runId}/${phase}/m${member}`
/** `backtest`: trained on data before every series' first backtest origin; `final`: on all data. */
export type NeuralPhase = 'backtest' | 'final'

/** A page of the HTML report of a run: `reports/<runId>/<file>` (index.html, metric=<id>.html). */
export const reportKey = (runId: string, file: string) => `reports/${runId}/${file}`
