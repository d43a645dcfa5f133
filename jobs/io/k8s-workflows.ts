/**
 * Argo Workflows through the Kubernetes API (@kubernetes/client-node): in-cluster with the pod's
 * ServiceAccount, or from a kubeconfig (KUBECONFIG, ~/.kube/config, or an explicit file). Every
 * call carries an abort deadline: the client has no timeout of its own and waits for an API server
 * that never answers.
 */
import { existsSync } from 'node:fs'
import { homedir } from 'node:os'
import { delimiter, join } from 'node:path'
import type { WorkflowPhase } from '../core/workflow-spec.js'
import { ConfigError, ExitCode, GrasError, TransientError } from '../core/errors.js'
import { displayUrl } from '../core/redact.js'

const argo = { group: 'argoproj.io', version: 'v1alpha1', plural: 'workflows' }

export interface WorkflowClient {
  /** Where it connects, for messages. */
  server: string
  create(namespace: string, body: Record<string, unknown>): Promise<string>
  phase(namespace: string, name: string): Promise<{ phase: WorkflowPhase; message?: string }>
}

/** Loaded on use: the Kubernetes client is large and only `gras submit` needs it. */
export async function connectWorkflows(kubeconfigPath: string | undefined, timeoutMs: number, env: Record<string, string | undefined> = process.env): Promise<WorkflowClient> {
  const { CustomObjectsApi, KubeConfig, Observable } = await import('@kubernetes/client-node')
  const config = new KubeConfig()
  const source = loadKubeconfig(config, kubeconfigPath, env)
  const cluster = config.getCurrentCluster()
  if (!cluster) throw new ConfigError(`kubernetes: ${source} names no current cluster (check current-context; pass --kubeconfig <file>)`)
  const server = displayUrl(cluster.server)
  const api = config.makeApiClient(CustomObjectsApi)
  // The client's own hook for per-request settings (as its setHeaderMiddleware): an AbortSignal on each request context.
  const deadline = () => ({
    middleware: [
      {
        pre: (context: { setSignal(signal: AbortSignal): void }) => {
          context.setSignal(AbortSignal.timeout(timeoutMs))
          return new Observable(Promise.resolve(context))
        },
        post: <T>(response: T) => new Observable(Promise.resolve(response)),
      },
    ],
    middlewareMergeStrategy: 'append' as const,
  })
  const call = <T>(what: string, run: () => Promise<T>) => apiCall(what, server, timeoutMs, run)
  return {
    server,
    async create(namespace, body) {
      const created = (await call(`create workflow in ${namespace}`, () => api.createNamespacedCustomObject({ ...argo, namespace, body }, deadline() as never))) as { metadata?: { name?: string } }
      const name = created.metadata?.name
      if (!name) throw new Error('kubernetes: the API server created a workflow but returned no name')
      return name
    },
    async phase(namespace, name) {
      const workflow = (await call(`read workflow ${namespace}/${name}`, () => api.getNamespacedCustomObject({ ...argo, namespace, name }, deadline() as never))) as { status?: { phase?: WorkflowPhase; message?: string } }
      return { phase: workflow.status?.phase ?? 'Pending', message: workflow.status?.message }
    },
  }
}

/**
 * Loads the kubeconfig and says where from. Without any, the client would fall back to
 * http://localhost:8080 and fail as if the network were down; that is a configuration problem.
 */
function loadKubeconfig(config: { loadFromFile(p: string): void; loadFromCluster(): void; loadFromDefault(): void }, explicit: string | undefined, env: Record<string, string | undefined>): string {
  const load = (what: string, run: () => void) => {
    try {
      run()
    } catch (error) {
      throw new ConfigError(`kubernetes: cannot load ${what}: ${(error as Error).message.split('\n')[0]} (pass --kubeconfig <file> or set KUBECONFIG)`, { cause: error })
    }
    return what
  }
  if (explicit) {
    if (!existsSync(explicit)) throw new ConfigError(`kubernetes: --kubeconfig ${explicit} does not exist (pass an existing kubeconfig file)`)
    return load(`kubeconfig ${explicit}`, () => config.loadFromFile(explicit))
  }
  if (env.KUBERNETES_SERVICE_HOST && !env.KUBECONFIG) return load('the in-cluster service account', () => config.loadFromCluster())
  const candidates = env.KUBECONFIG ? env.KUBECONFIG.split(delimiter).filter(Boolean) : [join(env.HOME || homedir(), '.kube', 'config')]
  if (!candidates.some((file) => existsSync(file))) {
    throw new ConfigError(`kubernetes: no kubeconfig: ${candidates.join(', ')} not found and not running in a cluster (pass --kubeconfig <file>, set KUBECONFIG, or run in the cluster)`)
  }
  return load(`kubeconfig ${candidates.join(delimiter)}`, () => config.loadFromDefault())
}

const transientNetworkCodes = new Set(['ECONNREFUSED', 'ECONNRESET', 'EPIPE', 'ETIMEDOUT', 'EAI_AGAIN', 'EHOSTUNREACH', 'ENETUNREACH'])

/** Maps API failures to our exit codes: auth and unresolvable host 78, not found 66, rejected 64, server-side, network or deadline 75. */
async function apiCall<T>(what: string, server: string, timeoutMs: number, call: () => Promise<T>): Promise<T> {
  try {
    return await call()
  } catch (error) {
    const e = error as { code?: number | string; name?: string; type?: string; body?: unknown; message?: string }
    const status = typeof e.code === 'number' ? e.code : undefined
    const body = String(e.body ?? e.message).slice(0, 300)
    if (status === 401 || status === 403) throw new GrasError(`kubernetes: ${what}: not allowed (HTTP ${status}): ${body}`, ExitCode.config)
    if (status === 404) throw new GrasError(`kubernetes: ${what}: not found (HTTP 404; is Argo Workflows installed, and the namespace right?): ${body}`, ExitCode.noInput)
    if (status === 422 || status === 400) throw new GrasError(`kubernetes: ${what}: rejected (HTTP ${status}): ${body}`, ExitCode.usage)
    if (status !== undefined) throw new TransientError(`kubernetes: ${what} at ${server}: HTTP ${status} (safe to retry)`, { cause: error })
    if (e.name === 'AbortError' || e.type === 'aborted' || e.name === 'TimeoutError') {
      throw new TransientError(`kubernetes: ${what} at ${server}: no answer within ${timeoutMs} ms (network.requestTimeoutMs; is the API server reachable?)`, { cause: error })
    }
    if (e.code === 'ENOTFOUND') throw new ConfigError(`kubernetes: ${what}: host of ${server} does not resolve (getaddrinfo ENOTFOUND) (check the kubeconfig's cluster server)`, { cause: error })
    if (typeof e.code === 'string' && transientNetworkCodes.has(e.code)) throw new TransientError(`kubernetes: ${what} at ${server}: ${e.code} (is the API server reachable? safe to retry)`, { cause: error })
    throw new TransientError(`kubernetes: ${what} at ${server}: ${(e.message ?? String(error)).split('\n')[0]}`, { cause: error })
  }
}
