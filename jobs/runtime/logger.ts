/**
 * Logs (pino): JSON lines, or, for a person at a terminal, the same records formatted by
 * pino-pretty (colour on a TTY) above a live status line (terminal.ts). Redaction happens on the
 * JSON line before either is written. One root logger per process; each job takes a child with `{ job, run_id }` and
 * each metric a child with `{ metric }`. Credentials never reach a log line: known secret-bearing
 * keys are redacted wherever they appear, every finished line is scrubbed of credential-shaped text
 * (redact.ts: secrets quoted inside error messages and response bodies), and we never spread outside
 * objects into log calls.
 */
import { pino, type Logger, type DestinationStream } from 'pino'
import { prettyFactory } from 'pino-pretty'
import { isatty } from 'node:tty'
import { ExitCode } from '../core/errors.js'
import { redactText } from '../core/redact.js'
import { createTerminalView, setActiveTerminal } from './terminal.js'

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
  /** `auto`: pretty when the log output is a TTY, JSON otherwise (pods, CI, pipes, files). */
  format?: LogFormat
}

export type LogFormat = 'auto' | 'json' | 'pretty'

export function resolveLogFormat(format: LogFormat | undefined, fd: 1 | 2): 'json' | 'pretty' {
  if (format === 'json' || format === 'pretty') return format
  return isatty(fd) ? 'pretty' : 'json'
}

/** Creates the root logger; synchronous writes so the last line before an exit is never lost. */
export function createLogger(options: LoggerOptions = {}): Logger {
  const fd = options.fd ?? 1
  // A given destination (tests) is JSON unless pretty is asked for; the process's fd is detected.
  const format = options.destination ? (options.format === 'pretty' ? 'pretty' : 'json') : resolveLogFormat(options.format, fd)
  // Progress and the summary table go to stderr when a person watches it, whatever the logs' format,
  // unless JSON was asked for explicitly.
  const view = !options.destination && options.format !== 'json' && isatty(2) ? createTerminalView(2) : undefined
  setActiveTerminal(view)
  const sink = options.destination ?? pino.destination({ fd, sync: true })
  const output = format === 'pretty' ? prettyDestination(view && !options.destination ? (text) => view.write(text, fd) : (text) => sink.write(text), !options.destination && isatty(fd)) : sink
  return pino(
    {
      level: options.level ?? 'info',
      base: { service: 'gras-forecast' },
      timestamp: pino.stdTimeFunctions.isoTime,
      redact: { paths: redactedPaths, censor: '[redacted]' },
      formatters: { level: (label) => ({ level: label }) },
    },
    scrubbing(view ? tapProgress(output, format === 'pretty') : output),
  )
}

/** Records the status line shows instead (terminal.ts): one per epoch of each network. */
const shownAsProgress = '"msg":"epoch done"'

/** Drops, from pretty output under a status line, the records that line already shows; JSON keeps every record. */
function tapProgress(output: DestinationStream, pretty: boolean): DestinationStream {
  return { write: (line: string) => (pretty && line.includes(shownAsProgress) ? undefined : output.write(line)) }
}

/** Formats each (already scrubbed) JSON line for a person, above the status line if there is one. */
function prettyDestination(write: (text: string) => void, colorize: boolean): DestinationStream {
  const format = prettyFactory({
    colorize,
    translateTime: 'UTC:HH:MM:ss',
    ignore: 'pid,hostname,service,run_id,job,metric',
    messageFormat: '{if job}{job} {end}{if metric}{metric} {end}{msg}',
    singleLine: true,
  })
  return {
    write: (line: string) => {
      write(format(forPerson(line)))
    },
  }
}

/**
 * Shortened for a person: the run summary's per-metric rows are the table the CLI prints (the line
 * keeps the totals), and an error is its message, appended to the log message, except for an
 * internal error (exit 70), whose stack is the bug report. `--log-format json` keeps everything.
 */
function forPerson(line: string): string {
  if (!line.includes('"msg":"run summary"') && !line.includes('"err":{')) return line
  const record = JSON.parse(line) as Record<string, unknown>
  if (record.msg === 'run summary') delete record.metrics
  const err = record.err as { message?: unknown } | undefined
  if (err && typeof err === 'object' && record.exitCode !== ExitCode.internal) {
    record.msg = `${String(record.msg)}: ${String(err.message)}`
    delete record.err
  }
  return JSON.stringify(record)
}

/** Passes each serialized line through redactText before it is written. */
function scrubbing(destination: DestinationStream): DestinationStream {
  return {
    write: (line: string) => destination.write(redactText(line)),
  }
}
