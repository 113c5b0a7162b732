import type { LayeredNet } from '../network/layered.js';
import type { InputSet } from '../problem/input-set.js';

/**
 * B domains of one LayeredNet, bounded together in one pass. Arrays of B
 * vectors are stacked row-wise (domain b at [b*n, (b+1)*n)).
 */
export interface DomainBatch {
  readonly size: number;
  /** B x n_0 input box. */
  readonly lower: Float64Array;
  readonly upper: Float64Array;
  /**
   * Per domain, a tighter input set inside its box (an ℓ1 ball, a simplex
   * image; issue 16). Bounders that know sets (src/bounds/simplex/) bound
   * over it; the others bound over the box, a superset, which stays valid.
   * The box must therefore contain the set (`boundingBox` gives one).
   */
  readonly inputSets?: readonly InputSet[];
  /**
   * Per hidden layer k (index 0 = first hidden layer), B x n_k ReLU split
   * decisions: +1 fixed active (xhat >= 0), -1 fixed inactive (xhat <= 0),
   * 0 free. Absent means no splits.
   */
  readonly splits?: readonly Int8Array[];
  /**
   * Per hidden layer, B x n_k pre-activation bounds already known to hold on
   * the domain (e.g. inherited from the parent in branch and bound); they
   * are intersected with what the bounder computes.
   */
  readonly preLower?: readonly Float64Array[];
  readonly preUpper?: readonly Float64Array[];
  /**
   * Per domain, the first hidden layer whose inherited bounds a linear
   * bounder can still improve. A child of ReLU splitting differs from its
   * parent only by a split at layer s, so its linear bounds on layers 0..s
   * equal the inherited ones (same box, same relaxations below them; the
   * split itself is applied as a clamp) and their backward passes are
   * skipped: the value is s + 1. Absent: every layer is recomputed.
   */
  readonly freshFrom?: Int32Array;
  /**
   * B x m: 1 for the output rows the caller still needs, 0 for rows of
   * disjuncts it has already closed. Iterative bounders spend their
   * iterations on needed rows only and report the other rows' cheap (still
   * valid) first bound. Absent: every row is needed.
   */
  readonly activeRows?: Uint8Array;
  /**
   * Per hidden layer, B x m x n_k starting values for the optimised dual
   * parameters of each (domain, output row): the lower slope alpha on
   * neurons ambiguous in the domain, the split multiplier beta on split
   * neurons (see `BoundResult.dual`). NaN rows start cold. Any values give
   * valid bounds (they are projected onto the feasible set); good ones, a
   * parent's optimum, save iterations.
   */
  readonly warmStart?: readonly Float32Array[];
  /**
   * What the caller needs of each domain (branch and bound: a disjunct is closed once one of its rows'
   * bounds exceeds that row's margin): `rowGroup[o]` is output row o's disjunct and `margin[o]` its
   * margin. Iterative bounders stop optimising the rows of a (domain, disjunct) once it is closed; they
   * may then report bounds below what more iterations would reach, never invalid ones. Absent: every
   * row is optimised to the end.
   */
  readonly goal?: { readonly rowGroup: Int32Array; readonly margin: Float64Array };
  /** Also report `BoundResult.bestDual` (an unsat certificate is being recorded, or the best slopes are kept for reuse). */
  readonly certify?: boolean;
  /**
   * Lower slopes for the backward passes of intermediate bounds, one set for
   * every domain of the batch (see IntermediateSlopes). Absent: each
   * relaxation's own slopes.
   */
  readonly intermediateSlopes?: IntermediateSlopes;
}

/**
 * Optimised lower slopes of the rows that bound one hidden layer's
 * pre-activations (alpha-CROWN's optimum for its ambiguous neurons at the
 * root of branch and bound, root-intermediates.ts). Any slope in [0, 1] is
 * valid on any domain, so a search reuses them in every domain: a child's
 * intermediate bounds then start from the root's optimised relaxation
 * instead of the adaptive one (alpha-beta-CROWN shares its root alphas the
 * same way).
 */
export interface LayerRowSlopes {
  /** Per neuron j of the layer, the row bounding xhat_j from below (+x_j); the next row bounds it from above (-x_j). -1: none. */
  readonly rowOf: Int32Array;
  /** Per hidden layer q below this one, rows x n_q slopes (NaN: none). */
  readonly slopes: readonly Float32Array[];
}

/** Per hidden layer (index 0 = first hidden layer), its rows' slopes, or undefined. */
export type IntermediateSlopes = readonly (LayerRowSlopes | undefined)[];

export interface BoundResult {
  /**
   * B x m sound lower bounds of every output row over each domain.
   * +Infinity for a domain found infeasible (some lower > upper after splits).
   */
  readonly rowLower: Float64Array;
  /** Per hidden layer, B x n_k pre-activation bounds (intersected with splits and inputs). */
  readonly preLower: Float64Array[];
  readonly preUpper: Float64Array[];
  /**
   * Linear lower bounds g_r(x) >= A_r·x + c_r valid on each domain, when the
   * bounder has them: A is B x m x n_0, c is B x m. Used for input-split
   * branching and as a source of counterexample candidates.
   */
  readonly linear?: { readonly A: Float64Array; readonly c: Float64Array };
  /**
   * From bounders that optimise dual parameters per output row (alpha,
   * beta): per hidden layer, B x m x n_k, the last iterate's slopes on
   * ambiguous neurons and split multipliers on split neurons; NaN on rows
   * that were not optimised. A child domain passes them back as `warmStart`.
   */
  readonly dual?: Float32Array[];
  /**
   * The same parameters (same layout) of the iterate that gave each row its
   * reported bound (the best one, CROWN's own slopes when no iterate beat
   * it), in float64: what an unsat certificate records (src/proof), so that
   * the checker's recomputation meets the reported bound.
   */
  readonly bestDual?: Float64Array[];
}

export interface BoundOptions {
  /** performance.now() value after which iterative bounders return their best so far. */
  readonly deadline?: number;
}

export interface Bounder {
  readonly name: string;
  bound(net: LayeredNet, batch: DomainBatch, options?: BoundOptions): Promise<BoundResult>;
}
