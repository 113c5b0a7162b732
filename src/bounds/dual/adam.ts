/**
 * Projected Adam ascent over the R x n multiplier arrays of the dual
 * solvers, with a step size per dual row (lr * rowScale[r]) and, per column,
 * either the projection onto [0, inf) (sign-constrained multipliers) or none
 * (free multipliers of equality constraints). alpha.ts's projectedAdamStep
 * has one step size for all entries; dual rows of one batch can differ in
 * scale by orders of magnitude, hence this variant.
 */

export interface AdamStep {
  /** Base step size. */
  readonly lr: number;
  readonly beta1: number;
  readonly beta2: number;
  /** Bias corrections 1 - beta1^t, 1 - beta2^t. */
  readonly bc1: number;
  readonly bc2: number;
  /** Per dual row factor on lr (absent: 1). */
  readonly rowScale?: Float64Array;
}

const EPS = 1e-8;

/**
 * Dense step on x (R x n, row-major): columns with free[j] = 1 are not
 * projected, columns with skip[j] = 1 are left untouched (multipliers fixed
 * at 0), the rest are clipped at 0.
 */
export function adamStepRows(
  x: Float64Array,
  g: Float64Array,
  m: Float64Array,
  v: Float64Array,
  R: number,
  n: number,
  s: AdamStep,
  free?: Uint8Array,
  skip?: Uint8Array,
): void {
  const { beta1, beta2, bc1, bc2, rowScale } = s;
  const c1 = 1 - beta1;
  const c2 = 1 - beta2;
  const ib2 = 1 / bc2;
  for (let r = 0; r < R; r++) {
    const lr = (s.lr * (rowScale ? rowScale[r] : 1)) / bc1;
    const off = r * n;
    if (!free && !skip) {
      // Common case (no identity neurons): one tight loop.
      for (let i = off; i < off + n; i++) {
        const gi = g[i];
        const mi = beta1 * m[i] + c1 * gi;
        const vi = beta2 * v[i] + c2 * gi * gi;
        m[i] = mi;
        v[i] = vi;
        const xi = x[i] + (lr * mi) / (Math.sqrt(vi * ib2) + EPS);
        x[i] = xi > 0 ? xi : 0;
      }
      continue;
    }
    for (let j = 0; j < n; j++) {
      if (skip && skip[j]) continue;
      const i = off + j;
      const gi = g[i];
      const mi = beta1 * m[i] + c1 * gi;
      const vi = beta2 * v[i] + c2 * gi * gi;
      m[i] = mi;
      v[i] = vi;
      const xi = x[i] + (lr * mi) / (Math.sqrt(vi * ib2) + EPS);
      x[i] = xi < 0 && !(free && free[j]) ? 0 : xi;
    }
  }
}

/** Step on the entries flat[] (indices r * n + i) of R x n arrays, projected onto [0, inf). */
export function adamStepEntries(
  x: Float64Array,
  g: Float64Array,
  m: Float64Array,
  v: Float64Array,
  flat: Int32Array,
  n: number,
  s: AdamStep,
): void {
  const { beta1, beta2, bc1, bc2, rowScale } = s;
  const c1 = 1 - beta1;
  const c2 = 1 - beta2;
  const base = s.lr / bc1;
  for (let q = 0; q < flat.length; q++) {
    const i = flat[q];
    const lr = rowScale ? base * rowScale[(i / n) | 0] : base;
    const gi = g[i];
    const mi = beta1 * m[i] + c1 * gi;
    const vi = beta2 * v[i] + c2 * gi * gi;
    m[i] = mi;
    v[i] = vi;
    const xi = x[i] + (lr * mi) / (Math.sqrt(vi / bc2) + EPS);
    x[i] = xi > 0 ? xi : 0;
  }
}
