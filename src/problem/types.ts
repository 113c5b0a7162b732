import type { LayeredNet } from '../network/layered.js';
import type { SimplexSet } from './input-set.js';
import type { InputCut } from './polytope.js';

/**
 * The canonical problem: for each input box, a network whose outputs g_r are
 * the spec rows g_r(x) = C_r f(x) - d_r folded into the last layer.
 *
 * Rows are grouped into disjuncts (conjunctions). Disjunct m is reachable on
 * the box iff some x has g_r(x) <= 0 for every row r of m. The property holds
 * (`unsat`) iff on every box every disjunct has min_x max_{r in m} g_r(x) > 0.
 */
export interface CanonicalBox {
  readonly index: number;
  readonly lower: Float64Array;
  readonly upper: Float64Array;
  /** The network with all spec rows of this box folded into its last layer. */
  readonly net: LayeredNet;
  /**
   * The same network before folding (its last layer gives the model's
   * outputs y) and the spec rows g_r = C_r·y - d_r, exactly as parsed: the
   * proof checker starts from these, since folding rounds.
   */
  readonly unfolded: { readonly net: LayeredNet; readonly C: Float64Array; readonly d: Float64Array };
  /** For each output row of `net`, the disjunct it belongs to. */
  readonly rowGroup: Int32Array;
  readonly numDisjuncts: number;
  /**
   * Per output row, the soundness margin: a lower bound proves the row
   * positive only above it (ABSOLUTE_MARGIN plus the row's rounding error
   * bound on this box, src/problem/rounding.ts).
   */
  readonly margin: Float64Array;
  /**
   * A region whose VNN-LIB constraints cut the box to a simplex (issue 16):
   * the set itself. The box above is its bounding box, so every bound over
   * the box is valid (looser); counterexamples must also satisfy the cut.
   */
  readonly inputSet?: SimplexSet;
  /**
   * Constraints over several inputs that cut the box (coef·x <= rhs, as
   * parsed): the region is box ∩ these. `inputSet` is set when they cut a
   * simplex; otherwise the region is a general polytope.
   */
  readonly inputCuts?: readonly InputCut[];
  /** A point deep inside the cuts (candidates are moved towards it); absent until the solver computes it. */
  readonly cutInterior?: Float64Array;
}

export interface CanonicalProblem {
  /** The network as lowered from ONNX (no spec folded). */
  readonly base: LayeredNet;
  readonly boxes: readonly CanonicalBox[];
}

/** Lower bound of each disjunct from lower bounds of its rows: AND (all rows <= 0) becomes max. */
export function disjunctLowerBounds(rowLower: ArrayLike<number>, rowGroup: Int32Array, numDisjuncts: number): Float64Array {
  const out = new Float64Array(numDisjuncts).fill(-Infinity);
  for (let r = 0; r < rowGroup.length; r++) {
    const g = rowGroup[r];
    if (rowLower[r] > out[g]) out[g] = rowLower[r];
  }
  return out;
}
