/** `gras report`: writes the report's pages to a local folder (the lake copy is written by the job). */
import { mkdirSync, renameSync, writeFileSync } from 'node:fs'
import { join, resolve } from 'node:path'

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
