/** The names every layer shares: metric ids, step lengths and model names. */

/** Metric ids become S3 keys and DynamoDB keys: a closed alphabet keeps both safe. */
export const metricIdPattern = /^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$/

export const frequencies = { hourly: 3_600_000, daily: 86_400_000 } as const

/** `neural` is the global model of `gras train-neural`: a candidate when an approved version exists. */
export const modelNames = ['snaive', 'ets', 'ets-seasonal', 'theta', 'dotm', 'arima', 'neural'] as const
export type ModelName = (typeof modelNames)[number]
