/**
 * A metric's error as it crosses a thread: its class name, message, stack and exit code, and back
 * as an error of the same class (our GrasError classes) or a GrasError carrying the exit code the
 * worker computed, so the job's exit code and the run summary read the same as in one thread.
 */
import { ConfigError, DataError, exitCodeOf, GrasError, InputMissingError, TransientError, UsageError, type ExitCodeValue } from '../core/errors.js'

export interface SentError {
  name: string
  message: string
  stack?: string
  exitCode: ExitCodeValue
}

export function sendError(error: unknown): SentError {
  const e = error instanceof Error ? error : new Error(String(error))
  return { name: e.name, message: e.message, stack: e.stack, exitCode: exitCodeOf(error) }
}

const classes: Record<string, new (message: string) => GrasError> = { ConfigError, DataError, InputMissingError, TransientError, UsageError }

export function receiveError(sent: SentError): GrasError {
  const Known = classes[sent.name]
  const error = Known && new Known(sent.message).exitCode === sent.exitCode ? new Known(sent.message) : new GrasError(sent.message, sent.exitCode)
  error.name = sent.name
  if (sent.stack) error.stack = sent.stack
  return error
}
