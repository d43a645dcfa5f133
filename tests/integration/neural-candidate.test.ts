/**
 * The global model as a candidate of `gras train`, end to end on the embedded default (wasm backend):
 * the pipeline trains it (two networks), registers and approves it; each metric's backtest report
 * scores it beside the statistical models without look-ahead; and an approved per-metric model that
 * uses it is forecast by `infer` on CPU with exactly the saved network's output.
 */
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { readFileSync, writeFileSync, mkdirSync } from 'node:fs'
import { join } from 'node:path'
import { DynamoDBClient } from '@aws-sdk/client-dynamodb'
import { embeddedDynamoDir, startEmbeddedDynamo } from '../../jobs/io/embedded-dynamo.js'
import { LocalObjectStore } from '../../jobs/io/local-store.js'
import { ModelRegistry } from '../../jobs/io/model-registry.js'
import { loadNeuralPredictor } from '../../jobs/neural/predictor.js'
import { selectBackend } from '../../jobs/neural/backend.js'
import { readSilverSeries } from '../../jobs/io/silver-reader.js'
import type { ModelArtifact } from '../../jobs/core/artifact.js'
import type { PredictionItem } from '../../jobs/io/predictions-table.js'
import { runCli } from '../helpers/run-cli.js'
import { configDir, tempDir } from '../helpers/paths.js'

const cwd = tempDir('neural-candidate')
const env = { GRAS_CONFIG: configDir }
const day = 86_400_000
const asOfMs = Math.floor(Date.now() / day) * day - day
const iso = (ms: number) => new Date(ms).toISOString().replace('.000Z', 'Z')
const lakeDir = join(cwd, '.gras/lake')

async function withRegistry<T>(body: (registry: ModelRegistry) => Promise<T>): Promise<T> {
  // The embedded tables live beside the lake; open them with the same server the CLI embeds.
  const server = await startEmbeddedDynamo(embeddedDynamoDir(lakeDir, undefined))
  const client = new DynamoDBClient({ endpoint: server.endpoint, region: 'local', credentials: { accessKeyId: 'x', secretAccessKey: 'x' } })
  try {
    return await body(new ModelRegistry(client, 'gras-models'))
  } finally {
    client.destroy()
    await server.close()
  }
}

