/**
 * Records the AWS requests a process makes, per principal: each principal (a job, as its IRSA role
 * would be) gets its own pair of pass-through proxies in front of the test's S3 and DynamoDB
 * servers, so a request is attributed by the endpoint it came through, not by guessing.
 */
import { startFaultProxy, type Exchange, type FaultProxy } from './fault-proxy.js'

export interface RecordedExchange extends Exchange {
  principal: string
  service: 's3' | 'dynamodb'
}

export interface AwsCallRecorder {
  /** The environment that sends a process's S3 and DynamoDB requests through `principal`'s proxies. */
  endpointEnv(principal: string): Promise<Record<string, string>>
  readonly exchanges: readonly RecordedExchange[]
  close(): Promise<void>
}

export function startAwsCallRecorder(targets: { s3: string; dynamodb: string }): AwsCallRecorder {
  const exchanges: RecordedExchange[] = []
  const proxies = new Map<string, Promise<[FaultProxy, FaultProxy]>>()
  const open = (principal: string) =>
    Promise.all(
      (['s3', 'dynamodb'] as const).map((service) =>
        startFaultProxy(targets[service], service, 0, {}, (exchange) => exchanges.push({ ...exchange, principal, service })),
      ),
    ) as Promise<[FaultProxy, FaultProxy]>
  return {
    exchanges,
    async endpointEnv(principal) {
      if (!proxies.has(principal)) proxies.set(principal, open(principal))
      const [s3, dynamodb] = await proxies.get(principal)!
      return { AWS_ENDPOINT_URL_S3: s3.endpoint, AWS_ENDPOINT_URL_DYNAMODB: dynamodb.endpoint }
    },
    async close() {
      for (const pair of proxies.values()) for (const proxy of await pair) await proxy.close()
    },
  }
}
