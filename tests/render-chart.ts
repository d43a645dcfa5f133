/** Writes the chart rendered by the real helm with each values file to charts/gras-forecast/rendered/ (npm run render:chart). */
import { mkdirSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { helm } from './helpers/helm.js'
import { repoRoot } from './helpers/paths.js'

export const chartDir = join(repoRoot, 'charts/gras-forecast')
export const renderings = { default: 'values.yaml', production: 'values-production.yaml' } as const

/** `helm template gras charts/gras-forecast -n gras -f <values>`; throws with helm's message on failure. */
export function renderWith(valuesFile: string, extraArgs: string[] = []): string {
  const result = helm(['template', 'gras', chartDir, '--namespace', 'gras', '--values', join(chartDir, valuesFile), ...extraArgs])
  if (result.status !== 0) throw new Error(`helm template with ${valuesFile}: ${result.stderr.trim()}`)
  return result.stdout
}

if (process.argv[1]?.endsWith('render-chart.js')) {
  mkdirSync(join(chartDir, 'rendered'), { recursive: true })
  for (const [name, valuesFile] of Object.entries(renderings)) {
    writeFileSync(join(chartDir, 'rendered', `${name}.yaml`), renderWith(valuesFile))
    console.log(`charts/gras-forecast/rendered/${name}.yaml`)
  }
}
