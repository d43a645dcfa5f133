import { test } from 'node:test'
import assert from 'node:assert/strict'
import { Writable } from 'node:stream'
import { createLogger } from '../../../jobs/runtime/logger.js'

function capture(): { stream: Writable; lines: () => Record<string, unknown>[]; text: () => string } {
  let text = ''
  const stream = new Writable({
    write(chunk, _encoding, done) {
      text += chunk
      done()
    },
  })
  return { stream, text: () => text, lines: () => text.trim().split('\n').map((l) => JSON.parse(l)) }
}

test('log lines are JSON with the job fields, and credentials are redacted wherever they appear', () => {
  const out = capture()
  const logger = createLogger({ destination: out.stream as never }).child({ job: 'train', run_id: 'r1', metric: 'G' })
  logger.info({ credentials: { accessKeyId: 'AKIAEXAMPLEKEY', secretAccessKey: 'wJalrEXAMPLESECRET' }, client: { sessionToken: 'TOKEN123', password: 'hunter2' }, authorization: 'Bearer abc' }, 'client created')
  const [line] = out.lines()
  assert.equal(line.msg, 'client created')
  assert.equal(line.job, 'train')
  assert.equal(line.run_id, 'r1')
  assert.equal(line.metric, 'G')
  assert.equal(line.level, 'info')
  for (const secret of ['AKIAEXAMPLEKEY', 'wJalrEXAMPLESECRET', 'TOKEN123', 'hunter2', 'Bearer abc']) assert.ok(!out.text().includes(secret), `${secret} leaked`)
})
