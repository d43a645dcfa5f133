/** A Workflow that runs an installed WorkflowTemplate: what `argo submit --from workflowtemplate/<name>` creates. Pure. */

export interface WorkflowRequest {
  namespace: string
  template: string
  entrypoint: string
  parameters: Record<string, string>
  generateName: string
  labels?: Record<string, string>
}

export function workflowFromTemplate(request: WorkflowRequest): Record<string, unknown> {
  return {
    apiVersion: 'argoproj.io/v1alpha1',
    kind: 'Workflow',
    metadata: {
      generateName: request.generateName,
      namespace: request.namespace,
      labels: { 'app.kubernetes.io/part-of': 'gras-forecast', 'workflows.argoproj.io/workflow-template': request.template, ...request.labels },
    },
    spec: {
      workflowTemplateRef: { name: request.template },
      entrypoint: request.entrypoint,
      arguments: { parameters: Object.entries(request.parameters).map(([name, value]) => ({ name, value })) },
    },
  }
}

export type WorkflowPhase = 'Pending' | 'Running' | 'Succeeded' | 'Failed' | 'Error' | 'Unknown'

/** True once a workflow can no longer change phase. */
export function isFinished(phase: WorkflowPhase): boolean {
  return phase === 'Succeeded' || phase === 'Failed' || phase === 'Error'
}
