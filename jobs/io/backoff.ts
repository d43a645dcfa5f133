/** Exponential backoff with full jitter (AWS Architecture Blog, "Exponential Backoff and Jitter"). */

/** Delay before retry `attempt` (0-based): uniform in [0, min(cap, base * 2^attempt)). */
export function backoffDelayMs(attempt: number, baseMs = 50, capMs = 5_000, random: () => number = Math.random): number {
  return Math.floor(random() * Math.min(capMs, baseMs * 2 ** attempt))
}

export const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms))
