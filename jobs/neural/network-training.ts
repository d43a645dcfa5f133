/**
 * One network of the global model trained to the end: restored from its newest checkpoint of the run,
 * checkpointed every N epochs and when asked to stop, saved under its model prefix. The same code runs
 * in the job's thread and in a training worker (network-pool.ts); what it did is reported through
 * `events`, which the job's thread turns into log lines, progress and run metrics.
 */
import { neuralCheckpointPrefix, type NeuralPhase } from '../core/lake-layout.js'
import { TransientError } from '../core/errors.js'
import type { ObjectStore } from '../io/object-store.js'
import { lakeIOHandler, restoreCheckpoint, saveCheckpoint } from './checkpoint.js'
import { buildGlobalMlp, trainGlobalMlp, type GlobalMlpOptions } from './global-mlp.js'
import type { WindowSet } from './windows.js'

export interface NetworkTask {
  phase: NeuralPhase
  member: number
  /** Where the trained network is saved (models/neural/<version>/<phase>/m<k>/). */
  prefix: string
  /** The member's options (its own seed, input length and loss). */
  options: GlobalMlpOptions
}

/** The training windows of each phase, by input length: members of one length share them. */
export type NetworkWindows = Record<number, Record<NeuralPhase, WindowSet>>

/** The windows `task` trains on: those of its phase and its member's input length. */
export function windowsOfTask(windows: NetworkWindows, task: NetworkTask): WindowSet {
  const set = windows[task.options.inputSteps]?.[task.phase]
  if (!set) throw new Error(`neural: no ${task.phase} windows of ${task.options.inputSteps} input steps for member ${task.member}`)
  return set
}

/** What one network's training did in this run. */
export interface NetworkRun {
  epochsTrained: number
  completed: boolean
  resumed: boolean
}

export type NetworkEvent =
  | { type: 'resumed'; phase: NeuralPhase; member: number; epoch: number; batch: number; savedBatch: number; savedBatchSize?: number }
  | { type: 'epoch'; phase: NeuralPhase; member: number; epoch: number; loss: number; windows: number }
  | { type: 'stopped'; phase: NeuralPhase; member: number; epoch: number; batch: number }

export interface NetworkEnvironment {
  lake: ObjectStore
  runId: string
  checkpointEvery: number
  now: () => number
  shouldStop: () => boolean
  onEvent: (event: NetworkEvent) => void
}

/**
 * Trains `task` on `windows` and saves it; `run` is updated as it goes, so a failed or stopped run
 * still shows the epochs it did. Returns the last epoch's loss (NaN when no epoch ran).
 */
export async function trainNetwork(env: NetworkEnvironment, task: NetworkTask, windows: WindowSet, run: NetworkRun): Promise<number> {
  const { phase, member, options } = task
  const checkpoints = neuralCheckpointPrefix(env.runId, phase, member)
  const trained = buildGlobalMlp(options)
  const resumed = await restoreCheckpoint(env.lake, checkpoints, trained)
  // A batch count means nothing under another batch size (neural.batchSize changed between the
  // runs): the interrupted epoch is then redone from its start.
  const startBatch = resumed && resumed.batchSize === options.batchSize ? resumed.batch : 0
  if (resumed) env.onEvent({ type: 'resumed', phase, member, epoch: resumed.epoch, batch: startBatch, savedBatch: resumed.batch, savedBatchSize: resumed.batchSize })
  run.resumed = resumed !== undefined
  let finalLoss = Number.NaN
  const checkpoint = (epoch: number, batch: number) => saveCheckpoint(env.lake, checkpoints, trained, { epoch, batch, batchSize: options.batchSize }, new Date(env.now()).toISOString())
  const progress = await trainGlobalMlp(trained, windows, options, {
    startEpoch: resumed?.epoch,
    startBatch,
    shouldStop: env.shouldStop,
    async onEpochEnd(epoch, loss) {
      run.epochsTrained++
      finalLoss = loss
      env.onEvent({ type: 'epoch', phase, member, epoch, loss, windows: windows.count })
      if (epoch % env.checkpointEvery === 0 && epoch < options.epochs) await checkpoint(epoch, 0)
    },
  })
  if (progress.stopped) {
    await checkpoint(progress.epoch, progress.batch)
    env.onEvent({ type: 'stopped', phase, member, epoch: progress.epoch, batch: progress.batch })
    throw new TransientError(`neural: stopped by SIGTERM in ${phase} network ${member} at epoch ${progress.epoch}, batch ${progress.batch}; checkpointed, rerun with the same run id to resume`)
  }
  await trained.model.save(lakeIOHandler(env.lake, task.prefix))
  trained.model.dispose()
  trained.optimizer.dispose()
  run.completed = true
  return finalLoss
}
