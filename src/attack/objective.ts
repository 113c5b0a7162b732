/**
 * The attack objective of a canonical box: obj(x) = min over disjuncts of the
 * max over its rows of g_r(x). The point is unsafe iff obj(x) <= 0.
 * Also returns, per point, the row whose gradient is the subgradient of obj.
 */
export function objective(
  out: Float64Array,
  R: number,
  rows: number,
  rowGroup: Int32Array,
  numDisjuncts: number,
): { value: Float64Array; activeRow: Int32Array; disjunct: Int32Array } {
  const value = new Float64Array(R);
  const activeRow = new Int32Array(R);
  const disjunct = new Int32Array(R);
  const gMax = new Float64Array(numDisjuncts);
  const gArg = new Int32Array(numDisjuncts);
  for (let p = 0; p < R; p++) {
    gMax.fill(-Infinity);
    for (let r = 0; r < rows; r++) {
      const v = out[p * rows + r];
      const g = rowGroup[r];
      if (v > gMax[g]) {
        gMax[g] = v;
        gArg[g] = r;
      }
    }
    let best = Infinity;
    let bestG = 0;
    for (let g = 0; g < numDisjuncts; g++) {
      if (gMax[g] < best) {
        best = gMax[g];
        bestG = g;
      }
    }
    value[p] = best;
    activeRow[p] = gArg[bestG];
    disjunct[p] = bestG;
  }
  return { value, activeRow, disjunct };
}

/** For point p, the row of disjunct g with the largest value (the subgradient row of that disjunct's max). */
export function maxRowOf(out: Float64Array, p: number, rows: number, rowGroup: Int32Array, g: number): number {
  let best = -1;
  for (let r = 0; r < rows; r++) {
    if (rowGroup[r] !== g) continue;
    if (best < 0 || out[p * rows + r] > out[p * rows + best]) best = r;
  }
  return best;
}
