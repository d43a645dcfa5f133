/**
 * The networks of a train-neural run trained side by side, one per worker thread: the wasm and CPU
 * backends run a network on one core, and the networks of both ensembles are independent of each
 * other (each has its own seed and windows), so every core takes networks from one queue and each
 * network's weights are those it gets in the job's own thread. Stops handing out networks on SIGTERM
 * or on a failure; a stop is passed on to the workers, whose networks checkpoint after their batch.
 */
import { Worker } from 'node:worker_threads'
import { TransientError } from '../core/errors.js'
import type { NeuralPhase } from '../core/lake-layout.js'
import type { GrasConfig } from '../runtime/config-schema.js'
import { receiveError, type SentError } from '../runtime/metric-errors.js'
import type { BackendName } from './backend.js'
import type { NetworkEvent, NetworkRun, NetworkTask, NetworkWindows } from './network-training.js'

export interface NetworkWorkerData {
  backend: BackendName
  lakeUri: string
  network: GrasConfig['network']
  runId: string
  checkpointEvery: number
  /** The windows each phase's networks train on, by input length. */
  windows: NetworkWindows
}

export type ToNetworkWorker = { type: 'train'; task: NetworkTask } | { type: 'stop' }
export type FromNetworkWorker =
  | { type: 'ready' }
  | NetworkEvent
  | { type: 'done'; phase: NeuralPhase; member: number; finalLoss: number; run: NetworkRun }
  | { type: 'failed'; phase: NeuralPhase; member: number; error: SentError; run: NetworkRun }
  | { type: 'unusable'; error: SentError }

export interface NetworkOutcome {
  task: NetworkTask
  finalLoss: number
  run: NetworkRun
}

export interface PoolHooks {
  onEvent(event: NetworkEvent): void
  /** Every network that ran, completed or not, as it ends. */
  onNetworkEnd(task: NetworkTask, run: NetworkRun): void
  shouldStop(): boolean
}

/** How often the job's thread looks for a SIGTERM to pass on (its handler only raises a flag). */
const stopPollMs = 100

/**
 * Trains `tasks` on `workers` threads; resolves with each task's outcome in task order, or rejects
 * with the first error once every worker has finished its network (a stopped network's TransientError
 * included).
 */
export function trainOnWorkers(workers: number, data: NetworkWorkerData, tasks: readonly NetworkTask[], hooks: PoolHooks): Promise<NetworkOutcome[]> {
  const queue = [...tasks]
  const outcomes = new Map<NetworkTask, NetworkOutcome>()
  const errors: Error[] = []
  let stopping = false
  const threads: Worker[] = []
  const stopAll = () => {
    if (stopping) return
    stopping = true
    for (const thread of threads) thread.postMessage({ type: 'stop' } satisfies ToNetworkWorker)
  }
  const poll = setInterval(() => hooks.shouldStop() && stopAll(), stopPollMs)
  const exits = Array.from({ length: Math.min(workers, tasks.length) }, () => {
    const thread = new Worker(new URL('./network-worker.js', import.meta.url), { workerData: data })
    threads.push(thread)
    let current: NetworkTask | undefined
    const next = () => {
      current = stopping ? undefined : queue.shift()
      if (current) thread.postMessage({ type: 'train', task: current } satisfies ToNetworkWorker)
      else void thread.terminate()
    }
    thread.on('message', (message: FromNetworkWorker) => {
      switch (message.type) {
        case 'ready':
          return next()
        case 'resumed':
        case 'epoch':
        case 'stopped':
          return hooks.onEvent(message)
        case 'done':
          outcomes.set(current!, { task: current!, finalLoss: message.finalLoss, run: message.run })
          hooks.onNetworkEnd(current!, message.run)
          return next()
        case 'failed':
          errors.push(receiveError(message.error))
          hooks.onNetworkEnd(current!, message.run)
          stopAll()
          return next()
        case 'unusable':
          errors.push(receiveError(message.error))
          stopAll()
          return void thread.terminate()
      }
    })
    thread.on('error', (error) => {
      errors.push(error)
      stopAll()
    })
    return new Promise<void>((resolve) =>
      thread.on('exit', (code) => {
        if (current && !outcomes.has(current) && errors.length === 0) errors.push(new Error(`neural: training worker exited with code ${code} while ${current.phase} network ${current.member} trained`))
        resolve()
      }),
    )
  })
  return Promise.all(exits).then(() => {
    clearInterval(poll)
    const [first] = errors
    if (first) throw first
    // A stop that came while no network was mid-batch: the ones not started are still to train.
    const left = tasks.find((task) => !outcomes.has(task))
    if (left) throw new TransientError(`neural: stopped by SIGTERM before ${left.phase} network ${left.member} was trained; rerun with the same run id to resume`)
    return tasks.map((task) => outcomes.get(task)!)
  })
}
