/** A DynamoDB Query followed through every page. */
import { QueryCommand, type AttributeValue, type DynamoDBClient, type QueryCommandInput } from '@aws-sdk/client-dynamodb'

export async function queryAll(client: DynamoDBClient, input: Omit<QueryCommandInput, 'ExclusiveStartKey'>): Promise<Record<string, AttributeValue>[]> {
  const out: Record<string, AttributeValue>[] = []
  let startKey: Record<string, AttributeValue> | undefined
  do {
    const page = await client.send(new QueryCommand({ ...input, ExclusiveStartKey: startKey }))
    out.push(...(page.Items ?? []))
    startKey = page.LastEvaluatedKey
  } while (startKey)
  return out
}
