/**
 * Karpenter resolves `al2023@vYYYYMMDD` to that EKS AMI release's AMIs for the cluster's Kubernetes
 * version; a release older than the version has none and Karpenter launches nothing ("failed to
 * discover any AMIs for alias"). The releases and their versions come from awslabs/amazon-eks-ami's
 * CHANGELOG (tests/fixtures/karpenter/README.md); the version from terraform/variables.tf, its one place.
 */
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { readFileSync, readdirSync } from 'node:fs'
import { join } from 'node:path'
import { parseManifests, type K8sObject } from '../../helpers/k8s-validate.js'
import { parseTerraformDir } from '../../helpers/hcl.js'
import { fixturesDir, repoRoot } from '../../helpers/paths.js'

type Releases = Record<string, Record<string, string[]>>
const releases = JSON.parse(readFileSync(join(fixturesDir, 'karpenter/al2023-releases.json'), 'utf8')) as Releases
const objects: K8sObject[] = readdirSync(join(repoRoot, 'karpenter'))
  .filter((f) => f.endsWith('.yaml'))
  .flatMap((f) => parseManifests(readFileSync(join(repoRoot, 'karpenter', f), 'utf8'), `karpenter/${f}`))
const nodeClasses = objects.filter((o) => o.kind === 'EC2NodeClass')
const nodePools = objects.filter((o) => o.kind === 'NodePool')

const karpenterArch: Record<string, string> = { amd64: 'x86_64', arm64: 'arm64' }

/** The AMI variants a NodePool's nodes boot: NVIDIA for GPU instance types, standard otherwise. */
function variantsOf(pool: K8sObject): string[] {
  const requirements = (pool.spec as any).template.spec.requirements as { key: string; operator: string; values?: string[] }[]
  const arches = requirements.find((r) => r.key === 'kubernetes.io/arch' && r.operator === 'In')?.values
  assert.ok(arches, `NodePool ${pool.metadata.name} pins kubernetes.io/arch`)
  const gpu = requirements.some((r) => r.key === 'karpenter.k8s.aws/instance-gpu-count' && r.operator === 'In' && r.values!.some((v) => Number(v) > 0))
  return arches.map((arch) => `${karpenterArch[arch]}-${gpu ? 'nvidia' : 'standard'}`)
}

/** Kubernetes versions an alias's release ships the variant for; a clear failure for an unknown release. */
function kubernetesVersionsOf(alias: string, variant: string): string[] {
  const match = /^al2023@(v\d{8})$/.exec(alias)
  assert.ok(match, `alias ${alias} is al2023@vYYYYMMDD (pinned, not @latest)`)
  const release = releases[match[1]]
  assert.ok(release, `${match[1]} is an amazon-eks-ami release in tests/fixtures/karpenter/al2023-releases.json (refresh it if the release is newer)`)
  return Object.entries(release).filter(([, variants]) => variants.includes(variant)).map(([version]) => version)
}

test('every NodePool\'s EC2NodeClass pins an AL2023 release with AMIs for terraform\'s kubernetes_version', async () => {
  const terraform = await parseTerraformDir(join(repoRoot, 'terraform'))
  const version = terraform.variable.kubernetes_version.default as string
  assert.equal(terraform.module.eks.kubernetes_version, '${var.kubernetes_version}', 'the cluster takes its version from var.kubernetes_version')
  assert.ok(nodePools.length >= 2)
  for (const pool of nodePools) {
    const classRef = (pool.spec as any).template.spec.nodeClassRef.name as string
    const nodeClass = nodeClasses.find((c) => c.metadata.name === classRef)
    assert.ok(nodeClass, `NodePool ${pool.metadata.name}'s EC2NodeClass ${classRef} is in karpenter/`)
    const terms = (nodeClass.spec as any).amiSelectorTerms as { alias?: string }[]
    for (const variant of variantsOf(pool)) {
      const versions = kubernetesVersionsOf(terms[0].alias!, variant)
      assert.ok(versions.includes(version), `${classRef}: ${terms[0].alias} ships ${variant} AMIs for Kubernetes ${versions.join(', ')}, not ${version} (NodePool ${pool.metadata.name})`)
    }
  }
})

test('the Karpenter version terraform installs supports terraform\'s kubernetes_version', async () => {
  const terraform = await parseTerraformDir(join(repoRoot, 'terraform'))
  const kubernetes = terraform.variable.kubernetes_version.default as string
  const karpenter = terraform.variable.karpenter_version.default as string
  const { minimumKarpenter } = JSON.parse(readFileSync(join(fixturesDir, 'karpenter/compatibility.json'), 'utf8')) as { minimumKarpenter: Record<string, string> }
  const minimum = minimumKarpenter[kubernetes]
  assert.ok(minimum, `Kubernetes ${kubernetes} is in Karpenter's compatibility matrix (tests/fixtures/karpenter/compatibility.json)`)
  const parts = (v: string) => v.split('.').map(Number)
  const [a, b] = [parts(karpenter), parts(minimum)]
  const cmp = a.map((n, i) => n - (b[i] ?? 0)).find((d) => d !== 0) ?? 0
  assert.ok(cmp >= 0, `Karpenter ${karpenter} is older than ${minimum}, the first that supports Kubernetes ${kubernetes}`)
})

test('the fixture tells releases apart: v20250505 lacks Kubernetes 1.33, v20250519 has it', () => {
  assert.ok(!kubernetesVersionsOf('al2023@v20250505', 'x86_64-nvidia').includes('1.33'))
  assert.ok(kubernetesVersionsOf('al2023@v20250519', 'x86_64-nvidia').includes('1.33'))
  assert.throws(() => kubernetesVersionsOf('al2023@latest', 'x86_64-standard'), /pinned/)
})
