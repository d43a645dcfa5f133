/** Worker thread of the M4 benchmark: evaluates the series it is sent, one at a time. */
import { parentPort } from 'node:worker_threads'
import { evaluateSeries, type SeriesTask } from './evaluate-series.js'

parentPort!.on('message', (task: SeriesTask) => {
  try {
    parentPort!.postMessage({ ok: true, result: evaluateSeries(task) })
  } catch (error) {
    parentPort!.postMessage({ ok: false, index: task.index, error: String((error as Error).stack ?? error) })
  }
})
