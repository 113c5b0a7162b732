/**
 * What branch and bound records for a certificate: the tree of the domains
 * it kept (the trial splits it discarded are not part of it), the split
 * that made each child, and for every disjunct the node where it closed,
 * with the row and the dual values of the bound that closed it. The
 * producer (produce.ts) turns this into a checked proof.
 */
import type { CanonicalProblem } from '../problem/types.js';
import type { Closure, DualEntry, NodeConstraint } from './format.js';

export interface RecordedNode {
  readonly id: number;
  readonly parent: number | null;
  readonly constraint?: NodeConstraint;
  close: Closure[];
  empty: boolean;
  /** Closed by an exact LP with no dual certificate recorded (the producer re-derives one). */
  lpLeaf: boolean;
}

export class ProofTree {
  readonly nodes: RecordedNode[] = [];

  add(parent: number | null, constraint?: NodeConstraint): number {
    const id = this.nodes.length;
    this.nodes.push({ id, parent, constraint, close: [], empty: false, lpLeaf: false });
    return id;
  }

  close(id: number, closure: Closure): void {
    this.nodes[id].close.push(closure);
  }

  markEmpty(id: number): void {
    this.nodes[id].empty = true;
  }

  markLpLeaf(id: number): void {
    this.nodes[id].lpLeaf = true;
  }
}

/** One proof tree per input region, filled by the search of that region. */
export class ProofLog {
  readonly trees = new Map<number, ProofTree>();
  /** The problem that was solved and the model's bytes (set by runInstance): what the certificate is about. */
  solved?: { readonly problem: CanonicalProblem; readonly onnxBytes: Uint8Array };

  tree(region: number): ProofTree {
    let t = this.trees.get(region);
    if (!t) this.trees.set(region, (t = new ProofTree()));
    return t;
  }
}

/**
 * A bounder's dual values for one (domain, row) as certificate entries:
 * split multipliers on split neurons, slopes on the neurons ambiguous in
 * the bounder's own pre-activation bounds. NaN (row not optimised) gives
 * nothing: the checker's default slopes.
 */
export function dualEntries(
  dual: readonly (Float32Array | Float64Array)[],
  domain: number,
  row: number,
  rows: number,
  sizes: readonly number[],
  splits: readonly Int8Array[] | null,
  preLower: readonly Float64Array[],
  preUpper: readonly Float64Array[],
): { alpha: DualEntry[]; beta: DualEntry[] } {
  const alpha: DualEntry[] = [];
  const beta: DualEntry[] = [];
  sizes.forEach((n, k) => {
    const base = (domain * rows + row) * n;
    const lo = preLower[k];
    const hi = preUpper[k];
    for (let j = 0; j < n; j++) {
      const v = dual[k][base + j];
      if (v !== v) continue;
      if (splits && splits[k][j] !== 0) {
        if (v > 0) beta.push([k, j, v]);
      } else if (lo[domain * n + j] < 0 && hi[domain * n + j] > 0) {
        alpha.push([k, j, Math.min(1, Math.max(0, v))]);
      }
    }
  });
  return { alpha, beta };
}
