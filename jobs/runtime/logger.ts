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
import { redactText } from './redact.js'
import { createTerminalView, setActiveTerminal, type TerminalView } from './terminal.js'

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
    scrubbing(view ? tapProgress(view, output, format === 'pretty') : output),
  )
}

/** Records a status line shows instead (terminal.ts): one per epoch of each network. */
const shownAsProgress = new Set(['epoch done'])

/** Moves the status line on records it shows; drops them from pretty output (the bar replaces them), never from JSON. */
function tapProgress(view: TerminalView, output: DestinationStream, pretty: boolean): DestinationStream {
  return {
    write: (line: string) => {
      if (line.includes('"msg":"epoch done"')) {
        const record = JSON.parse(line) as Record<string, unknown>
        if (typeof record.msg === 'string' && shownAsProgress.has(record.msg)) {
          showEpoch(view, record)
          if (pretty) return
        }
      }
      output.write(line)
    },
  }
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
      write(format(line.includes('"msg":"run summary"') ? withoutMetricRows(line) : line))
    },
  }
}

/** The run summary's per-metric rows are the table the CLI prints; the pretty line keeps the totals. */
function withoutMetricRows(line: string): string {
  const record = JSON.parse(line) as Record<string, unknown>
  if (record.msg !== 'run summary') return line
  delete record.metrics
  return JSON.stringify(record)
}

/** One task over every epoch of every network: 2 phases (backtest, final) x members x epochs. */
function showEpoch(view: TerminalView, record: Record<string, unknown>): void {
  const { phase, member, epoch, epochs, members, loss } = record as { phase: string; member: number; epoch: number; epochs: number; members: number; loss: number }
  if (!(epochs > 0 && members > 0)) return
  const network = (phase === 'final' ? members : 0) + member
  if (!view.hasTask('train-neural')) view.beginTask('train-neural', 2 * members * epochs, 'epochs')
  view.stepTask(network * epochs + epoch, `${phase} net ${member + 1}/${members} epoch ${epoch}/${epochs} loss ${Number(loss).toPrecision(3)}`)
  if (network === 2 * members - 1 && epoch === epochs) view.endTask()
}

/** Passes each serialized line through redactText before it is written. */
function scrubbing(destination: DestinationStream): DestinationStream {
  return {
    write: (line: string) => destination.write(redactText(line)),
  }
}
