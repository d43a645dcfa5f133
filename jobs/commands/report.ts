/** `gras report`: builds the report, stores it in the lake and writes its pages to a local folder. */
import { rename, writeFile } from 'node:fs/promises'
import { makeFolder } from '../io/make-folder.js'
import { join, resolve } from 'node:path'
import { buildReport, storeReport } from '../report/run.js'
import type { JobContext } from '../runtime/job-context.js'

/** Default folder, relative to the working directory, beside the embedded lake and DynamoDB. */
export const defaultReportDir = (runId: string) => join('.gras', 'reports', runId)

/** Writes each page atomically (temp file, then rename); returns the absolute path of index.html. */
export async function writeReportFolder(files: ReadonlyMap<string, string>, dir: string): Promise<string> {
  const root = resolve(dir)
  await makeFolder(root, { subject: 'report', hint: 'check --out: a folder this user can write' })
  for (const [file, html] of files) {
    const path = join(root, file)
    await writeFile(`${path}.tmp`, html)
    await rename(`${path}.tmp`, path)
  }
  return join(root, 'index.html')
}

/**
 * The whole of `gras report`, callable at the end of another command (pipeline, train, monitor):
 * the lake copy under reports/<run id>/, the local folder (none when `outDir` is null), and one log
 * line saying where. `runId` is the run the report is of (default: the context's own run).
 */
export async function publishReport(context: JobContext, metrics?: readonly string[], outDir?: string | null, runId = context.runId): Promise<{ path?: string; lakeKey: string; incomplete: string[] }> {
  const report = await buildReport(context, metrics, runId)
  const lakeKey = await storeReport(context, report)
  const path = outDir === null ? undefined : await writeReportFolder(report.files, outDir ?? defaultReportDir(runId))
  const incomplete = report.input.metrics.filter((m) => m.problems.length > 0).map((m) => m.metricId)
  context.logger.info({ job: 'report', run_id: context.runId, path, lakeKey, runId, metrics: report.input.metrics.length, incomplete }, 'report written')
  return { path, lakeKey, incomplete }
}

/**
 * The report at the end of a job (pipeline, train, monitor) of the job's own run. A person reads the
 * local folder only on their own machine, so it is written only beside a local lake; in a pod the
 * lake copy is the report. A failure is a warning: the report never fails a forecast run.
 */
export async function publishRunReport(context: JobContext, metrics?: readonly string[]): Promise<string | undefined> {
  try {
    const report = await publishReport(context, metrics, context.lake.uri.startsWith('s3://') ? null : undefined)
    return report.path ?? `${context.lake.uri.replace(/\/+$/, '')}/${report.lakeKey}`
  } catch (error) {
    context.logger.warn({ err: error }, 'report not written')
    return undefined
  }
}