test('neural joins the candidates of train, is versioned in the registry, and infer forecasts with it on CPU', { timeout: 300_000 }, async () => {
  assert.equal((await runCli(['demo-data', '--days', '28', '--end', iso(asOfMs)], { cwd, env })).code, 0)
  const run = await runCli(['pipeline', '--as-of', iso(asOfMs), '--run-id', 'nn-1'], { cwd, env, timeoutMs: 240_000 })
  assert.equal(run.code, 0, run.stderr)

  const saved = run.logs.find((l) => l.msg === 'neural model saved')
  assert.ok(saved, 'the pipeline trained the global model')
  const neuralVersion = saved.version as string
  const windows = saved.windows as { backtest: number; final: number }
  assert.ok(windows.backtest > 0 && windows.final > windows.backtest, `fewer windows before the cutoff: ${JSON.stringify(windows)}`)
  assert.ok(Number.isFinite(saved.backtestMase as number))

  // Every metric's backtest report scores neural like the others, and combinations over it.
  const trained = run.logs.filter((l) => l.msg === 'model trained')
  assert.equal(trained.length, 8, 'A, G, R, S and the four series of O')
  // Each group's models pack (here each metric's: O's four series in one) holds its series' reports.
  const packOf = (metric: string) => JSON.parse(readFileSync(join(lakeDir, `models/metric=${metric}/run=nn-1/group=1of1.json`), 'utf8')) as { series: Record<string, { artifact: ModelArtifact; backtest: ReturnType<typeof JSON.parse> }> }
  for (const log of trained) {
    const report = packOf(String(log.metric).split('~')[0]).series[String(log.metric)].backtest
    const neural = report.candidates.find((c: { model: string }) => c.model === 'neural')
    assert.ok(neural, `${log.metric}: neural among the candidates`)
    for (const field of ['mase', 'smape', 'coverage']) assert.ok(Number.isFinite(neural[field]), `${log.metric}: neural ${field}`)
    assert.ok(report.candidates.some((c: { model: string }) => c.model === 'combination:median'))
    assert.ok(!report.fallbacks.some((f: { model: string }) => f.model === 'neural'), JSON.stringify(report.fallbacks))
    // The backtest network saw nothing after the cutoff, which precedes every origin.
    assert.ok(report.origins.every((o: string) => Date.parse(o) >= Date.parse(saved.backtestCutoff as string)))
  }

  const listed = await runCli(['models', 'list', '--metrics', '_neural', '--json'], { cwd, env, allowText: true })
  assert.equal(listed.code, 0, listed.stderr)
  const neuralRows = JSON.parse(listed.stdout) as { version: string; status: string; model: string }[]
  assert.equal(neuralRows.find((r) => r.status === 'approved')?.version, neuralVersion)
  assert.equal(neuralRows[0].model, 'neural')

  // Approve a version of G that is the neural model alone, as train would when it wins.
  const approvedG = trained.find((l) => l.metric === 'G')!.version as string
  const artifact = packOf('G').series.G.artifact
  assert.equal(artifact.version, approvedG)
  const version = `${approvedG}-nn`
  const neuralArtifact: ModelArtifact = { ...artifact, version, model: 'neural', label: 'neural', params: { version: neuralVersion } }
  mkdirSync(join(lakeDir, `models/metric=G/${version}`), { recursive: true })
  writeFileSync(join(lakeDir, `models/metric=G/${version}/model.json`), JSON.stringify(neuralArtifact))
  await withRegistry(async (registry) => {
    await registry.register({ metricId: 'G', version, runId: 'nn-1', model: 'neural', backtestMase: 1, artifactKey: `models/metric=G/${version}/model.json`, createdAt: new Date().toISOString(), decision: 'kept', reason: 'test' })
  })
  assert.equal((await runCli(['models', 'approve', 'G', version], { cwd, env })).code, 0)

  const infer = await runCli(['infer', '--metrics', 'G', '--as-of', iso(asOfMs), '--run-id', 'nn-2'], { cwd, env })
  assert.equal(infer.code, 0, infer.stderr)
  assert.equal(infer.logs.find((l) => l.msg === 'forecast written')?.model, 'neural')
  assert.ok(infer.logs.some((l) => l.msg === 'neural backend selected' && l.backend === 'wasm'))

  // What infer stored is the final network's forecast from the newest window (clamped at 0).
  await selectBackend('wasm')
  const lake = new LocalObjectStore(lakeDir)
  const predictor = await loadNeuralPredictor(lake, neuralVersion)
  const { series } = await readSilverSeries(lake, 'G')
  const expected = predictor.predict(series.values, artifact.horizon, { periods: artifact.periods, phase0: Math.round(series.startMs / series.stepMs), stepMs: series.stepMs })
  const served = await runCli(['predictions', '--metric', 'G', '--from', iso(asOfMs), '--to', iso(asOfMs + 3 * day), '--json'], { cwd, env, allowText: true })
  const items = JSON.parse(served.stdout) as PredictionItem[]
  assert.equal(items.length, artifact.horizon)
  items.forEach((item, h) => {
    assert.equal(item.modelVersion, version)
    assert.ok(Math.abs(item.value - Math.max(0, expected[h])) <= 1e-6 * Math.max(1, Math.abs(expected[h])), `step ${h + 1}: ${item.value} vs ${expected[h]}`)
    assert.ok(item.lower <= item.value && item.value <= item.upper)
  })
  // And a forecast from before the backtest cutoff is refused: no look-ahead, even by mistake.
  assert.throws(() => predictor.predict(series.values.subarray(0, 24 * 7), 48, { periods: [24, 168], phase0: Math.round(series.startMs / series.stepMs), stepMs: series.stepMs }), /look-ahead/)
})
