/**
 * The logistic map and its inverse: how the models hand bounded parameters (alpha in (0, 1) and the
 * like) to an unconstrained optimiser (nelder-mead.ts), which searches x and reads lo + (hi - lo) *
 * logistic(x).
 */

export const logistic = (x: number): number => 1 / (1 + Math.exp(-x))

export const logit = (p: number): number => Math.log(p / (1 - p))
