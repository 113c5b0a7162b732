/**
 * Regions cut by linear constraints over several inputs (a polytope inside
 * the box, issue 16), as the search meets them: linear bounds concretised
 * over the polytope by an LP (HiGHS), a point deep inside it to move
 * candidates towards, and sub-boxes that miss a constraint closed.
 */
import { createModel, getHighs, LpBuilder, safeDualBound } from '../bounds/highs-model.js';
import type { CanonicalBox } from './types.js';

export interface InputCut {
  /** coef·x <= rhs */
  readonly coef: Float64Array;
  readonly rhs: number;
}

const U = 2 ** -53;
const OPTIMAL = 7;

/**
 * True when the sub-box holds no point of some constraint: the minimum of
 * a·x over it exceeds b by more than the rounding of its computation.
 */
export function missesCuts(cuts: readonly InputCut[], lower: ArrayLike<number>, upper: ArrayLike<number>): boolean {
  return cuts.some((cut) => {
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
  });
}

function builder(cuts: readonly InputCut[], lower: ArrayLike<number>, upper: ArrayLike<number>): LpBuilder {
  const B = new LpBuilder();
  const n = lower.length;
  for (let i = 0; i < n; i++) B.addCol(lower[i], upper[i]);
  const idx = Array.from({ length: n }, (_, i) => i);
  for (const cut of cuts) B.addRow(-Infinity, cut.rhs, idx, Array.from(cut.coef));
  return B;
}

/**
 * Lower bounds of a_r·x + c_r over box ∩ cuts for the R rows of A (R x n):
 * weak duality with HiGHS's duals, evaluated on our own copy of the LP
 * (safeDualBound), so any duals give a valid bound; -Infinity where HiGHS
 * gives none. Rows with active[r] = 0 get -Infinity without an LP.
 */
export async function polytopeRowBounds(
  cuts: readonly InputCut[],
  lower: ArrayLike<number>,
  upper: ArrayLike<number>,
  A: Float64Array,
  c: ArrayLike<number>,
  R: number,
  active?: ArrayLike<number>,
): Promise<Float64Array> {
  const n = lower.length;
  const out = new Float64Array(R).fill(-Infinity);
  const B = builder(cuts, lower, upper);
  const highs = await getHighs();
  const model = createModel(highs, B);
  try {
    for (let r = 0; r < R; r++) {
      if (active && !active[r]) continue;
      const cost = A.slice(r * n, (r + 1) * n);
      if (!cost.every(Number.isFinite) || !Number.isFinite(c[r])) continue;
      model.changeColsCost({ kind: 'range', from: 0, to: n - 1 }, cost);
      model.changeObjectiveOffset(c[r]);
      let status: number;
      try {
        status = model.run().modelStatus;
      } catch {
        continue;
      }
      if (status !== OPTIMAL) continue;
      out[r] = safeDualBound(B, cost, c[r], model.getSolution().rowDual as Float64Array);
    }
  } finally {
    model.dispose();
  }
  return out;
}

/**
 * A point of box ∩ cuts as far inside the constraints as the box allows
 * (max s with a_k·x + s·|a_k| <= b_k), or null when HiGHS finds none.
 */
export async function deepPoint(cuts: readonly InputCut[], lower: ArrayLike<number>, upper: ArrayLike<number>): Promise<Float64Array | null> {
  const n = lower.length;
  const B = new LpBuilder();
  for (let i = 0; i < n; i++) B.addCol(lower[i], upper[i]);
  const s = B.addCol(-Infinity, 1);
  B.colCost[s] = -1;
  const idx = [...Array.from({ length: n }, (_, i) => i), s];
  for (const cut of cuts) B.addRow(-Infinity, cut.rhs, idx, [...Array.from(cut.coef), Math.hypot(...cut.coef)]);
  const model = createModel(await getHighs(), B);
  try {
    if (model.run().modelStatus !== OPTIMAL) return null;
    const x = Float64Array.from((model.getSolution().colValue as Float64Array).subarray(0, n));
    for (let i = 0; i < n; i++) x[i] = Math.min(upper[i], Math.max(lower[i], x[i]));
    return x;
  } catch {
    return null;
  } finally {
    model.dispose();
  }
}

/**
 * Moves each of the R stacked points of X (inside the box) that violates a
 * constraint towards the region's deep point, just inside the constraints
 * it crossed (a little further, so that rounding to float32 keeps it
 * there). Both ends of the segment are in the box, so the point stays in it.
 */
export function projectIntoCuts(box: CanonicalBox, X: Float64Array, R: number): void {
  const cuts = box.inputCuts;
  const v = box.cutInterior;
  if (!cuts || !v) return;
  const n = box.lower.length;
  const av = cuts.map((cut) => cut.coef.reduce((s, a, i) => s + a * v[i], 0));
  for (let p = 0; p < R; p++) {
    const off = p * n;
    let t = 1;
    cuts.forEach((cut, k) => {
      let ax = 0;
      for (let i = 0; i < n; i++) ax += cut.coef[i] * X[off + i];
      if (ax > cut.rhs && ax > av[k]) t = Math.min(t, (cut.rhs - av[k]) / (ax - av[k]));
    });
    if (t >= 1) continue;
    t = Math.max(0, t * (1 - 1e-6));
    for (let i = 0; i < n; i++) X[off + i] = Math.min(box.upper[i], Math.max(box.lower[i], v[i] + t * (X[off + i] - v[i])));
  }
}
