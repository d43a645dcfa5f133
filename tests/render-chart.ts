/** Writes the chart rendered with each values file to charts/gras-forecast/rendered/ (npm run render:chart). */
import { mkdirSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { loadValues, renderChart } from './helpers/helm-subset.js'
import { repoRoot } from './helpers/paths.js'

export const chartDir = join(repoRoot, 'charts/gras-forecast')
export const renderings = { default: 'values.yaml', production: 'values-production.yaml' } as const

export function renderWith(valuesFile: string): string {
  return renderChart({ chartDir, values: loadValues(join(chartDir, valuesFile)), release: { name: 'gras', namespace: 'gras' } })
}

if (process.argv[1]?.endsWith('render-chart.js')) {
  mkdirSync(join(chartDir, 'rendered'), { recursive: true })
  for (const [name, valuesFile] of Object.entries(renderings)) {
    writeFileSync(join(chartDir, 'rendered', `${name}.yaml`), renderWith(valuesFile))
    console.log(`charts/gras-forecast/rendered/${name}.yaml`)
  }
}
