/**
 * SIGTERM handling. By default cli.ts exits at once with 75 (every write is atomic and idempotent, so
 * a rerun resumes). A job with work worth saving (neural training) opts in to a graceful stop: the
 * signal then only raises a flag that the job checks, so it can finish its batch and checkpoint.
 */
let graceful = false
let requested = false

export function enableGracefulStop(): void {
  graceful = true
}

/** Back to stopping at once (after the job that opted in is done: `gras pipeline` goes on to train). */
export function disableGracefulStop(): void {
  graceful = false
}

export function gracefulStopEnabled(): boolean {
  return graceful
}

export function requestStop(): void {
  requested = true
}

export function stopRequested(): boolean {
  return requested
}
