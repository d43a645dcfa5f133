/**
 * The Argo and Karpenter Helm releases, parsed with HashiCorp's HCL parser: the namespace Argo puts
 * a Role into exists first, argo-server's auth modes are ones it can start with, the Argo version is
 * stated, and every values key is one the pinned chart has (Helm ignores unknown keys silently).
 * Chart values keys come from the charts' values.yaml at the pinned versions (tests/fixtures/terraform).
 */
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { expressionOf, parseTerraformDir, terraformBlock } from '../../helpers/hcl.js'
import { fixturesDir, repoRoot } from '../../helpers/paths.js'

interface ChartValues {
  chart: string
  appVersion?: string
  paths: string[]
  open: string[]
}
const chartValues = (name: string) => JSON.parse(readFileSync(join(fixturesDir, 'terraform', `${name}-values.json`), 'utf8')) as ChartValues

const config = await parseTerraformDir(join(repoRoot, 'terraform'))
const argo = terraformBlock(config, 'helm_release.argo_workflows')

/** The object a release's `values = [yamlencode(local.x)]` encodes, from the locals block. */
function releaseValues(release: Record<string, any>, address: string): Record<string, any> {
  const expression = Array.isArray(release.values) && release.values.length === 1 ? expressionOf(release.values[0]) : undefined
  const local = expression && /^yamlencode\(local\.([a-z0-9_]+)\)$/.exec(expression)?.[1]
  assert.ok(local, `${address}: values = [yamlencode(local.<name>)], so tests read the values as HCL (got ${JSON.stringify(release.values)})`)
  const values = config.locals[local]
  assert.ok(values && typeof values === 'object', `local.${local} is an object literal`)
  return values
}

/** Every key path set in `values`; a path under a chart key whose default is open (empty map) stops there. */
function unknownKeys(values: Record<string, any>, chart: ChartValues): string[] {
  const unknown: string[] = []
  const walk = (node: Record<string, any>, prefix: string) => {
    for (const [key, value] of Object.entries(node)) {
      const path = prefix ? `${prefix}.${key}` : key
      if (!chart.paths.includes(path)) unknown.push(path)
      else if (!chart.open.includes(path) && value && typeof value === 'object' && !Array.isArray(value)) walk(value, path)
    }
  }
  walk(values, '')
  return unknown
}

test('the gras namespace is a Terraform resource and the Argo release that puts a Role into it depends on it', () => {
  const namespace = terraformBlock(config, 'kubernetes_namespace_v1.gras')
  assert.equal(namespace.metadata[0].name, '${var.namespace}')
  assert.ok(config.terraform.some((t) => t.required_providers?.[0]?.kubernetes), 'terraform requires the kubernetes provider')
  assert.ok(config.provider.kubernetes, 'the kubernetes provider is configured')
  const values = releaseValues(argo, 'helm_release.argo_workflows')
  assert.deepEqual(values.controller.workflowNamespaces, ['${var.namespace}'])
  assert.ok((argo.depends_on ?? []).includes('${kubernetes_namespace_v1.gras}'), `helm_release.argo_workflows depends_on kubernetes_namespace_v1.gras (depends_on: ${JSON.stringify(argo.depends_on)})`)
})

test('argo-server auth modes: known ones, and "sso" only with an SSO configuration', () => {
  const server = releaseValues(argo, 'helm_release.argo_workflows').server
  const modes = server.authModes as string[]
  assert.ok(Array.isArray(modes) && modes.length > 0, 'server.authModes is a literal list')
  // argo-workflows v3.6.7 server/auth/mode.go line 22: the modes are client, server and sso.
  for (const mode of modes) assert.ok(['server', 'client', 'sso'].includes(mode), `auth mode ${mode}`)
  // v3.6.7 server/auth/sso/sso.go line 99: "sso" without an issuer fails argo-server at start ("issuer empty").
  if (modes.includes('sso')) assert.ok(server.sso?.enabled === true && server.sso.issuer, 'authModes has "sso": server.sso.enabled and server.sso.issuer are set')
  else assert.ok(!server.sso?.enabled, 'server.sso is enabled but authModes lacks "sso"')
})

test('the Argo version is stated in Terraform and is the appVersion of the pinned argo-helm chart', () => {
  const chart = chartValues('argo-workflows')
  assert.equal(`argo-workflows@${config.variable.argo_workflows_version.default}`, chart.chart, 'var.argo_workflows_version is the chart version of the fixture')
  assert.equal(config.variable.argo_workflows_app_version.default, chart.appVersion, 'var.argo_workflows_app_version is that chart\'s appVersion')
  assert.equal(releaseValues(argo, 'helm_release.argo_workflows').images.tag, '${var.argo_workflows_app_version}', 'the release runs that version')
})

test('every values key of the Argo and Karpenter releases exists in the pinned chart', () => {
  const argoChart = chartValues('argo-workflows')
  assert.deepEqual(unknownKeys(releaseValues(argo, 'helm_release.argo_workflows'), argoChart), [], argoChart.chart)
  const karpenter = terraformBlock(config, 'helm_release.karpenter')
  const karpenterChart = chartValues('karpenter')
  assert.equal(`karpenter@${config.variable.karpenter_version.default}`, karpenterChart.chart)
  assert.deepEqual(unknownKeys(releaseValues(karpenter, 'helm_release.karpenter'), karpenterChart), [], karpenterChart.chart)
  // The check itself refuses a misspelt key.
  assert.deepEqual(unknownKeys({ controller: { workflowNamespace: ['gras'] } }, argoChart), ['controller.workflowNamespace'])
})
