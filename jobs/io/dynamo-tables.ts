/**
 * Table definitions: the same key schemas as terraform/dynamodb.tf (a test compares them).
 * Created here only where we own the endpoint (embedded, test servers); in AWS, Terraform does it.
 */
import {
  CreateTableCommand,
  DescribeTableCommand,
  ResourceNotFoundException,
  UpdateTimeToLiveCommand,
  type DynamoDBClient,
} from '@aws-sdk/client-dynamodb'

export interface TableDefinition {
  partitionKey: string
  sortKey: string
  ttlAttribute?: string
}

export const predictionsTableDefinition: TableDefinition = { partitionKey: 'metric_id', sortKey: 'timestamp', ttlAttribute: 'ttl' }
export const forecastsTableDefinition: TableDefinition = { partitionKey: 'series_id', sortKey: 'generated_at', ttlAttribute: 'ttl' }
export const modelsTableDefinition: TableDefinition = { partitionKey: 'metric_id', sortKey: 'version' }
export const accuracyTableDefinition: TableDefinition = { partitionKey: 'metric_id', sortKey: 'date' }

/** Creates the table if it does not exist and waits until it is ACTIVE. */
export async function ensureTable(client: DynamoDBClient, name: string, definition: TableDefinition): Promise<void> {
  try {
    const described = await client.send(new DescribeTableCommand({ TableName: name }))
    if (described.Table?.TableStatus === 'ACTIVE') return
  } catch (error) {
    if (!(error instanceof ResourceNotFoundException) && (error as Error).name !== 'ResourceNotFoundException') throw error
    try {
      await client.send(
        new CreateTableCommand({
          TableName: name,
          BillingMode: 'PAY_PER_REQUEST',
          AttributeDefinitions: [
            { AttributeName: definition.partitionKey, AttributeType: 'S' },
            { AttributeName: definition.sortKey, AttributeType: 'S' },
          ],
          KeySchema: [
            { AttributeName: definition.partitionKey, KeyType: 'HASH' },
            { AttributeName: definition.sortKey, KeyType: 'RANGE' },
          ],
        }),
      )
    } catch (createError) {
      // Another process created it first: fine.
      if ((createError as Error).name !== 'ResourceInUseException') throw createError
    }
  }
  for (let attempt = 0; attempt < 100; attempt++) {
    const described = await client.send(new DescribeTableCommand({ TableName: name }))
    if (described.Table?.TableStatus === 'ACTIVE') break
    await new Promise((resolve) => setTimeout(resolve, 50))
  }
  if (definition.ttlAttribute) {
    try {
      await client.send(
        new UpdateTimeToLiveCommand({ TableName: name, TimeToLiveSpecification: { AttributeName: definition.ttlAttribute, Enabled: true } }),
      )
    } catch {
      // dynalite and some local servers do not implement TTL; expiry is a cloud-side concern.
    }
  }
}
