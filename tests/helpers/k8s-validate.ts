/**
 * Validates Kubernetes objects with the kubernetes-models classes (JSON-schema checks generated from
 * the Kubernetes OpenAPI and from the Argo, Karpenter and prometheus-operator CRDs).
 */
import { parseAllDocuments } from 'yaml'
import { ConfigMap, ServiceAccount } from 'kubernetes-models/v1'
import { Role, RoleBinding } from 'kubernetes-models/rbac.authorization.k8s.io/v1'
import { NetworkPolicy } from 'kubernetes-models/networking.k8s.io/v1'
import { CronJob } from 'kubernetes-models/batch/v1'
import { CronWorkflow, Workflow, WorkflowTemplate } from '@kubernetes-models/argo-workflows/argoproj.io/v1alpha1'
import { NodePool } from '@kubernetes-models/karpenter/karpenter.sh/v1'
import { EC2NodeClass } from '@kubernetes-models/karpenter/karpenter.k8s.aws/v1'
import { PrometheusRule } from '@kubernetes-models/prometheus-operator/monitoring.coreos.com/v1'

export interface K8sObject {
  apiVersion: string
  kind: string
  metadata: { name?: string; generateName?: string; namespace?: string; labels?: Record<string, string>; annotations?: Record<string, string> }
  spec?: Record<string, unknown>
  [key: string]: unknown
}

type ModelClass = new (data: never) => { validate(): void }

const models: Record<string, ModelClass> = {
  'v1/ConfigMap': ConfigMap as unknown as ModelClass,
  'v1/ServiceAccount': ServiceAccount as unknown as ModelClass,
  'rbac.authorization.k8s.io/v1/Role': Role as unknown as ModelClass,
  'rbac.authorization.k8s.io/v1/RoleBinding': RoleBinding as unknown as ModelClass,
  'networking.k8s.io/v1/NetworkPolicy': NetworkPolicy as unknown as ModelClass,
  'batch/v1/CronJob': CronJob as unknown as ModelClass,
  'argoproj.io/v1alpha1/Workflow': Workflow as unknown as ModelClass,
  'argoproj.io/v1alpha1/WorkflowTemplate': WorkflowTemplate as unknown as ModelClass,
  'argoproj.io/v1alpha1/CronWorkflow': CronWorkflow as unknown as ModelClass,
  'karpenter.sh/v1/NodePool': NodePool as unknown as ModelClass,
  'karpenter.k8s.aws/v1/EC2NodeClass': EC2NodeClass as unknown as ModelClass,
  'monitoring.coreos.com/v1/PrometheusRule': PrometheusRule as unknown as ModelClass,
}

/** Parses a multi-document YAML stream; throws on YAML errors. */
export function parseManifests(text: string, source: string): K8sObject[] {
  return parseAllDocuments(text)
    .map((doc) => {
      if (doc.errors.length > 0) throw new Error(`${source}: ${doc.errors[0].message}`)
      return doc.toJS() as K8sObject | null
    })
    .filter((o): o is K8sObject => o !== null)
}

/** Validates one object; throws naming it and the schema violation. Unknown kinds are errors too. */
export function validateObject(object: K8sObject, source: string): void {
  const key = `${object.apiVersion}/${object.kind}`
  const Model = models[key]
  if (!Model) throw new Error(`${source}: no validator for ${key}`)
  try {
    new Model(object as never).validate()
  } catch (error) {
    throw new Error(`${source}: ${key} ${object.metadata?.name ?? object.metadata?.generateName}: ${(error as Error).message}`)
  }
}
