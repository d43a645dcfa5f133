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

export function gracefulStopEnabled(): boolean {
  return graceful
}

export function requestStop(): void {
  requested = true
}

export function stopRequested(): boolean {
  return requested
}
