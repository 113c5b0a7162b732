/**
 * The input set of a VNN-LIB region parsed with `linearInputs` (issue 16,
 * step 4): its box alone, or, with one inequality a·X <= b over several
 * inputs, the simplex it cuts from a corner of the box:
 *
 *   every input with a_i > 0 bounded below by l_i, with a_i < 0 above by u_i,
 *   every input with a_i = 0 fixed (l_i = u_i);
 *   corner v with v_i = l_i (a_i > 0), u_i (a_i < 0), l_i (a_i = 0);
 *   s = b - a·v >= 0 (the room left at the corner);
 *   x = v + Σ_i sign(a_i)·(s/|a_i|)·e_i·z_i, z >= 0, Σ z <= 1,
 *
 * intersected with the box (the far sides). Other forms are not simplices
 * and are refused with the inequality's file:line:col.
 */
import { simplexImage, type InputSet } from '../problem/input-set.js';
import { VnnlibError, type SpecRegion } from './types.js';

export function regionInputSet(region: SpecRegion): InputSet {
  const { lower, upper } = region;
  const ineqs = region.inequalities ?? [];
  if (ineqs.length === 0) return { kind: 'box', lower, upper };
  if (ineqs.length > 1) {
    throw new VnnlibError(
      `unsupported: ${ineqs.length} linear constraints over several inputs in one region; only one (a simplex cut from a corner of the box) is supported`,
      ineqs[1].pos,
    );
  }
  const { coef: a, rhs: b, pos } = ineqs[0];
  const n = lower.length;
  const v = new Float64Array(n);
  const used: number[] = [];
  let av = 0;
  for (let i = 0; i < n; i++) {
    if (a[i] === 0) {
      if (lower[i] !== upper[i]) {
        throw new VnnlibError(`unsupported: X_${i} is neither in the linear constraint nor fixed, so the region is not a simplex`, pos);
      }
      v[i] = lower[i];
      continue;
    }
    v[i] = a[i] > 0 ? lower[i] : upper[i];
    av += a[i] * v[i];
    used.push(i);
  }
  const s = b - av;
  if (!(s >= 0)) {
    // The corner violates the constraint: the region is empty or the cut is not at this corner.
    throw new VnnlibError(`unsupported: the linear constraint excludes the box corner it would have to start from (slack ${s}); not a simplex`, pos);
  }
  const m = used.length;
  const M = new Float64Array(n * m);
  used.forEach((i, j) => {
    M[i * m + j] = (Math.sign(a[i]) * s) / Math.abs(a[i]);
  });
  return simplexImage(v, M, m, 1, { lower, upper });
}
