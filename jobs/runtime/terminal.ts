/**
 * What a person at a terminal sees while a job runs: one status line on stderr, redrawn in place,
 * showing per job metrics done / total with elapsed time and ETA, and for `train-neural` a bar of
 * epochs and networks; human-readable log lines are written above it, and the run summary after it.
 * It exists only when stderr is a TTY (logger.ts).
 */
import { writeSync } from 'node:fs'

export interface TerminalView {
  /** Writes finished text (one or more lines) to `fd` (default stderr), keeping the status line below it. */
  write(text: string, fd?: 1 | 2): void
  beginTask(label: string, total: number, unit: string): void
  stepTask(done?: number, note?: string): void
  endTask(): void
  hasTask(label: string): boolean
}

interface Task {
  label: string
  total: number
  unit: string
  done: number
  note?: string
  startedMs: number
}

export function createTerminalView(statusFd: 1 | 2, now: () => number = Date.now, write: (fd: 1 | 2, text: string) => void = writeFd): TerminalView {
  let task: Task | undefined
  let status = ''
  const clear = () => {
    if (status) write(statusFd, '\r\x1b[2K')
    status = ''
  }
  const draw = () => {
    if (!task) return
    // One screen line, or the next clear would leave the wrapped part behind.
    const columns = (statusFd === 1 ? process.stdout : process.stderr).columns
    status = statusLine(task, now()).slice(0, Math.max(20, (columns || Number(process.env.COLUMNS) || 100) - 1))
    write(statusFd, status)
  }
  return {
    write(text, fd = statusFd) {
      clear()
      write(fd, text.endsWith('\n') ? text : text + '\n')
      draw()
    },
    beginTask(label, total, unit) {
      clear()
      task = { label, total, unit, done: 0, startedMs: now() }
      draw()
    },
    stepTask(done, note) {
      if (!task) return
      task.done = done ?? task.done + 1
      task.note = note
      clear()
      draw()
    },
    endTask() {
      clear()
      task = undefined
    },
    hasTask: (label) => task?.label === label,
  }
}

/** `features  3/4 metrics  ███████░░░  elapsed 2s  ETA 1s  R`; the ETA assumes the remaining units take as long as the done ones. */
export function statusLine(task: Task, nowMs: number): string {
  const elapsedMs = nowMs - task.startedMs
  const eta = task.done > 0 && task.done < task.total ? `  ETA ${duration((elapsedMs / task.done) * (task.total - task.done))}` : ''
  const width = 20
  const filled = task.total > 0 ? Math.min(width, Math.round((task.done / task.total) * width)) : 0
  const bar = '█'.repeat(filled) + '░'.repeat(width - filled)
  return `${task.label}  ${task.done}/${task.total} ${task.unit}  ${bar}  elapsed ${duration(elapsedMs)}${eta}${task.note ? `  ${task.note}` : ''}`
}

/** 850ms, 12s, 3m05s, 1h02m. */
export function duration(ms: number): string {
  if (ms < 1000) return `${Math.round(ms)}ms`
  const s = Math.round(ms / 1000)
  if (s < 60) return `${s}s`
  if (s < 3600) return `${Math.floor(s / 60)}m${String(s % 60).padStart(2, '0')}s`
  return `${Math.floor(s / 3600)}h${String(Math.floor((s % 3600) / 60)).padStart(2, '0')}m`
}

/** Synchronous, as the JSON logs are: the last lines before process.exit are never lost. */
function writeFd(fd: 1 | 2, text: string): void {
  writeSync(fd, text)
}

/**
 * train-neural's bar: one task over every epoch of the networks the run trains (backtest and final
 * x members, those the run id already saved aside), `done` summed over the networks training side
 * by side. Called by the training loop itself, so it moves at any log level.
 */
export function showEpochProgress(p: { done: number; total: number; label: string }): void {
  const view = active
  if (!view) return
  if (!view.hasTask('train-neural')) view.beginTask('train-neural', p.total, 'epochs')
  view.stepTask(p.done, p.label)
  if (p.done >= p.total) view.endTask()
}

let active: TerminalView | undefined

/** The view of the process's human-readable logger, if it has one (JSON logs: none). */
export function activeTerminal(): TerminalView | undefined {
  return active
}

export function setActiveTerminal(view: TerminalView | undefined): void {
  active = view
}
