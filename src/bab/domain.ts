/**
 * A sub-domain of branch and bound: an input box, optionally with ReLU phase
 * decisions and the pre-activation bounds inherited from its parent.
 */
export interface Domain {
  readonly lower: Float64Array;
  readonly upper: Float64Array;
  /** Per hidden layer: +1 active, -1 inactive, 0 free. null when no ReLU was split. */
  readonly splits: Int8Array[] | null;
  readonly preLower: Float64Array[] | null;
  readonly preUpper: Float64Array[] | null;
  /** Disjuncts not yet proven unreachable on this domain (1 = open). */
  readonly open: Uint8Array;
  /** Lower bound of the worst open disjunct (the queue key). */
  readonly lb: number;
  /** Best objective value at the domain's candidate points (an upper bound on its minimum). */
  readonly ub: number;
  readonly depth: number;
  /** Output-row lower bounds and linear bounds from the last bounding, used for branching. */
  readonly rowLower: Float64Array;
  /** rows x n_0 coefficients of g_r(x) >= A_r·x + c_r on this domain, if the bounder gave them. */
  readonly linearA: Float64Array | null;
  /**
   * ReLU splitting: per hidden layer, rows x n_k optimised dual parameters
   * of the domain's bounding (BoundResult.dual), its children's warm start.
   */
  readonly dual: Float32Array[] | null;
  /** Running average of the parent->child improvement of lb (stratified bounding). */
  readonly improvement: number;
  /** Set once a domain (and so all its offspring) is handed to the tight bounder. */
  readonly hard: boolean;
  /** Its node in the proof tree being recorded (-1 when none is). */
  readonly node: number;
}

/**
 * Which disjuncts stay open given row lower bounds: a disjunct is closed when
 * some row r of it is provably positive, above its soundness margin[r] (AND
 * of rows <= 0 is then impossible).
 * `deficit` sums the negative parts of the open disjuncts' bounds: how far
 * the domain is from being closed as a whole.
 */
export function openDisjuncts(
  rowLower: Float64Array,
  offset: number,
  rowGroup: Int32Array,
  parentOpen: Uint8Array,
  margin: Float64Array,
): { open: Uint8Array; lb: number; numOpen: number; deficit: number } {
  const nd = parentOpen.length;
  const best = new Float64Array(nd).fill(-Infinity);
  const closed = new Uint8Array(nd);
  for (let r = 0; r < rowGroup.length; r++) {
    const v = rowLower[offset + r];
    const g = rowGroup[r];
    if (v > best[g]) best[g] = v;
    // NaN compares false: no information, the row closes nothing.
    if (v > margin[r]) closed[g] = 1;
  }
  const open = new Uint8Array(nd);
  let lb = Infinity;
  let numOpen = 0;
  let deficit = 0;
  for (let g = 0; g < nd; g++) {
    if (!parentOpen[g] || closed[g]) continue;
    open[g] = 1;
    numOpen++;
    deficit += Math.min(best[g], 0);
    if (best[g] < lb) lb = best[g];
  }
  return { open, lb, numOpen, deficit };
}

/** The row to improve for a domain: in its worst open disjunct, the row with the highest lower bound. */
export function targetRow(rowLower: Float64Array, offset: number, rowGroup: Int32Array, open: Uint8Array): number {
  const nd = open.length;
  const best = new Float64Array(nd).fill(-Infinity);
  const arg = new Int32Array(nd).fill(-1);
  for (let r = 0; r < rowGroup.length; r++) {
    const g = rowGroup[r];
    const v = rowLower[offset + r];
    if (arg[g] < 0 || v > best[g]) {
      best[g] = v;
      arg[g] = r;
    }
  }
  let worst = -1;
  for (let g = 0; g < nd; g++) if (open[g] && (worst < 0 || best[g] < best[worst])) worst = g;
  return worst < 0 ? 0 : arg[worst];
}
