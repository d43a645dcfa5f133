/**
 * Argo Workflows through the Kubernetes API (@kubernetes/client-node): in-cluster with the pod's
 * ServiceAccount, or from a kubeconfig (KUBECONFIG, ~/.kube/config, or an explicit file).
 */
import type { WorkflowPhase } from '../core/workflow-spec.js'
import { ExitCode, GrasError, TransientError } from '../runtime/errors.js'

const argo = { group: 'argoproj.io', version: 'v1alpha1', plural: 'workflows' }

export interface WorkflowClient {
  /** Where it connects, for messages. */
  server: string
  create(namespace: string, body: Record<string, unknown>): Promise<string>
  phase(namespace: string, name: string): Promise<{ phase: WorkflowPhase; message?: string }>
}

/** Loaded on use: the Kubernetes client is large and only `gras submit` needs it. */
export async function connectWorkflows(kubeconfigPath: string | undefined, env: Record<string, string | undefined> = process.env): Promise<WorkflowClient> {
  const { CustomObjectsApi, KubeConfig } = await import('@kubernetes/client-node')
  const config = new KubeConfig()
  if (kubeconfigPath) config.loadFromFile(kubeconfigPath)
  else if (env.KUBERNETES_SERVICE_HOST && !env.KUBECONFIG) config.loadFromCluster()
  else config.loadFromDefault()
  const api = config.makeApiClient(CustomObjectsApi)
  return {
    server: config.getCurrentCluster()?.server ?? 'unknown',
    async create(namespace, body) {
      const created = (await apiCall(`create workflow in ${namespace}`, () => api.createNamespacedCustomObject({ ...argo, namespace, body }))) as { metadata?: { name?: string } }
      const name = created.metadata?.name
      if (!name) throw new Error('kubernetes: the API server created a workflow but returned no name')
      return name
    },
    async phase(namespace, name) {
      const workflow = (await apiCall(`read workflow ${namespace}/${name}`, () => api.getNamespacedCustomObject({ ...argo, namespace, name }))) as { status?: { phase?: WorkflowPhase; message?: string } }
      return { phase: workflow.status?.phase ?? 'Pending', message: workflow.status?.message }
    },
  }
}

/** Maps API failures to our exit codes: auth 78, not found 66, server-side or network 75. */
async function apiCall<T>(what: string, call: () => Promise<T>): Promise<T> {
  try {
    return await call()
  } catch (error) {
    const status = (error as { code?: number }).code
    const body = String((error as { body?: unknown }).body ?? (error as Error).message).slice(0, 300)
    if (status === 401 || status === 403) throw new GrasError(`kubernetes: ${what}: not allowed (HTTP ${status}): ${body}`, ExitCode.config)
    if (status === 404) throw new GrasError(`kubernetes: ${what}: not found (HTTP 404; is Argo Workflows installed, and the namespace right?): ${body}`, ExitCode.noInput)
    if (status === 422 || status === 400) throw new GrasError(`kubernetes: ${what}: rejected (HTTP ${status}): ${body}`, ExitCode.usage)
    throw new TransientError(`kubernetes: ${what}: ${status ? `HTTP ${status}` : (error as Error).message}`, { cause: error })
  }
}
