/**
 * The standard normal quantile, Wichura's algorithm AS 241 (PPND16, Applied Statistics 37(3), 1988),
 * accurate to about 1e-16, as R's qnorm uses. Written by hand: the npm packages that provide it
 * (@stdlib's normal quantile) pull 137 packages for one function.
 */

const central = {
  a: [3.387132872796366608, 133.14166789178437745, 1971.5909503065514427, 13731.693765509461125, 45921.953931549871457, 67265.770927008700853, 33430.575583588128105, 2509.0809287301226727],
  b: [1, 42.313330701600911252, 687.1870074920579083, 5394.1960214247511077, 21213.794301586595867, 39307.89580009271061, 28729.085735721942674, 5226.495278852854561],
}
const intermediate = {
  a: [1.42343711074968357734, 4.6303378461565452959, 5.7694972214606914055, 3.64784832476320460504, 1.27045825245236838258, 0.24178072517745061177, 0.0227238449892691845833, 7.7454501427834140764e-4],
  b: [1, 2.05319162663775882187, 1.6763848301838038494, 0.68976733498510000455, 0.14810397642748007459, 0.0151986665636164571966, 5.475938084995344946e-4, 1.05075007164441684324e-9],
}
const tail = {
  a: [6.6579046435011037772, 5.4637849111641143699, 1.7848265399172913358, 0.29656057182850489123, 0.026532189526576123093, 0.0012426609473880784386, 2.71155556874348757815e-5, 2.01033439929228813265e-7],
  b: [1, 0.59983220655588793769, 0.13692988092273580531, 0.0148753612908506148525, 7.868691311456132591e-4, 1.8463183175100546818e-5, 1.4215117583164458887e-7, 2.04426310338993978564e-15],
}

/** z such that P(Z <= z) = p for a standard normal Z; p in (0, 1). */
export function normalQuantile(p: number): number {
  if (!(p > 0 && p < 1)) throw new RangeError(`normalQuantile: p must lie in (0, 1), got ${p}`)
  const q = p - 0.5
  if (Math.abs(q) <= 0.425) {
    const r = 0.180625 - q * q
    return (q * polynomial(central.a, r)) / polynomial(central.b, r)
  }
  let r = Math.sqrt(-Math.log(q < 0 ? p : 1 - p))
  const coefficients = r <= 5 ? intermediate : tail
  r -= r <= 5 ? 1.6 : 5
  const z = polynomial(coefficients.a, r) / polynomial(coefficients.b, r)
  return q < 0 ? -z : z
}

/** c[0] + c[1] x + ... + c[7] x^7 by Horner's rule. */
function polynomial(c: readonly number[], x: number): number {
  let value = 0
  for (let k = c.length - 1; k >= 0; k--) value = value * x + c[k]
  return value
}
