/**
 * JSON logs (pino). One root logger per process; each job takes a child with `{ job, run_id }` and
 * each metric a child with `{ metric }`. Credentials never reach a log line: known secret-bearing
 * keys are redacted wherever they appear, every finished line is scrubbed of credential-shaped text
 * (redact.ts: secrets quoted inside error messages and response bodies), and we never spread outside
 * objects into log calls.
 */
import { pino, type Logger, type DestinationStream } from 'pino'
import { redactText } from './redact.js'

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
  'err.AWSAccessKeyId',
  'err.StringToSign',
  'err.CanonicalRequest',
  'err.SignatureProvided',
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
    scrubbing(destination),
  )
}

/** Passes each serialized line through redactText before it is written. */
function scrubbing(destination: DestinationStream): DestinationStream {
  return {
    write: (line: string) => destination.write(redactText(line)),
  }
}
