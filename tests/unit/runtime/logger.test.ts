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

test('credentials inside strings are removed by shape: URL userinfo, SigV4 headers and query parameters, S3 error bodies', () => {
  const out = capture()
  const logger = createLogger({ destination: out.stream as never })
  const token = 'FwoGZXIvYXdzEBYaDkNvbXBsZXRlbHlGYWtlVG9rZW4'
  const error = Object.assign(new Error(`Authorization: AWS4-HMAC-SHA256 Credential=AKIAEXAMPLEKEY000001/20261201/us-east-1/s3/aws4_request, SignedHeaders=host, Signature=3f1c0a9be4d2`), {
    name: 'SignatureDoesNotMatch',
    AWSAccessKeyId: 'AKIAEXAMPLEKEY000002',
    CanonicalRequest: `GET\n/bucket\n\nhost:s3\nx-amz-security-token:${token}\n`,
    StringToSign: 'AWS4-HMAC-SHA256\n20261201T000000Z\nscope\nabc',
    body: `<Error><AWSAccessKeyId>AKIAEXAMPLEKEY000003</AWSAccessKeyId><SignatureProvided>9d8e7f</SignatureProvided></Error>`,
  })
  logger.error({ err: error, url: `https://s3.amazonaws.com/b/k?X-Amz-Credential=AKIAEXAMPLEKEY000004%2F20261201&X-Amz-Security-Token=${token}2&X-Amz-Signature=77aa`, pushgateway: 'http://user:hunter22@push:9091/' }, 'command failed')
  const text = out.text()
  for (const secret of ['AKIAEXAMPLEKEY00000', token, '3f1c0a9be4d2', '9d8e7f', '77aa', 'hunter22', 'user:']) assert.ok(!text.includes(secret), `${secret} leaked: ${text}`)
  const [line] = out.lines()
  assert.equal(line.pushgateway, 'http://[redacted]@push:9091/', 'the rest of the URL stays readable')
  assert.equal((line.err as { type: string }).type, 'Error')
})

test('pretty logs are scrubbed as the JSON ones are: the formatter sees the redacted line', () => {
  const out = capture()
  const logger = createLogger({ destination: out.stream as never, format: 'pretty' }).child({ job: 'features', run_id: 'r1', metric: 'G' })
  logger.warn({ credentials: { secretAccessKey: 'wJalrEXAMPLESECRET' }, url: 'https://user:hunter2pass@example.com/x' }, 'request failed: AWSAccessKeyId=AKIAABCDEFGHIJKLMNOP')
  const text = out.text()
  assert.match(text, /^\[\d\d:\d\d:\d\d\] WARN: features G request failed: /)
  assert.ok(!text.startsWith('{'), text)
  for (const secret of ['wJalrEXAMPLESECRET', 'hunter2pass', 'AKIAABCDEFGHIJKLMNOP']) assert.ok(!text.includes(secret), `${secret} leaked: ${text}`)
  assert.match(text, /\[redacted\]/)
})

test('pretty logs give an error as its message on the line, and keep the stack of an internal error', () => {
  const out = capture()
  const logger = createLogger({ destination: out.stream as never, format: 'pretty' })
  logger.error({ err: Object.assign(new Error('features: metric X: empty window'), { exitCode: 66 }) }, 'metric failed')
  logger.error({ err: new TypeError('x is undefined'), exitCode: 70 }, 'command failed')
  const [first, ...rest] = out.text().split('\n')
  assert.match(first, /ERROR: metric failed: features: metric X: empty window$/)
  assert.match(rest.join('\n'), /TypeError: x is undefined\n\s+at /)
})
