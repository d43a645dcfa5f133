/** Events -> regular grid. Pure: the window and the aggregation come in as parameters. */
import type { EventBatch } from './series.js'

export type Aggregation = 'sum' | 'mean' | 'last'

export interface GridWindow {
  startMs: number
  /** Exclusive. */
  endMs: number
  stepMs: number
}

export interface AggregatedGrid {
  values: Float64Array
  /** Events per step; a step with 0 events has value NaN. */
  counts: Uint32Array
}

/** Aggregates events into the steps of `window`; events outside the window are ignored. */
export function aggregateToGrid(events: EventBatch, window: GridWindow, how: Aggregation): AggregatedGrid {
  const length = Math.max(0, Math.ceil((window.endMs - window.startMs) / window.stepMs))
  const sums = new Float64Array(length)
  const counts = new Uint32Array(length)
  const lastTs = new Float64Array(length).fill(-Infinity)
  const { tsMs, values } = events
  for (let i = 0; i < tsMs.length; i++) {
    const t = tsMs[i]
    if (t < window.startMs || t >= window.endMs) continue
    const index = Math.floor((t - window.startMs) / window.stepMs)
    counts[index]++
    if (how === 'last') {
      if (t >= lastTs[index]) {
        lastTs[index] = t
        sums[index] = values[i]
      }
    } else {
      sums[index] += values[i]
    }
  }
  const out = new Float64Array(length)
  for (let i = 0; i < length; i++) {
    if (counts[i] === 0) out[i] = Number.NaN
    else out[i] = how === 'mean' ? sums[i] / counts[i] : sums[i]
  }
  return { values: out, counts }
}
