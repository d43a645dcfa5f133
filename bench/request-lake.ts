/**
 * The lake the request benches (object-requests, monitor-requests) count on: one hourly metric `P`
 * with a dimension `k` and many series in one bronze file per day, the config beside it, and a
 * counter of the DynamoDB requests a context makes.
 */
import { copyFileSync, mkdirSync, readdirSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb'
import { bronzeFileKey } from '../jobs/core/lake-layout.js'
import { encodeParquet } from '../jobs/io/parquet-write.js'
import type { ObjectStore } from '../jobs/io/object-store.js'
import { loadConfig } from '../jobs/runtime/config-load.js'
import type { GrasConfig } from '../jobs/runtime/config-schema.js'

const hourMs = 3_600_000

/** `P`'s bronze file of each day in `dayStarts`, `hoursOf(day)` hours of every series `s00000`... each. */
export async function writeDimsBronze(lake: ObjectStore, seriesCount: number, dayStarts: readonly number[], hoursOf: (dayStart: number) => number, endMs: number): Promise<void> {
  const ids = Array.from({ length: seriesCount }, (_, i) => `s${String(i).padStart(5, '0')}`)
  for (const dayStart of dayStarts) {
    // d: the day's distance back from endMs, which seeds its values.
    const d = Math.round((endMs - dayStart) / (24 * hourMs))
    const ts: number[] = []
    const values: number[] = []
    const k: string[] = []
    for (const [s, id] of ids.entries()) {
      for (let h = 0; h < hoursOf(dayStart); h++) {
        ts.push(dayStart + h * hourMs)
        values.push(100 + s + 20 * Math.sin((2 * Math.PI * h) / 24 + s) + ((h * 7 + s * 13 + d) % 11))
        k.push(id)
      }
    }
    await lake.put(bronzeFileKey('P', dayStart, 0), encodeParquet([
      { name: 'ts', type: 'TIMESTAMP', data: ts },
      { name: 'value', type: 'DOUBLE', data: Float64Array.from(values) },
      { name: 'k', type: 'STRING', data: k },
    ]))
  }
}

/** The project's config/ copied under `root`, with the lake, `P`'s dimension, snaive on 2 origins and `trainExtra` (indented YAML lines) on top. */
export function benchConfig(root: string, lakeDir: string, trainExtra = ''): Readonly<GrasConfig> {
  const configDir = join(root, 'config')
  mkdirSync(configDir)
  for (const name of readdirSync('config')) copyFileSync(join('config', name), join(configDir, name))
  writeFileSync(join(configDir, 'zz-bench.yaml'), `lake: ${lakeDir}\nmetrics:\n  P:\n    dimensions: [k]\ntrain:\n  candidates: [snaive]\n  backtestOrigins: 2\n${trainExtra}`)
  return loadConfig(configDir)
}

/** Counts the client's requests by command; `take()` returns the counts since the last take. */
export function countDynamoCommands(client: DynamoDBClient): { take(): Map<string, number> } {
  let commands = new Map<string, number>()
  client.middlewareStack.add(
    (next, info) => async (args) => {
      const name = String(info.commandName).replace(/Command$/, '')
      commands.set(name, (commands.get(name) ?? 0) + 1)
      return next(args)
    },
    { step: 'initialize', name: 'countBenchRequests' },
  )
  return {
    take() {
      const taken = commands
      commands = new Map()
      return taken
    },
  }
}
