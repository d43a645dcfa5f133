/**
 * Real servers for integration tests, started inside the test run on loopback ports: s3rver (an S3
 * protocol server) and dynalite (a DynamoDB-compatible server).
 */
import { createRequire } from 'node:module'
import { createServer, type AddressInfo, type Socket } from 'node:net'
import { S3Client, CreateBucketCommand } from '@aws-sdk/client-s3'
import { DynamoDBClient } from '@aws-sdk/client-dynamodb'
import { startEmbeddedDynamo } from '../../jobs/io/embedded-dynamo.js'
import { S3ObjectStore } from '../../jobs/io/s3-store.js'
import { tempDir } from './paths.js'

const require = createRequire(import.meta.url)

export const testCredentials = { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' }

export interface S3Server {
  endpoint: string
  client: S3Client
  createBucket(name: string): Promise<void>
  close(): Promise<void>
}

export async function startS3Server(): Promise<S3Server> {
  const S3rver = require('s3rver') as new (options: object) => { run(): Promise<AddressInfo>; close(): Promise<void> }
  const server = new S3rver({ port: 0, address: '127.0.0.1', silent: true, directory: tempDir('s3rver') })
  fixDelimiterListing((server as unknown as { store: ListingStore }).store)
  const address = await server.run()
  const endpoint = `http://127.0.0.1:${address.port}`
  const client = new S3Client({ endpoint, region: 'us-east-1', forcePathStyle: true, credentials: testCredentials })
  return {
    endpoint,
    client,
    async createBucket(name) {
      await client.send(new CreateBucketCommand({ Bucket: name }))
    },
    async close() {
      client.destroy()
      await server.close()
    },
  }
}

/** An s3rver with one bucket and the lake's S3 store on it under `prefix`. */
export async function startS3Store(bucket: string, prefix: string): Promise<{ s3: S3Server; store: S3ObjectStore }> {
  const s3 = await startS3Server()
  await s3.createBucket(bucket)
  return { s3, store: new S3ObjectStore(s3.client, bucket, prefix) }
}

interface ListedObject {
  key: string
}
interface Listing {
  objects: ListedObject[]
  commonPrefixes: string[]
  isTruncated: boolean
}
interface ListingStore {
  listObjects(bucket: string, options: { delimiter?: string; prefix?: string; maxKeys?: number; startAfter?: string }): Promise<Listing>
}

/**
 * s3rver 3.7 prunes folders below a would-be common prefix before it has seen an object in them,
 * so a prefix whose folder holds only subfolders (metric=G/ holding year=2024/) is never reported.
 * S3 reports it. We list without the delimiter and group the keys ourselves, as S3 does.
 */
function fixDelimiterListing(store: ListingStore): void {
  const listObjects = store.listObjects.bind(store)
  store.listObjects = async (bucket, options) => {
    if (!options.delimiter) return listObjects(bucket, options)
    const all = await listObjects(bucket, { ...options, delimiter: '', maxKeys: Infinity })
    const prefix = options.prefix ?? ''
    const commonPrefixes = new Set<string>()
    const objects: ListedObject[] = []
    for (const object of all.objects) {
      const index = object.key.slice(prefix.length).indexOf(options.delimiter)
      if (index >= 0) commonPrefixes.add(object.key.slice(0, prefix.length + index + options.delimiter.length))
      else objects.push(object)
    }
    const maxKeys = options.maxKeys ?? Infinity
    return { objects: objects.slice(0, maxKeys), commonPrefixes: [...commonPrefixes].sort(), isTruncated: objects.length > maxKeys }
  }
}

export interface DynamoServer {
  endpoint: string
  client: DynamoDBClient
  close(): Promise<void>
}

/** dynalite in memory; the same server `gras` embeds, here standing in for DynamoDB. */
export async function startDynamoServer(): Promise<DynamoServer> {
  const server = await startEmbeddedDynamo(undefined)
  const client = new DynamoDBClient({ endpoint: server.endpoint, region: 'us-east-1', credentials: testCredentials })
  return {
    endpoint: server.endpoint,
    client,
    async close() {
      client.destroy()
      await server.close()
    },
  }
}

export interface SilentServer {
  endpoint: string
  port: number
  /** Connections accepted so far. */
  connections: number
  close(): Promise<void>
}

/** A loopback TCP server that accepts every connection and never answers: a hung endpoint. */
export async function startSilentServer(): Promise<SilentServer> {
  const sockets = new Set<Socket>()
  let connections = 0
  const server = createServer((socket) => {
    connections++
    sockets.add(socket)
    socket.on('close', () => sockets.delete(socket))
    socket.on('error', () => sockets.delete(socket))
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as AddressInfo
  return {
    endpoint: `http://127.0.0.1:${port}`,
    port,
    get connections() {
      return connections
    },
    close: () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy()
        server.close(() => resolve())
      }),
  }
}
