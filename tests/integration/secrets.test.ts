/**
 * No secret in any output line. An S3-compatible endpoint answers every request 403
 * SignatureDoesNotMatch with the body real S3 sends: the access key id, the string to sign and the
 * canonical request, which carries `x-amz-security-token:<token>`. The Pushgateway URL has basic
 * auth in it. The command must fail (78: the credentials are rejected) and nothing it prints, on
 * stdout or stderr, at any log level, may contain the key id, the secret, the token, the
 * signature or the password.
 */
import { test, before, after } from 'node:test'
import assert from 'node:assert/strict'
import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { configDir, tempDir } from '../helpers/paths.js'
import { runCli } from '../helpers/run-cli.js'

const accessKeyId = 'AKIAGRASLEAKTEST7Q2Z'
const secretAccessKey = 'gRaS/lEaK+SeCrEt/wJalrXUtnFEMI/K7MDENG'
const sessionToken = 'IQoJb3JpZ2luX2VjEGRhc1Rva2VuLWdyYXMtbGVhay10ZXN0//////////wEaCWV1LXdlc3QtMSJHMEUCIQ=='
const pushPassword = 'pUsH-pAsSw0rd-3141'
const signatures: string[] = []
let server: Server
let endpoint: string

/** What S3 answers a request whose signature it recomputed differently (fields as S3 documents them). */
function signatureDoesNotMatch(method: string, url: string, headers: Record<string, string | string[] | undefined>): string {
  const authorization = String(headers.authorization ?? '')
  const signature = /Signature=([0-9a-f]+)/.exec(authorization)?.[1] ?? ''
  signatures.push(signature)
  const [path, query = ''] = url.split('?')
  const signed = ['host', 'x-amz-content-sha256', 'x-amz-date', 'x-amz-security-token']
  const canonical = [method, path, query, ...signed.map((h) => `${h}:${headers[h]}`), '', signed.join(';'), String(headers['x-amz-content-sha256'])].join('\n')
  const stringToSign = ['AWS4-HMAC-SHA256', String(headers['x-amz-date']), `${String(headers['x-amz-date']).slice(0, 8)}/us-east-1/s3/aws4_request`, 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855'].join('\n')
  const bytes = (text: string) => [...Buffer.from(text)].map((b) => b.toString(16).padStart(2, '0')).join(' ')
  return (
    '<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>SignatureDoesNotMatch</Code>' +
    '<Message>The request signature we calculated does not match the signature you provided. Check your key and signing method.</Message>' +
    `<AWSAccessKeyId>${accessKeyId}</AWSAccessKeyId><StringToSign>${stringToSign}</StringToSign><SignatureProvided>${signature}</SignatureProvided>` +
    `<StringToSignBytes>${bytes(stringToSign)}</StringToSignBytes><CanonicalRequest>${canonical}</CanonicalRequest>` +
    `<CanonicalRequestBytes>${bytes(canonical)}</CanonicalRequestBytes><RequestId>8R1Z3XGJ2W4M6K0P</RequestId><HostId>aG9zdC1pZA==</HostId></Error>`
  )
}

before(async () => {
  server = createServer((req, res) => {
    req.resume()
    req.on('end', () => {
      res.writeHead(403, { 'content-type': 'application/xml', 'x-amz-request-id': '8R1Z3XGJ2W4M6K0P' })
      res.end(signatureDoesNotMatch(req.method!, req.url!, req.headers))
    })
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
})
after(() => server.close())

test('credentials echoed by a SignatureDoesNotMatch body and a Pushgateway password reach no output line', async () => {
  const cwd = tempDir('secrets')
  const result = await runCli(['features', '--lake', 's3://gras-lake/gras', '--log-level', 'trace', '--pushgateway', `http://gras:${pushPassword}@127.0.0.1:9/`], {
    cwd,
    env: {
      GRAS_CONFIG: configDir,
      GRAS_DYNAMODB_MODE: 'embedded',
      // The embedded server of an s3:// lake keeps its files under the state folder.
      XDG_STATE_HOME: tempDir('state'),
      AWS_REGION: 'us-east-1',
      AWS_ENDPOINT_URL_S3: endpoint,
      AWS_ACCESS_KEY_ID: accessKeyId,
      AWS_SECRET_ACCESS_KEY: secretAccessKey,
      AWS_SESSION_TOKEN: sessionToken,
      AWS_MAX_ATTEMPTS: '1',
    },
  })
  assert.equal(result.code, 78, result.stderr)
  assert.match(result.stderr, /^gras: s3: ListObjectsV2 http:\/\/127\.0\.0\.1:\d+: credentials rejected: SignatureDoesNotMatch/m)
  assert.ok(signatures.length > 0 && signatures.every((s) => s.length === 64), 'the endpoint saw signed requests')
  assert.ok(result.logs.some((l) => l.msg === 'metrics push failed'), 'the Pushgateway URL was logged (and must be redacted)')
  const output = result.stdout + result.stderr
  for (const [name, secret] of Object.entries({ accessKeyId, secretAccessKey, sessionToken, pushPassword, tokenPrefix: sessionToken.slice(0, 24), signature: signatures[0] })) {
    assert.ok(!output.includes(secret), `${name} leaked:\n${output.split('\n').filter((l) => l.includes(secret)).join('\n').slice(0, 2000)}`)
  }
  for (const field of ['x-amz-security-token:I', 'AWSAccessKeyId>AKIA', 'Credential=AKIA', 'Signature=', 'gras:pUsH']) {
    assert.ok(!output.includes(field), `${field} leaked`)
  }
})
