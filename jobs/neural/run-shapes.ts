/**
 * A train-neural run id resumes its checkpoints and keeps the networks it already saved; both only
 * fit networks of the same shape. The shapes (input length, horizon, hidden layers, loss) of the
 * members a run id first built are kept beside its checkpoints, so a rerun after neural.lookbacks,
 * neural.losses or the layers changed stops with a ConfigError (78) naming them, not a tensor
 * shape error halfway through loading weights.
 */
import { z } from 'zod'
import { ConfigError } from '../core/errors.js'
import { neuralRunShapesKey } from '../core/lake-layout.js'
import { parseLakeDocument } from '../io/lake-document.js'
import type { ObjectStore } from '../io/object-store.js'
import type { GlobalMlpOptions } from './global-mlp.js'

const shapeSchema = z.object({ inputSteps: z.number().int(), horizon: z.number().int(), hidden: z.array(z.number().int()), loss: z.enum(['mase', 'smape']) })
const shapesSchema = z.object({ members: z.array(shapeSchema) })
type Shape = z.infer<typeof shapeSchema>

const shapeOf = (options: GlobalMlpOptions): Shape => ({ inputSteps: options.inputSteps, horizon: options.horizon, hidden: [...options.hidden], loss: options.loss ?? 'mase' })
const describe = (shape: Shape) => `${shape.inputSteps} input steps, horizon ${shape.horizon}, layers ${shape.hidden.join('x')}, loss ${shape.loss}`

/** Checks `members` against the shapes run `runId` recorded, then records any member it adds. */
export async function checkRunShapes(lake: ObjectStore, runId: string, members: readonly GlobalMlpOptions[]): Promise<void> {
  const key = neuralRunShapesKey(runId)
  const bytes = await lake.get(key)
  const recorded = bytes ? parseLakeDocument(shapesSchema, bytes, key).members : []
  const now = members.map(shapeOf)
  for (let k = 0; k < Math.min(recorded.length, now.length); k++) {
    if (describe(recorded[k]) !== describe(now[k])) {
      throw new ConfigError(
        `train-neural: run ${runId} built member ${k} with ${describe(recorded[k])}; the config now gives ${describe(now[k])} (neural.lookbacks, neural.losses): ` +
          `its checkpoints and saved networks do not fit. Rerun with a new --run-id, or with the settings it began with`,
      )
    }
  }
  if (now.length > recorded.length) await lake.put(key, new TextEncoder().encode(JSON.stringify({ members: [...recorded, ...now.slice(recorded.length)] })))
}
