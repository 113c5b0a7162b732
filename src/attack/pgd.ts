import { backwardBatch, forwardBatch } from '../network/batch.js';
import type { CanonicalBox } from '../problem/types.js';
import { maxRowOf, objective } from './objective.js';
import { mulberry32 } from './rng.js';

export interface AttackOptions {
  readonly restarts?: number;
  readonly steps?: number;
  readonly seed?: number;
  /** performance.now() after which the attack stops early. */
  readonly deadline?: number;
  /** Extra starting points (each n_0 long), e.g. minimisers from the bounders. */
  readonly starts?: readonly Float64Array[];
  /**
   * Per start, the sub-box its descent stays in (e.g. a branch-and-bound
   * domain); absent: the whole canonical box. Random restarts always use
   * the whole box.
   */
  readonly startBoxes?: readonly { readonly lower: Float64Array; readonly upper: Float64Array }[];
  /** Stop as soon as a point with objective <= this is found. */
  readonly stopBelow?: number;
}

export interface AttackResult {
  /** Best point found and its objective (min over disjuncts of max over rows); <= 0 means unsafe in float64. */
  readonly x: Float64Array;
  readonly value: number;
  readonly disjunct: number;
}

/**
 * Projected sign-gradient descent on obj(x) from random starts plus given
 * ones, all restarts batched into one forward/backward pass per step.
 * Step sizes are a fraction of each input's range, decaying geometrically.
 */
export async function pgdAttack(box: CanonicalBox, options: AttackOptions = {}): Promise<AttackResult> {
  const net = box.net;
  const n0 = net.inputDim;
  const rows = net.outputDim;
  const rand = mulberry32(options.seed ?? 0);
  const starts = options.starts ?? [];
  const R = Math.max(1, (options.restarts ?? 16) + starts.length);
  const steps = options.steps ?? 50;
  const stopBelow = options.stopBelow ?? -Infinity;
  const { lower, upper } = box;
  // Each point's own box, stacked (R x n0).
  const LO = new Float64Array(R * n0);
  const HI = new Float64Array(R * n0);
  for (let p = 0; p < R; p++) {
    const b = p < starts.length ? options.startBoxes?.[p] : undefined;
    LO.set(b ? b.lower : lower, p * n0);
    HI.set(b ? b.upper : upper, p * n0);
  }

  const X = new Float64Array(R * n0);
  for (let p = 0; p < R; p++) {
    const s = p < starts.length ? starts[p] : undefined;
    for (let i = 0; i < n0; i++) {
      const k = p * n0 + i;
      const v = s ? s[i] : p === starts.length ? 0.5 * (lower[i] + upper[i]) : lower[i] + rand() * (upper[i] - lower[i]);
      X[k] = Math.min(HI[k], Math.max(LO[k], v));
    }
  }

  let best: AttackResult = { x: X.slice(0, n0), value: Infinity, disjunct: 0 };
  const record = (value: Float64Array, disjunct: Int32Array) => {
    for (let p = 0; p < R; p++) {
      if (value[p] < best.value) best = { x: X.slice(p * n0, (p + 1) * n0), value: value[p], disjunct: disjunct[p] };
    }
  };

  const decay = Math.pow(0.01, 1 / Math.max(1, steps - 1));
  let frac = 0.2;
  for (let t = 0; ; t++) {
    const fwd = await forwardBatch(net, X, R);
    const obj = objective(fwd.output, R, rows, box.rowGroup, box.numDisjuncts);
    record(obj.value, obj.disjunct);
    if (t >= steps || best.value <= stopBelow) break;
    if (options.deadline !== undefined && performance.now() > options.deadline) break;
    // Random restarts are targeted: restart p descends on disjunct p mod D
    // only (the untargeted min over disjuncts hops between targets and
    // stalls); given starts follow the currently best disjunct.
    const G = new Float64Array(R * rows);
    for (let p = 0; p < R; p++) {
      const r = p < starts.length ? obj.activeRow[p] : maxRowOf(fwd.output, p, rows, box.rowGroup, (p - starts.length) % box.numDisjuncts);
      G[p * rows + r] = 1;
    }
    const grad = await backwardBatch(net, fwd, G, R);
    for (let p = 0; p < R; p++) {
      for (let i = 0; i < n0; i++) {
        const g = grad[p * n0 + i];
        if (g === 0) continue;
        const k = p * n0 + i;
        const v = X[k] - Math.sign(g) * frac * (HI[k] - LO[k]);
        X[k] = Math.min(HI[k], Math.max(LO[k], v));
      }
    }
    frac *= decay;
  }
  return best;
}
