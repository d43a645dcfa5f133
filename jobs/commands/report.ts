/** `gras report`: builds the report, stores it in the lake and writes its pages to a local folder. */
import { mkdirSync, renameSync, writeFileSync } from 'node:fs'
import { join, resolve } from 'node:path'
import { buildReport, storeReport } from '../report/run.js'
import type { JobContext } from '../runtime/job-context.js'

/** Default folder, relative to the working directory, beside the embedded lake and DynamoDB. */
export const defaultReportDir = (runId: string) => join('.gras', 'reports', runId)

/** Writes each page atomically (temp file, then rename); returns the absolute path of index.html. */
export function writeReportFolder(files: ReadonlyMap<string, string>, dir: string): string {
  const root = resolve(dir)
  mkdirSync(root, { recursive: true })
  for (const [file, html] of files) {
    const path = join(root, file)
    writeFileSync(`${path}.tmp`, html)
    renameSync(`${path}.tmp`, path)
  }
  return join(root, 'index.html')
}

/**
 * The whole of `gras report`, callable at the end of another command (pipeline, train, monitor):
 * the lake copy under reports/<run id>/, the local folder, and one log line saying where.
 */
export async function publishReport(context: JobContext, metrics?: readonly string[], outDir?: string): Promise<{ path: string; lakeKey: string; incomplete: string[] }> {
  const report = await buildReport(context, metrics)
  const lakeKey = await storeReport(context, report)
  const path = writeReportFolder(report.files, outDir ?? defaultReportDir(context.runId))
  const incomplete = report.input.metrics.filter((m) => m.problems.length > 0).map((m) => m.metricId)
  context.logger.info({ path, lakeKey, metrics: report.input.metrics.length, incomplete }, 'report written')
  return { path, lakeKey, incomplete }
}
