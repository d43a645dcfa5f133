/**
 * A training worker thread (network-pool.ts starts it): loads the run's TensorFlow.js backend, opens
 * the lake, and trains the networks the job's thread hands it one at a time (network-training.ts),
 * sending back what each did. A stop message makes the network in progress checkpoint after its batch.
 */
import { parentPort, workerData } from 'node:worker_threads'
import { openLake } from '../io/lake.js'
import { sendError } from '../runtime/metric-errors.js'
import { selectBackend } from './backend.js'
import { trainNetwork, windowsOfTask, type NetworkRun } from './network-training.js'
import type { FromNetworkWorker, NetworkWorkerData, ToNetworkWorker } from './network-pool.js'

const port = parentPort!
const data = workerData as NetworkWorkerData
const post = (message: FromNetworkWorker) => port.postMessage(message)
let stop = false

async function start(): Promise<void> {
  await selectBackend(data.backend)
  const lake = openLake(data.lakeUri, process.env, { network: data.network })
  const env = { lake, runId: data.runId, checkpointEvery: data.checkpointEvery, now: Date.now, shouldStop: () => stop, onEvent: (event: FromNetworkWorker & { type: 'resumed' | 'epoch' | 'stopped' }) => post(event) }
  port.on('message', (message: ToNetworkWorker) => {
    if (message.type === 'stop') {
      stop = true
      return
    }
    const { task } = message
    const run: NetworkRun = { epochsTrained: 0, completed: false, resumed: false }
    trainNetwork(env, task, windowsOfTask(data.windows, task), run).then(
      (finalLoss) => post({ type: 'done', phase: task.phase, member: task.member, finalLoss, run }),
      (error: unknown) => post({ type: 'failed', phase: task.phase, member: task.member, error: sendError(error), run }),
    )
  })
  post({ type: 'ready' })
}

start().catch((error: unknown) => post({ type: 'unusable', error: sendError(error) }))
