/**
 * One series' forecast of a run into both predictions contracts: version 2 (forecasts-table.ts)
 * always; version 1 (predictions-table.ts) while it is switched on and the series has no
 * dimensions, since a version 1 key names only the metric.
 */
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb'
import { writeForecast, type ForecastItem, type ForecastWrite } from './forecasts-table.js'
import { writePredictions, type PredictionItem, type WriteReport } from './predictions-table.js'

export interface ForecastTables {
  forecastsTable: string
  predictionsTable: string
  writePredictionsV1: boolean
}

export interface ForecastWrites {
  v2: ForecastWrite
  /** Undefined when version 1 was not written for this series. */
  v1?: WriteReport
}

/** `steps` are `forecast` as version 1 items (prediction-items.ts), written only when version 1 applies. */
export async function writeForecastContracts(client: DynamoDBClient, tables: ForecastTables, forecast: ForecastItem, steps: PredictionItem[]): Promise<ForecastWrites> {
  const v2 = await writeForecast(client, tables.forecastsTable, forecast)
  if (!tables.writePredictionsV1 || forecast.seriesId !== forecast.metricId) return { v2 }
  return { v2, v1: await writePredictions(client, tables.predictionsTable, steps) }
}
