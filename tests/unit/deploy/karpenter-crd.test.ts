/**
 * karpenter/*.yaml against the CRDs Karpenter v1.5.0 installs (tests/fixtures/karpenter/crds, copied
 * from aws/karpenter-provider-aws at v1.5.0, pkg/apis/crds/): schema with unknown fields refused, and
 * the CRDs' own CEL rules evaluated (tests/helpers/crd-validate.ts). No API server runs here.
 */
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { readFileSync, readdirSync } from 'node:fs'
import { join } from 'node:path'
import { parseManifests, type K8sObject } from '../../helpers/k8s-validate.js'
import { loadCrd } from '../../helpers/crd-validate.js'
import { fixturesDir, repoRoot } from '../../helpers/paths.js'

const crdDir = join(fixturesDir, 'karpenter/crds')
const validators = new Map(readdirSync(crdDir).flatMap((f) => loadCrd(join(crdDir, f))).map((v) => [v.key, v]))
const karpenterDir = join(repoRoot, 'karpenter')
const manifests = readdirSync(karpenterDir)
  .filter((f) => f.endsWith('.yaml'))
  .flatMap((f) => parseManifests(readFileSync(join(karpenterDir, f), 'utf8'), `karpenter/${f}`).map((object) => ({ file: `karpenter/${f}`, object })))

function validate(object: K8sObject, source: string): void {
  const validator = validators.get(object.apiVersion.includes('/') ? `${object.apiVersion}/${object.kind}` : `/${object.apiVersion}/${object.kind}`)
  assert.ok(validator, `${source}: no Karpenter v1.5.0 CRD serves ${object.apiVersion} ${object.kind}`)
  validator.validate(object, source)
}

test('every object in karpenter/ is valid under the Karpenter v1.5.0 CRDs and their CEL rules', () => {
  assert.deepEqual(new Set(manifests.map((m) => m.object.kind)), new Set(['EC2NodeClass', 'NodePool']))
  for (const { file, object } of manifests) validate(object, file)
})

// The checks below prove the validator refuses what the API server would, using our own manifests
// with one field broken each, so a validator that accepts everything cannot pass.
const nodeClass = manifests.find((m) => m.object.kind === 'EC2NodeClass')!.object
const cpuPool = manifests.find((m) => m.object.metadata.name === 'gras-cpu-spot')!.object

function broken(object: K8sObject, edit: (copy: any) => void): K8sObject {
  const copy = structuredClone(object)
  edit(copy)
  return copy
}

test('unknown fields are refused, not pruned', () => {
  assert.throws(() => validate(broken(nodeClass, (c) => (c.spec.amiSelectorTerm = c.spec.amiSelectorTerms)), 'typo'), /additional properties \(amiSelectorTerm\)/)
  assert.throws(() => validate(broken(cpuPool, (c) => (c.spec.template.spec.requirements[0].value = ['c'])), 'typo'), /additional properties \(value\)/)
})

test('CEL rules of the EC2NodeClass CRD are enforced', () => {
  // karpenter.k8s.aws_ec2nodeclasses.yaml line 95: alias must be family@version.
  assert.throws(() => validate(broken(nodeClass, (c) => (c.spec.amiSelectorTerms = [{ alias: 'al2023' }])), 'alias'), /'alias' is improperly formatted/)
  // line 97: the family must be one Karpenter knows.
  assert.throws(() => validate(broken(nodeClass, (c) => (c.spec.amiSelectorTerms = [{ alias: 'ubuntu@v1' }])), 'alias'), /family is not supported/)
  // line 140: an alias is the only amiSelectorTerm.
  assert.throws(() => validate(broken(nodeClass, (c) => c.spec.amiSelectorTerms.push({ id: 'ami-0123456789abcdef0' })), 'alias'), /'alias' is mutually exclusive/)
  // line 619: exactly one of role and instanceProfile.
  assert.throws(() => validate(broken(nodeClass, (c) => (c.spec.instanceProfile = 'gras')), 'role'), /must specify exactly one of \['role', 'instanceProfile'\]/)
})

test('CEL rules of the NodePool CRD are enforced', () => {
  // karpenter.sh_nodepools.yaml line 324: In needs values.
  assert.throws(() => validate(broken(cpuPool, (c) => (c.spec.template.spec.requirements[0].values = [])), 'In'), /requirements with operator 'In' must have a value defined/)
  // line 326: Gt/Lt take one non-negative integer.
  assert.throws(() => validate(broken(cpuPool, (c) => (c.spec.template.spec.requirements[1].values = ['5', '6'])), 'Gt'), /must have a single positive integer value/)
  // line 328: minValues needs that many values under In.
  assert.throws(() => validate(broken(cpuPool, (c) => (c.spec.template.spec.requirements[0].minValues = 4)), 'minValues'), /must have at least that many values/)
  // line 283: requirement keys in the karpenter.k8s.aws domain must be ones Karpenter defines.
  assert.throws(() => validate(broken(cpuPool, (c) => (c.spec.template.spec.requirements[0].key = 'karpenter.k8s.aws/instance-categories')), 'key'), /label domain "karpenter.k8s.aws" is restricted/)
})
