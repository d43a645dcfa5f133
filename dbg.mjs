import { selectBackend } from './dist/jobs/neural/backend.js'
import { buildGlobalMlp, trainGlobalMlp, flatWeights } from './dist/jobs/neural/global-mlp.js'
import { buildWindows } from './dist/jobs/neural/windows.js'
import { saveCheckpoint, restoreCheckpoint } from './dist/jobs/neural/checkpoint.js'
import { LocalObjectStore } from './dist/jobs/io/local-store.js'
await selectBackend('wasm')
const series = Array.from({ length: 6 }, (_, s) => Float64Array.from({ length: 300 }, (_, t) => 50 + s * 10 + 10 * Math.sin(t / 4) + (t * 7919 % 13)))
const o = { inputSteps: 48, horizon: 12, hidden: [16], epochs: 3, batchSize: 16, learningRate: 3e-3, seed: 2 }
const w = buildWindows(series, 48, 12, 6, 30)
const a = buildGlobalMlp(o); await trainGlobalMlp(a, w, o)
const lake = new LocalObjectStore('/tmp/ckpt-dbg')
const b = buildGlobalMlp(o); let n = 0
const p = await trainGlobalMlp(b, w, o, { shouldStop: () => ++n === 7 })
await saveCheckpoint(lake, 'x', b, { epoch: p.epoch, batch: p.batch }, 'now')
const ow = await b.optimizer.getWeights(); console.log('opt weights', ow.length, ow.slice(0,3).map(x => x.name))
const c = buildGlobalMlp(o); const st = await restoreCheckpoint(lake, 'x', c)
console.log('weights equal after restore', flatWeights(b.model).every((v, i) => v === flatWeights(c.model)[i]), st)
await trainGlobalMlp(c, w, o, { startEpoch: st.epoch, startBatch: st.batch })
const fa = flatWeights(a.model), fc = flatWeights(c.model)
console.log('max diff', Math.max(...fa.map((v, i) => Math.abs(v - fc[i]))))
