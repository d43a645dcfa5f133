/**
 * Model artifacts in the lake: written by train, read by train (for promotion), infer, monitor and
 * the commands. Train writes one models pack per group of series and run
 * (lake-layout.ts modelsPackKey): every series' artifact and backtest report in one object, which
 * the registry record of each version names as its `artifact_key`. A record naming a single
 * `models/metric=<series>/<version>/model.json` (written before packs, by the previous release)
 * is read from there, with its `backtest.json` beside it: a lake of that release keeps working.
 */
import { z } from 'zod'
import { artifactSchemaVersion, type ModelArtifact } from '../core/artifact.js'
import { modelNames } from '../core/ids.js'
import { backtestReportKey, modelArtifactKey } from '../core/lake-layout.js'
import type { CandidateReport, Fallback } from '../core/select.js'
import type { ObjectStore } from './object-store.js'
import { DataError, InputMissingError } from '../core/errors.js'
import { numberOrNaN, parseDocument, parseLakeDocument } from './lake-document.js'
import type { ModelRegistry } from './model-registry.js'

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

/** Where a registered version's artifact is: its series, version and the registry record's `artifact_key` (absent: the single-artifact key). */
export interface ArtifactRef {
  /** The series id (a dimensionless metric's is its metric id). */
  metricId: string
  version: string
  artifactKey?: string
}

/** The ref of a version from its registry record; a version without one is looked for at its single-artifact key. */
export async function artifactRef(registry: ModelRegistry, seriesId: string, version: string): Promise<ArtifactRef> {
  const record = await registry.getVersion(seriesId, version)
  return { metricId: seriesId, version, artifactKey: record?.artifactKey }
}

const isSingleArtifact = (ref: ArtifactRef) => ref.artifactKey === undefined || ref.artifactKey === modelArtifactKey(ref.metricId, ref.version)

export async function readArtifact(lake: ObjectStore, ref: ArtifactRef): Promise<ModelArtifact> {
  if (isSingleArtifact(ref)) {
    const key = modelArtifactKey(ref.metricId, ref.version)
    const bytes = await lake.get(key)
    if (!bytes) throw new InputMissingError(`models: artifact ${key} is missing (registered version ${ref.version} of ${ref.metricId})`)
    return parseLakeDocument(modelArtifactSchema, bytes, key)
  }
  const { key, entry } = await packEntry(lake, ref)
  const artifact = parseDocument(modelArtifactSchema, entry.artifact, `${key}: series.${ref.metricId}.artifact`)
  if (artifact.version !== ref.version) throw new DataError(`models: ${key} holds version ${artifact.version} of ${ref.metricId} (expected ${ref.version}, which the registry names it for)`)
  return artifact
}

export async function readBacktestReport(lake: ObjectStore, ref: ArtifactRef): Promise<BacktestReport> {
  if (isSingleArtifact(ref)) {
    const key = backtestReportKey(ref.metricId, ref.version)
    const bytes = await lake.get(key)
    if (!bytes) throw new InputMissingError(`backtest: ${key} is missing (approved version ${ref.version} of ${ref.metricId})`)
    return parseLakeDocument(backtestReportSchema, bytes, key)
  }
  const { key, entry } = await packEntry(lake, ref)
  return parseDocument(backtestReportSchema, entry.backtest, `${key}: series.${ref.metricId}.backtest`)
}

/** A models pack: one group's series of one train run, each with its artifact and its backtest report. */
export interface ModelsPack {
  schemaVersion: typeof modelsPackSchemaVersion
  metricId: string
  runId: string
  group: string
  series: Record<string, { artifact: ModelArtifact; backtest: Record<string, unknown> }>
}

export const modelsPackSchemaVersion = 1

/** The envelope only: each series' entry is checked when it is read, so one bad entry fails only its series. */
const packSchema = z.object({
  schemaVersion: z.literal(modelsPackSchemaVersion),
  metricId: z.string(),
  runId: z.string(),
  group: z.string(),
  series: z.record(z.string(), z.object({ artifact: z.unknown(), backtest: z.unknown() })),
})

type ParsedPack = z.output<typeof packSchema>

/**
 * Packs read lately, by lake and key: a group's series are read one after another (infer, monitor,
 * the report), so the pack is fetched once for them. A pack's key names one run's group, and a
 * rerun of that run rewrites it through writeModelsPack, which replaces the cached copy.
 */
const packCache = new Map<string, Promise<ParsedPack | undefined>>()
const cachedPacks = 8

function cachePack(cacheKey: string, pack: Promise<ParsedPack | undefined>): Promise<ParsedPack | undefined> {
  packCache.delete(cacheKey)
  packCache.set(cacheKey, pack)
  while (packCache.size > cachedPacks) packCache.delete(packCache.keys().next().value!)
  // A failed read (throttled, say) is not kept: the next series tries again.
  pack.catch(() => packCache.delete(cacheKey))
  return pack
}

async function packEntry(lake: ObjectStore, ref: ArtifactRef): Promise<{ key: string; entry: ParsedPack['series'][string] }> {
  const key = ref.artifactKey!
  const cacheKey = `${lake.uri}\n${key}`
  const pack = await (packCache.get(cacheKey) ?? cachePack(cacheKey, lake.get(key).then((bytes) => bytes && parseLakeDocument(packSchema, bytes, key))))
  if (!pack) throw new InputMissingError(`models: models pack ${key} is missing (registered version ${ref.version} of ${ref.metricId})`)
  const entry = Object.hasOwn(pack.series, ref.metricId) ? pack.series[ref.metricId] : undefined
  if (!entry) throw new DataError(`models: ${key} holds no series ${ref.metricId} (the registry names it for version ${ref.version})`)
  return { key, entry }
}

/**
 * Writes a group's models pack (before any registry record names it) and keeps it as this
 * process's copy. An earlier attempt of the same run may have written the key already and
 * registered its series (a retry after a crash, `--only drifted` after some flags were cleared, a
 * narrower `--metrics`): its entries for series this attempt did not produce are kept, so no record
 * is left naming a pack that lost its series.
 */
export async function writeModelsPack(lake: ObjectStore, key: string, pack: ModelsPack): Promise<void> {
  // Asked by a listing first: a GET of a missing key is retried by the S3 store.
  const earlier = (await lake.exists(key)) ? await lake.get(key) : undefined
  const kept = earlier ? parseLakeDocument(packSchema, earlier, key).series : {}
  const text = JSON.stringify({ ...pack, series: { ...kept, ...pack.series } }) + '\n'
  await lake.put(key, text)
  cachePack(`${lake.uri}\n${key}`, Promise.resolve(parseLakeDocument(packSchema, new TextEncoder().encode(text), key)))
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
