/** `gras demo-data`: writes the generated sample files into the lake's bronze layout. */
import { bronzeFileKey, bronzeRoot } from '../core/lake-layout.js'
import { encodeParquet } from '../io/parquet-write.js'
import type { ObjectStore } from '../io/object-store.js'
import type { Logger } from '../runtime/logger.js'
import { generateDemoFiles, type DemoOptions } from './generate.js'

export async function writeDemoData(lake: ObjectStore, options: DemoOptions, logger: Logger): Promise<{ files: number; rows: number }> {
  const files = generateDemoFiles(options)
  let rows = 0
  for (const file of files) {
    const key = bronzeFileKey(file.metricId, file.dayStartMs, file.part)
    const body = encodeParquet([
      { name: 'ts', type: 'TIMESTAMP', data: file.tsMs },
      { name: 'value', type: 'DOUBLE', data: file.values },
      { name: 'source', type: 'STRING', data: file.tsMs.length ? Array.from(file.tsMs, () => 'demo') : [] },
      ...Object.entries(file.dimensions ?? {}).map(([name, data]) => ({ name, type: 'STRING' as const, data })),
    ])
    await lake.put(key, body)
    rows += file.tsMs.length
  }
  logger.info({ job: 'demo-data', files: files.length, rows, days: options.days, lake: lake.uri }, 'demo data written')
  return { files: files.length, rows }
}

/** True when the lake holds no bronze data yet. */
export async function lakeIsEmpty(lake: ObjectStore): Promise<boolean> {
  return (await lake.listPrefixes(bronzeRoot)).length === 0
}
