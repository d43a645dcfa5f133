/**
 * JSON logs (pino). One root logger per process; each job takes a child with `{ job, run_id }` and
 * each metric a child with `{ metric }`. Credentials never reach a log line: known secret-bearing
 * keys are redacted wherever they appear, and we never spread outside objects into log calls.
 */
import { pino, type Logger, type DestinationStream } from 'pino'

export type { Logger }

export const redactedPaths = [
  'accessKeyId',
  'secretAccessKey',
  'sessionToken',
  'credentials',
  'authorization',
  'password',
  'token',
  '*.accessKeyId',
  '*.secretAccessKey',
  '*.sessionToken',
  '*.credentials',
  '*.authorization',
  '*.password',
  '*.token',
  'err.config.credentials',
]

export interface LoggerOptions {
  level?: string
  /** File descriptor to write to: 1 for stdout (jobs), 2 for stderr (commands whose stdout is data). */
  fd?: 1 | 2
  destination?: DestinationStream
}

/** Creates the root logger; synchronous writes so the last line before an exit is never lost. */
export function createLogger(options: LoggerOptions = {}): Logger {
  const destination = options.destination ?? pino.destination({ fd: options.fd ?? 1, sync: true })
  return pino(
    {
      level: options.level ?? 'info',
      base: { service: 'gras-forecast' },
      timestamp: pino.stdTimeFunctions.isoTime,
      redact: { paths: redactedPaths, censor: '[redacted]' },
      formatters: { level: (label) => ({ level: label }) },
    },
    destination,
  )
}
