/**
 * Directed rounding for the proof checker. JavaScript has no rounding-mode
 * control, so every bound is computed in round-to-nearest and then moved
 * outward: a single rounding is off by at most half an ulp, so the next
 * float in the safe direction is on the safe side of the exact value; a
 * computed sum of n products is off by at most gamma(n) times the sum of
 * the products' magnitudes (Higham, Accuracy and Stability of Numerical
 * Algorithms, Thm 3.5; any summation order, with or without FMA), plus an
 * underflow term. This is the "safe bound" technique of Neumaier and
 * Shcherbina (2004) for LP duals, applied to linear bound propagation.
 */

const f64 = new Float64Array(1);
const i64 = new BigInt64Array(f64.buffer);

/** Unit roundoff of float64. */
export const U = 2 ** -53;
/** Bound on the absolute error that underflow adds to one product (half the smallest subnormal, doubled for safety). */
const ETA = 2 ** -1073;

/** The smallest float above x (x for +Infinity and NaN). */
export function nextUp(x: number): number {
  if (x !== x || x === Infinity) return x;
  if (x === 0) return Number.MIN_VALUE;
  f64[0] = x;
  i64[0] += x > 0 ? 1n : -1n;
  return f64[0];
}

/** The largest float below x (x for -Infinity and NaN). */
export function nextDown(x: number): number {
  return -nextUp(-x);
}

/**
 * gamma(n) = n u / (1 - n u), rounded up with room to spare: the relative
 * error bound of a computed sum of n (product) terms.
 */
export function gamma(n: number): number {
  const nu = (n + 2) * U;
  if (!(nu < 0.01)) return Infinity;
  return 1.02 * nu;
}

/**
 * A computed non-negative sum of n product terms, raised to an upper bound
 * of the exact sum: the relative error gamma(n) and n underflow terms.
 */
export function inflate(x: number, n: number): number {
  return nextUp(x * (1 + 2 * gamma(n)) + (n + 1) * ETA);
}

/** An upper bound of the exact a - b for floats a, b. */
export function subUp(a: number, b: number): number {
  return nextUp(a - b);
}

/** A lower bound of the exact a - b for floats a, b. */
export function subDown(a: number, b: number): number {
  return nextDown(a - b);
}
