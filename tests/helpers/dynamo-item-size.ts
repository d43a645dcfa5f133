/**
 * An item's size by DynamoDB's documented rule ("Item sizes and formats", DynamoDB Developer Guide,
 * https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/CapacityUnitCalculations.html):
 * attribute names and strings count their UTF-8 bytes; a number about one byte per two significant
 * digits (leading and trailing zeros trimmed) plus one; a Boolean or null one byte; a list or map
 * three bytes plus one per element plus the elements (a map's with their names). One write unit
 * per started KB (1,024 bytes) of the item.
 */
import type { AttributeValue } from '@aws-sdk/client-dynamodb'

const significantDigits = (n: string) => n.replace(/^-/, '').replace(/e.*$/i, '').replace('.', '').replace(/^0+/, '').replace(/0+$/, '').length || 1

function valueBytes(value: AttributeValue): number {
  if (value.S !== undefined) return Buffer.byteLength(value.S)
  if (value.N !== undefined) return Math.ceil(significantDigits(value.N) / 2) + 1
  if (value.B !== undefined) return value.B.length
  if (value.BOOL !== undefined || value.NULL !== undefined) return 1
  if (value.M) return 3 + Object.entries(value.M).reduce((sum, [name, v]) => sum + 1 + Buffer.byteLength(name) + valueBytes(v), 0)
  if (value.L) return 3 + value.L.reduce((sum, v) => sum + 1 + valueBytes(v), 0)
  throw new Error(`dynamo-item-size: no size rule for ${JSON.stringify(value)}`)
}

/** Bytes of `item` by the rule above. */
export function dynamoItemBytes(item: Record<string, AttributeValue>): number {
  return Object.entries(item).reduce((sum, [name, value]) => sum + Buffer.byteLength(name) + valueBytes(value), 0)
}

/** Write units of putting `item`: one per started KB. */
export const writeUnitsOf = (item: Record<string, AttributeValue>) => Math.ceil(dynamoItemBytes(item) / 1024)
