/**
 * TensorFlow.js backend selection, at start and logged: @tensorflow/tfjs-node-gpu when it loads and
 * sees a GPU, else @tensorflow/tfjs-node, else the wasm backend, else the pure-JS CPU backend.
 * The native packages are optional dependencies: their install script downloads libtensorflow,
 * which the image build does and a plain `npm ci` may skip or fail, so they are looked for at run
 * time and skipped when absent or unloadable.
 */
import * as tf from '@tensorflow/tfjs'

export type BackendName = 'tensorflow-gpu' | 'tensorflow' | 'wasm' | 'cpu'

export interface BackendChoice {
  backend: BackendName
  /** Why each better backend was skipped. */
  skipped: { backend: BackendName; reason: string }[]
}

type Loader = () => Promise<boolean>

const loaders: Record<BackendName, Loader> = {
  'tensorflow-gpu': async () => {
    await import(/* optional, image only */ '@tensorflow/tfjs-node-gpu' as string)
    await tf.setBackend('tensorflow')
    // tfjs-node-gpu falls back to CPU silently when CUDA is unusable: ask for a GPU device.
    const devices = (tf.backend() as unknown as { binding?: { TF_GetDeviceCount?: () => number } }).binding
    return tf.getBackend() === 'tensorflow' && (devices?.TF_GetDeviceCount?.() ?? 1) > 0
  },
  tensorflow: async () => {
    await import(/* optional, image only */ '@tensorflow/tfjs-node' as string)
    return tf.setBackend('tensorflow')
  },
  wasm: async () => {
    await import('@tensorflow/tfjs-backend-wasm')
    return tf.setBackend('wasm')
  },
  cpu: async () => tf.setBackend('cpu'),
}

const order: BackendName[] = ['tensorflow-gpu', 'tensorflow', 'wasm', 'cpu']

const choices = new Map<BackendName | 'best', Promise<BackendChoice>>()

/**
 * Picks the best backend that loads (or exactly `forced`); never throws for a missing optional
 * package. Probed once per process: train and infer in one pipeline ask again and get the same answer.
 * `onProbe` hears why better backends were skipped, the one time they are probed.
 */
export async function selectBackend(forced?: BackendName, onProbe?: (skipped: BackendChoice['skipped']) => void): Promise<BackendChoice> {
  const key = forced ?? 'best'
  const cached = choices.get(key)
  if (!cached) {
    const probe = probeBackends(forced)
    choices.set(key, probe)
    probe.catch(() => choices.delete(key))
    const choice = await probe
    onProbe?.(choice.skipped)
    return choice
  }
  const choice = await cached
  // Another caller may have switched backends since (a forced one): this answer is made true again.
  const name = choice.backend === 'tensorflow-gpu' ? 'tensorflow' : choice.backend
  if (tf.getBackend() !== name) await tf.setBackend(name)
  return choice
}

async function probeBackends(forced?: BackendName): Promise<BackendChoice> {
  const skipped: BackendChoice['skipped'] = []
  for (const backend of forced ? [forced] : order) {
    try {
      if (await loaders[backend]()) {
        await tf.ready()
        return { backend, skipped }
      }
      skipped.push({ backend, reason: 'loaded but not usable' })
    } catch (error) {
      skipped.push({ backend, reason: (error as Error).message.split('\n')[0] })
    }
  }
  if (forced) throw new Error(`neural: backend ${forced} is not available: ${skipped[0]?.reason}`)
  throw new Error('neural: no TensorFlow.js backend could be loaded')
}
