/**
 * A region cut by a linear constraint a·x <= b over several inputs (a
 * simplex region, issue 16), as the search meets it: candidate points are
 * moved into the cut, and sub-boxes that miss it are empty.
 */
import type { CanonicalBox } from './types.js';

const U = 2 ** -53;

/**
 * Moves each of the R stacked points of X (inside the box) that violates the
 * cut towards the set's corner x0 (inside the cut), onto the cut and a
 * little inside it, so that rounding to float32 keeps it there. The segment
 * stays in the box (both ends are in it), so the point lands in the set.
 */
export function projectIntoCut(box: CanonicalBox, X: Float64Array, R: number): void {
  const cut = box.inputCut;
  const set = box.inputSet;
  if (!cut || !set) return;
  const n = box.lower.length;
  const v = set.x0;
  let av = 0;
  for (let i = 0; i < n; i++) av += cut.coef[i] * v[i];
  for (let p = 0; p < R; p++) {
    const off = p * n;
    let ax = 0;
    for (let i = 0; i < n; i++) ax += cut.coef[i] * X[off + i];
    if (!(ax > cut.rhs) || !(ax > av)) continue;
    const t = ((cut.rhs - av) / (ax - av)) * (1 - 1e-6);
    for (let i = 0; i < n; i++) {
      const y = v[i] + t * (X[off + i] - v[i]);
      X[off + i] = Math.min(box.upper[i], Math.max(box.lower[i], y));
    }
  }
}

/**
 * True when the sub-box [lower, upper] holds no point of the cut: the
 * minimum of a·x over it exceeds b by more than the rounding of its
 * computation (n products summed: at most (n+2)·u·sum|terms|, doubled).
 */
export function missesCut(box: CanonicalBox, lower: ArrayLike<number>, upper: ArrayLike<number>): boolean {
  const cut = box.inputCut;
  if (!cut) return false;
  let s = 0;
  let mag = Math.abs(cut.rhs);
  for (let i = 0; i < cut.coef.length; i++) {
    const a = cut.coef[i];
    if (a === 0) continue;
    const t = a >= 0 ? a * lower[i] : a * upper[i];
    s += t;
    mag += Math.abs(t);
  }
  return s - cut.rhs > 2 * (cut.coef.length + 3) * U * mag + Number.MIN_VALUE;
}
