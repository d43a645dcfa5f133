/** `gras submit`: start a run of the installed WorkflowTemplate and, with --watch, follow it to the end. */
import { isFinished, workflowFromTemplate, type WorkflowPhase, type WorkflowRequest } from '../core/workflow-spec.js'
import type { WorkflowClient } from '../io/k8s-workflows.js'
import { sleep } from '../io/backoff.js'
import { ExitCode, TransientError, type ExitCodeValue } from '../core/errors.js'
import type { Logger } from '../runtime/logger.js'

export interface SubmitResult {
  name: string
  phase?: WorkflowPhase
  message?: string
}

export async function submitWorkflow(
  client: WorkflowClient,
  request: WorkflowRequest,
  watch: { enabled: boolean; pollMs: number; timeoutMs: number },
  log: Logger,
): Promise<SubmitResult> {
  const name = await client.create(request.namespace, workflowFromTemplate(request))
  log.info({ workflow: name, namespace: request.namespace, template: request.template, entrypoint: request.entrypoint, server: client.server }, 'workflow submitted')
  if (!watch.enabled) return { name }
  const deadline = Date.now() + watch.timeoutMs
  let last: WorkflowPhase | undefined
  for (;;) {
    const { phase, message } = await client.phase(request.namespace, name)
    if (phase !== last) log.info({ workflow: name, phase, message }, 'workflow phase')
    last = phase
    if (isFinished(phase)) return { name, phase, message }
    if (Date.now() > deadline) return { name, phase, message: `still ${phase} after ${Math.round(watch.timeoutMs / 1000)} s of watching` }
    await sleep(watch.pollMs)
  }
}

/**
 * The exit code of a submit: ok unless it watched a workflow that did not succeed. Failed or Error
 * is a failed workflow (logged); a watch that ended first (its timeout) is transient: rerun to watch again.
 */
export function submitExitCode(result: SubmitResult, watched: boolean, log: Logger): ExitCodeValue {
  if (!watched || result.phase === 'Succeeded') return ExitCode.ok
  if (result.phase && ['Failed', 'Error'].includes(result.phase)) {
    log.error({ workflow: result.name, phase: result.phase, message: result.message }, 'workflow failed')
    return ExitCode.workflowFailed
  }
  throw new TransientError(`submit: ${result.message}`)
}
