/**
 * The R baselines on the same series and hold-out, run by Rscript (Debian's r-cran-forecast), timed
 * per series inside R so process start-up is not counted: forecast::auto.arima on ts(y, m), and
 * forecast::mstl on msts(y, periods) forecast as forecast.mstl does (ETS on the seasonally adjusted
 * part, seasonal naive on the seasonal parts).
 */
import { spawnSync } from 'node:child_process'
import { mkdtempSync, writeFileSync, readFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'

export interface RForecast {
  id: string
  seconds: number
  mean: Float64Array
  lower: Float64Array
  upper: Float64Array
}

const script = `
suppressMessages(library(forecast))
args <- commandArgs(trailingOnly = TRUE)
input <- readLines(args[1]); h <- as.integer(args[2]); periods <- as.numeric(strsplit(args[3], ",")[[1]]); out <- file(args[4], "w")
method <- args[5]
for (line in input) {
  cells <- strsplit(line, ",")[[1]]
  values <- as.numeric(cells[-1])
  t0 <- proc.time()[["elapsed"]]
  f <- if (method == "mstl") forecast(mstl(msts(values, seasonal.periods = periods)), h = h, level = 95) else forecast(auto.arima(ts(values, frequency = periods[1])), h = h, level = 95)
  secs <- proc.time()[["elapsed"]] - t0
  writeLines(paste(cells[1], secs, paste(as.numeric(f$mean), collapse = " "), paste(as.numeric(f$lower), collapse = " "),
    paste(as.numeric(f$upper), collapse = " "), sep = ";"), out)
}
close(out)
`

/** True when Rscript with the forecast package is installed. */
export function hasR(): boolean {
  const probe = spawnSync('Rscript', ['-e', 'suppressMessages(library(forecast))'], { encoding: 'utf8' })
  return probe.status === 0
}

export type RMethod = 'auto.arima' | 'mstl'

/** Runs `method` on each insample series; auto.arima uses the first period as the ts frequency. */
export function runRBaseline(method: RMethod, series: { id: string; insample: Float64Array }[], horizon: number, periods: readonly number[]): RForecast[] {
  const dir = mkdtempSync(join(tmpdir(), 'gras-r-'))
  const input = join(dir, 'input.csv')
  const output = join(dir, 'output.txt')
  writeFileSync(join(dir, 'baseline.R'), script)
  writeFileSync(input, series.map((s) => [s.id, ...s.insample].join(',')).join('\n') + '\n')
  const run = spawnSync('Rscript', [join(dir, 'baseline.R'), input, String(horizon), periods.join(','), output, method], { encoding: 'utf8', maxBuffer: 1 << 26 })
  if (run.status !== 0) throw new Error(`Rscript failed: ${run.stderr}`)
  return readFileSync(output, 'utf8')
    .trim()
    .split('\n')
    .map((line) => {
      const [id, seconds, mean, lower, upper] = line.split(';')
      const numbers = (text: string) => Float64Array.from(text.split(' ').map(Number))
      return { id, seconds: Number(seconds), mean: numbers(mean), lower: numbers(lower), upper: numbers(upper) }
    })
}
