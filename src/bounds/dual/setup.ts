/**
 * Common set-up of the dual bounders (Big-M, Active Set, BDD+; ALGORITHMS.md §4).
 *
 * Every dual method bounds the output rows of a batch of domains with the
 * intermediate (pre-activation) bounds held fixed. Each (feasible domain,
 * output row) pair is an independent dual problem, a "dual row"; rows are
 * stacked so that one product per layer serves all of them.
 */
import type { LayeredNet } from '../../network/layered.js';
import { crownPass } from '../crown.js';
import { applyDomainConstraints, emptinessContext, inputInfeasible, postActivation } from '../ibp.js';
import type { BoundResult, DomainBatch } from '../types.js';
import { takeRows } from '../../tensor/arrays.js';

/** Where the intermediate bounds of a dual bounder come from. */
export type IntermediateSource =
  /** CROWN (adaptive slopes), intersected with the batch's inherited bounds and splits. */
  | 'crown'
  /** Exactly batch.preLower / batch.preUpper (intersected with splits): for comparing methods on equal terms. */
  | 'given';

export interface DualSetup {
  readonly B: number;
  /** Output rows per domain. */
  readonly m: number;
  /** Hidden layers (net.layers.length - 1). */
  readonly H: number;
  readonly infeasible: Uint8Array;
  /** Feasible domain indices in order. */
  readonly feasible: Int32Array;
  /** Dual rows: (domain rowDomain[r], output rowOutput[r]) for the needed outputs of every feasible domain. */
  readonly R: number;
  readonly rowDomain: Int32Array;
  readonly rowOutput: Int32Array;
  /** Per hidden layer, B x n_k pre-activation bounds (lhat, uhat). */
  readonly preLower: Float64Array[];
  readonly preUpper: Float64Array[];
  /** Per hidden layer, B x n_k post-activation bounds (l, u). */
  readonly postLower: Float64Array[];
  readonly postUpper: Float64Array[];
  /** B x m CROWN lower bound when the intermediate bounds came from CROWN (else undefined). */
  readonly crownLower?: Float64Array;
  /**
   * CROWN's linear lower bounds of the rows, when CROWN ran: still valid (if
   * looser than the dual bound), and what input-split branching and the
   * counterexample search read.
   */
  readonly crownLinear?: BoundResult['linear'];
}

/** Intermediate bounds and dual-row layout for one batch. */
export async function dualSetup(net: LayeredNet, batch: DomainBatch, source: IntermediateSource): Promise<DualSetup> {
  const B = batch.size;
  const m = net.outputDim;
  const H = net.layers.length - 1;
  let preLower: Float64Array[];
  let preUpper: Float64Array[];
  let infeasible: Uint8Array;
  let crownLower: Float64Array | undefined;
  let crownLinear: BoundResult['linear'];
  if (source === 'crown') {
    const st = await crownPass(net, batch);
    preLower = st.result.preLower;
    preUpper = st.result.preUpper;
    infeasible = st.infeasible;
    crownLower = st.result.rowLower;
    crownLinear = st.result.linear;
  } else {
    if (!batch.preLower || !batch.preUpper) throw new Error("intermediate 'given' needs batch.preLower and batch.preUpper");
    infeasible = inputInfeasible(batch, net.inputDim);
    const ctx = emptinessContext(net, batch);
    preLower = [];
    preUpper = [];
    for (let k = 0; k < H; k++) {
      const n = net.layers[k].outDim;
      const lo = new Float64Array(B * n).fill(-Infinity);
      const hi = new Float64Array(B * n).fill(Infinity);
      applyDomainConstraints(batch, k, n, net.layers[k].identity, lo, hi, infeasible, ctx.tol[k], ctx.splitDomain);
      preLower.push(lo);
      preUpper.push(hi);
    }
  }
  const postLower: Float64Array[] = [];
  const postUpper: Float64Array[] = [];
  for (let k = 0; k < H; k++) {
    const post = postActivation(preLower[k], preUpper[k], net.layers[k]);
    postLower.push(post.lower);
    postUpper.push(post.upper);
  }
  let nf = 0;
  for (let b = 0; b < B; b++) if (!infeasible[b]) nf++;
  const feasible = new Int32Array(nf);
  for (let b = 0, q = 0; b < B; b++) if (!infeasible[b]) feasible[q++] = b;
  // Dual rows: the needed outputs (batch.activeRows) of every feasible domain.
  const domains: number[] = [];
  const outputs: number[] = [];
  for (const b of feasible) {
    for (let o = 0; o < m; o++) {
      if (batch.activeRows && !batch.activeRows[b * m + o]) continue;
      domains.push(b);
      outputs.push(o);
    }
  }
  const R = domains.length;
  const rowDomain = Int32Array.from(domains);
  const rowOutput = Int32Array.from(outputs);
  return { B, m, H, infeasible, feasible, R, rowDomain, rowOutput, preLower, preUpper, postLower, postUpper, crownLower, crownLinear };
}

/** Per-domain B x n array expanded to one copy per dual row (R x n). */
export function expandRows(setup: DualSetup, perDomain: Float64Array, n: number): Float64Array {
  return takeRows(perDomain, n, setup.rowDomain);
}

/**
 * The BoundResult of a dual bounder: per dual row the best bound found
 * (never below CROWN's when `clamp` and CROWN ran), +Infinity on infeasible
 * domains; outputs that were not needed keep CROWN's bound (-Infinity
 * without CROWN).
 */
export function dualResult(setup: DualSetup, rowBest: Float64Array, clamp: boolean): BoundResult {
  const { B, m } = setup;
  const rowLower = new Float64Array(B * m).fill(Infinity);
  for (const b of setup.feasible) {
    for (let o = 0; o < m; o++) rowLower[b * m + o] = setup.crownLower?.[b * m + o] ?? -Infinity;
  }
  for (let r = 0; r < setup.R; r++) {
    const i = setup.rowDomain[r] * m + setup.rowOutput[r];
    const c = setup.crownLower?.[i];
    rowLower[i] = clamp && c !== undefined && c > rowBest[r] ? c : rowBest[r];
  }
  return { rowLower, preLower: setup.preLower, preUpper: setup.preUpper, linear: setup.crownLinear };
}
