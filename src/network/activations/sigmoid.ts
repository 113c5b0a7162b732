import { sShaped } from './s-shaped.js';

function sigmoidOf(x: number): number {
  // Two forms so that exp never overflows.
  if (x >= 0) return 1 / (1 + Math.exp(-x));
  const e = Math.exp(x);
  return e / (1 + e);
}

/** 1 / (1 + e^-x). */
export const sigmoid = sShaped({
  key: 'sigmoid',
  f: sigmoidOf,
  df: (x) => {
    const s = sigmoidOf(x);
    return s * (1 - s);
  },
  low: 0,
  high: 1,
});
