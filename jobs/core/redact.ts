/**
 * Removes credentials from text that is about to leave the process (log lines, the stderr line).
 * Key-based redaction (logger.ts) cannot see a secret inside a string: an SDK error that quotes
 * S3's SignatureDoesNotMatch body (AWSAccessKeyId, the canonical request with
 * x-amz-security-token), a URL with user:password, an Authorization header in a message. So the
 * final text is scrubbed by shape, and the literal credentials this process was given are removed
 * wherever they appear, whatever surrounds them.
 */

export const censor = '[redacted]'

/** Fields whose whole value is signing material (S3 error bodies, SDK error properties). */
const materialNames = ['StringToSign', 'StringToSignBytes', 'CanonicalRequest', 'CanonicalRequestBytes', 'SignatureProvided', 'AWSAccessKeyId', 'SecretAccessKey', 'SessionToken']

/** Names followed by `:`, `=` or `>` and one token-like value (headers, query strings, XML, key=value). */
const valueNames = [
  'x-amz-security-token',
  'x-amz-signature',
  'x-amz-credential',
  'awsaccesskeyid',
  'aws_access_key_id',
  'aws_secret_access_key',
  'aws_session_token',
  'secretaccesskey',
  'sessiontoken',
  'securitytoken',
  'signature',
  'credential',
  'password',
  'token',
]

const patterns: [RegExp, string][] = [
  // XML elements and JSON fields holding signing material, whole values (they span lines).
  [new RegExp(`<(${materialNames.join('|')})>[\\s\\S]*?</\\1>`, 'gi'), `<$1>${censor}</$1>`],
  [new RegExp(`("(?:${materialNames.join('|')})"\\s*:\\s*)"(?:[^"\\\\]|\\\\.)*"`, 'gi'), `$1"${censor}"`],
  // userinfo in a URL: scheme://user:password@host
  [/\b([a-z][a-z0-9+.-]*:\/\/)[^\s/@"'<>\\]+@/gi, `$1${censor}@`],
  // An Authorization header or field: the rest of its line.
  [/\b(authorization\s*[:=]\s*)[^"\\\r\n]+/gi, `$1${censor}`],
  [/("authorization"\s*:\s*)"(?:[^"\\]|\\.)*"/gi, `$1"${censor}"`],
  [/\b(Bearer|Basic)\s+[A-Za-z0-9._~+/=-]{6,}/g, `$1 ${censor}`],
  [new RegExp(`\\b((?:${valueNames.join('|')})(?:\\s*[:=]\\s*|>))(?!\\[redacted\\])[^\\s"'&<>\\\\,;)]+`, 'gi'), `$1${censor}`],
  // AWS access key ids have a documented shape, wherever they stand.
  [/\b(?:AKIA|ASIA|AIDA|AROA|AGPA|ANPA|ANVA|AIPA)[A-Z0-9]{12,}\b/g, censor],
]

const literals = new Set<string>()

/** Secrets this process holds (from its environment); any literal occurrence is removed. Short values are ignored: they would censor ordinary words. */
export function registerSecrets(values: readonly (string | undefined)[]): void {
  for (const value of values) {
    if (!value || value.length < 8) continue
    literals.add(value)
    // As it appears inside a JSON string.
    literals.add(JSON.stringify(value).slice(1, -1))
    literals.add(encodeURIComponent(value))
  }
}

/** The environment variables that carry credentials by the AWS SDK's conventions. */
export function secretsInEnvironment(env: Record<string, string | undefined>): (string | undefined)[] {
  const out = [env.AWS_ACCESS_KEY_ID, env.AWS_SECRET_ACCESS_KEY, env.AWS_SESSION_TOKEN]
  for (const name of ['GRAS_PUSHGATEWAY_URL', 'AWS_ENDPOINT_URL', 'AWS_ENDPOINT_URL_S3', 'AWS_ENDPOINT_URL_DYNAMODB']) {
    out.push(passwordInUrl(env[name]))
  }
  return out
}

/** The password of a URL's userinfo (`http://user:password@host/`), if any. */
export function passwordInUrl(url: string | undefined): string | undefined {
  if (!url) return undefined
  try {
    const parsed = new URL(url)
    return parsed.password ? decodeURIComponent(parsed.password) : undefined
  } catch {
    return undefined
  }
}

/** `text` with every credential-shaped part and every registered secret replaced by [redacted]. */
export function redactText(text: string): string {
  let out = text
  for (const literal of literals) if (out.includes(literal)) out = out.split(literal).join(censor)
  for (const [pattern, replacement] of patterns) out = out.replace(pattern, replacement)
  return out
}

/** A URL safe to show: without userinfo, query or fragment (which may carry a signature). */
export function displayUrl(url: string): string {
  try {
    const parsed = new URL(url)
    return `${parsed.protocol}//${parsed.host}${parsed.pathname === '/' ? '' : parsed.pathname}`
  } catch {
    return redactText(url)
  }
}
