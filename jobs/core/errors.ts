/**
 * The error hierarchy. Each class carries the one exit code it maps to (sysexits.h numbering), so
 * `cli.ts` is the only place that turns an error into a process exit, and Argo's retryStrategy can
 * retry exactly the transient code (75) and nothing else.
 */

/** Exit codes of every `gras` command; documented in README.md ("Exit codes"). */
export const ExitCode = {
  ok: 0,
  /** `gras submit --watch`: the workflow it started ended Failed or Error. */
  workflowFailed: 1,
  /** Unhandled bug. */
  internal: 70,
  /** Bad flag or argument. */
  usage: 64,
  /** Input data violates the contract and no output could be produced. */
  dataError: 65,
  /** Input missing: unknown metric, empty window, no approved model. */
  noInput: 66,
  /** Transient: throttling, timeouts, spot termination (SIGTERM). Safe to retry. */
  transient: 75,
  /** Configuration invalid. */
  config: 78,
} as const

export type ExitCodeValue = (typeof ExitCode)[keyof typeof ExitCode]

/** Base class: a message of the form `<subsystem>: <what> <observed> (expected <x>)`. */
export class GrasError extends Error {
  readonly exitCode: ExitCodeValue
  constructor(message: string, exitCode: ExitCodeValue, options?: { cause?: unknown }) {
    super(message, options)
    this.name = new.target.name
    this.exitCode = exitCode
  }
}

export class UsageError extends GrasError {
  constructor(message: string) {
    super(message, ExitCode.usage)
  }
}

/** Settings, credentials, region, endpoint host, kubeconfig: fixed by the operator, not by a retry. */
export class ConfigError extends GrasError {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, ExitCode.config, options)
  }
}

/** Input data that breaks the bronze contract (corrupt file, wrong type, bad timestamps). */
export class DataError extends GrasError {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, ExitCode.dataError, options)
  }
}

/** Something the job needs does not exist: a metric, data in the window, an approved model. */
export class InputMissingError extends GrasError {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, ExitCode.noInput, options)
  }
}

/** Worth retrying as is: throttling, timeouts, interruption by SIGTERM. */
export class TransientError extends GrasError {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, ExitCode.transient, options)
  }
}

/** Maps any thrown value to its exit code; unknown errors are internal bugs unless the AWS SDK calls them transient. */
export function exitCodeOf(error: unknown): ExitCodeValue {
  if (error instanceof GrasError) return error.exitCode
  if (isTransientAwsError(error)) return ExitCode.transient
  return ExitCode.internal
}

const transientAwsNames = new Set([
  'ThrottlingException',
  'ProvisionedThroughputExceededException',
  'RequestLimitExceeded',
  'SlowDown',
  'InternalError',
  'ServiceUnavailable',
  'InternalServerError',
  'TimeoutError',
  'RequestTimeout',
  'ECONNRESET',
  'ECONNREFUSED',
  'ETIMEDOUT',
  'EPIPE',
])

/** True for errors the AWS SDK or the network classify as retryable (by category, never by message text). */
export function isTransientAwsError(error: unknown): boolean {
  if (typeof error !== 'object' || error === null) return false
  const e = error as { name?: string; code?: string; $retryable?: unknown; $metadata?: { httpStatusCode?: number } }
  if (e.$retryable) return true
  if (e.name && transientAwsNames.has(e.name)) return true
  if (e.code && transientAwsNames.has(e.code)) return true
  const status = e.$metadata?.httpStatusCode
  return status !== undefined && (status === 429 || status >= 500)
}
