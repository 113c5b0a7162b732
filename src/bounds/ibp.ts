/**
 * Interval bound propagation (ALGORITHMS.md §2.1), batched over B domains.
 *
 * Per affine layer, centre/radius form: centre' = W·mid + b, radius' = |W|·rad,
 * computed for the whole batch as two products (B x n_{k-1})·(n_{k-1} x n_k)
 * through `matmul`. After each hidden layer the interval is intersected with
 * the batch's inherited pre-activation bounds and split decisions
 * (`applyDomainConstraints`), which also detects infeasible domains.
 *
 * The helpers exported here (`ibpAffine`, `applyDomainConstraints`,
 * `postActivation`, `ibpPass`) are shared with the linear bounders.
 */
import type { AffineLayer, LayeredNet } from '../network/layered.js';
import { absForwardProduct, forwardProduct, weightT } from '../network/linear.js';
import { batchErrorScale } from '../problem/rounding.js';
import type { Bounder, BoundOptions, BoundResult, DomainBatch } from './types.js';

/** W^T (inDim x outDim) of a dense layer, computed once per (immutable) layer and shared with the attacks' forward pass. */
export const layerWT = weightT;

/**
 * Pre-activation interval of `layer` for B stacked input intervals
 * (lo, hi: B x inDim, lo <= hi). Returns B x outDim arrays.
 */
export async function ibpAffine(
  layer: AffineLayer,
  lo: Float64Array,
  hi: Float64Array,
  B: number,
): Promise<{ lower: Float64Array; upper: Float64Array }> {
  const nIn = layer.inDim;
  const nOut = layer.outDim;
  const mid = new Float64Array(B * nIn);
  const rad = new Float64Array(B * nIn);
  for (let i = 0; i < mid.length; i++) {
    const l = lo[i];
    const u = hi[i];
    mid[i] = 0.5 * l + 0.5 * u;
    // max(.,0) guards against l > u by rounding noise on swapped intervals.
    rad[i] = Math.max(0.5 * u - 0.5 * l, 0);
  }
  const [C, Rd] = await Promise.all([forwardProduct(layer, mid, B), absForwardProduct(layer, rad, B)]);
  const lower = new Float64Array(B * nOut);
  const upper = new Float64Array(B * nOut);
  const bias = layer.b;
  for (let b = 0; b < B; b++) {
    const off = b * nOut;
    for (let j = 0; j < nOut; j++) {
      const c = C[off + j] + bias[j];
      const r = Rd[off + j];
      lower[off + j] = c - r;
      upper[off + j] = c + r;
    }
  }
  return { lower, upper };
}

const splitDomainCache = new WeakMap<DomainBatch, Uint8Array>();

/** True when one domain's splits fix some non-identity neuron: only then can the domain be proved empty. */
export function hasSplitConstraints(splits: readonly Int8Array[] | null | undefined, identity: (k: number) => Uint8Array | undefined): boolean {
  if (!splits) return false;
  return splits.some((s, k) => {
    const id = identity(k);
    for (let j = 0; j < s.length; j++) if (s[j] !== 0 && !(id && id[j])) return true;
    return false;
  });
}

/**
 * 1 for the domains of the batch that carry at least one ReLU split on a
 * non-identity neuron: only those can be proved empty (an input box is a
 * box, and rounding alone never makes it empty).
 */
export function splitDomains(batch: DomainBatch, identity: (k: number) => Uint8Array | undefined): Uint8Array {
  let has = splitDomainCache.get(batch);
  if (has) return has;
  const B = batch.size;
  const sp = batch.splits;
  has = Uint8Array.from({ length: B }, (_, b) =>
    hasSplitConstraints(sp?.map((a) => a.subarray((b * a.length) / B, ((b + 1) * a.length) / B)), identity) ? 1 : 0,
  );
  splitDomainCache.set(batch, has);
  return has;
}

/**
 * In place: intersect hidden layer `k`'s pre-activation bounds (B x n) with
 * the batch's inherited bounds and split decisions, then decide emptiness.
 *
 * A domain is marked infeasible only when it carries split constraints and
 * some neuron's lower bound exceeds its upper bound by more than twice the
 * rounding error bound of that neuron (`tol`, from src/problem/rounding.ts):
 * then the exact bounds cross too, so the split constraints contradict each
 * other. Smaller crossings are rounding: the interval becomes [upper, lower]
 * (keeping the split's sign). NaN carries no information: a NaN lower bound
 * becomes -Infinity and a NaN upper bound +Infinity. Identity neurons ignore
 * splits.
 */
export function applyDomainConstraints(
  batch: DomainBatch,
  k: number,
  n: number,
  identity: Uint8Array | undefined,
  lower: Float64Array,
  upper: Float64Array,
  infeasible: Uint8Array,
  tol: Float64Array,
  splitDomain: Uint8Array,
): void {
  const B = batch.size;
  const pl = batch.preLower?.[k];
  const pu = batch.preUpper?.[k];
  const sp = batch.splits?.[k];
  for (let i = 0; i < B * n; i++) {
    if (Number.isNaN(lower[i])) lower[i] = -Infinity;
    if (Number.isNaN(upper[i])) upper[i] = Infinity;
  }
  if (pl) for (let i = 0; i < B * n; i++) if (pl[i] > lower[i]) lower[i] = pl[i];
  if (pu) for (let i = 0; i < B * n; i++) if (pu[i] < upper[i]) upper[i] = pu[i];
  if (sp) {
    for (let b = 0; b < B; b++) {
      const off = b * n;
      for (let j = 0; j < n; j++) {
        const s = sp[off + j];
        if (s === 0 || (identity && identity[j])) continue;
        if (s > 0) {
          if (lower[off + j] < 0) lower[off + j] = 0;
        } else if (upper[off + j] > 0) upper[off + j] = 0;
      }
    }
  }
  for (let b = 0; b < B; b++) {
    if (infeasible[b]) continue;
    const off = b * n;
    for (let j = 0; j < n; j++) {
      const l = lower[off + j];
      const u = upper[off + j];
      if (l > u) {
        if (splitDomain[b] && l - u > 2 * tol[j]) {
          infeasible[b] = 1;
          break;
        }
        // Rounding noise: widen to [u, l], keeping the split's sign constraint.
        const sg = sp && !(identity && identity[j]) ? sp[off + j] : 0;
        lower[off + j] = sg > 0 && u < 0 ? 0 : u;
        upper[off + j] = sg < 0 && l > 0 ? 0 : l;
      }
    }
  }
}

/**
 * What `applyDomainConstraints` needs besides the bounds, once per batch:
 * per hidden layer the rounding tolerances, and which domains carry splits.
 */
export interface EmptinessContext {
  readonly tol: readonly Float64Array[];
  readonly splitDomain: Uint8Array;
}

export function emptinessContext(net: LayeredNet, batch: DomainBatch): EmptinessContext {
  return {
    tol: batchErrorScale(net, batch.lower, batch.upper, batch.size).hidden,
    splitDomain: splitDomains(batch, (k) => net.layers[k].identity),
  };
}

/**
 * Post-activation interval of a hidden layer for B stacked pre-activation
 * intervals: each activation's own interval image (ReLU and identity inline).
 */
export function postActivation(
  lower: Float64Array,
  upper: Float64Array,
  layer: AffineLayer,
): { lower: Float64Array; upper: Float64Array } {
  const n = layer.outDim;
  const lo = new Float64Array(lower.length);
  const hi = new Float64Array(upper.length);
  if (layer.act) {
    const B = lower.length / n;
    const { kinds, groups } = layer.act;
    kinds.forEach((a, t) => {
      const idx = groups[t];
      for (let b = 0; b < B; b++) {
        const off = b * n;
        for (let q = 0; q < idx.length; q++) {
          const i = off + idx[q];
          lo[i] = a.lowerOf(lower[i], upper[i]);
          hi[i] = a.upperOf(lower[i], upper[i]);
        }
      }
    });
    return { lower: lo, upper: hi };
  }
  const identity = layer.identity;
  if (identity) {
    for (let i = 0, j = 0; i < lo.length; i++, j = j + 1 === n ? 0 : j + 1) {
      if (identity[j]) {
        lo[i] = lower[i];
        hi[i] = upper[i];
      } else {
        lo[i] = lower[i] > 0 ? lower[i] : 0;
        hi[i] = upper[i] > 0 ? upper[i] : 0;
      }
    }
  } else {
    for (let i = 0; i < lo.length; i++) {
      lo[i] = lower[i] > 0 ? lower[i] : 0;
      hi[i] = upper[i] > 0 ? upper[i] : 0;
    }
  }
  return { lower: lo, upper: hi };
}

/** Marks domains whose input box is empty (lower > upper). */
export function inputInfeasible(batch: DomainBatch, n0: number): Uint8Array {
  const inf = new Uint8Array(batch.size);
  for (let b = 0; b < batch.size; b++) {
    const off = b * n0;
    for (let j = 0; j < n0; j++) {
      if (batch.lower[off + j] > batch.upper[off + j]) {
        inf[b] = 1;
        break;
      }
    }
  }
  return inf;
}

export interface IbpPassResult {
  /** Per hidden layer, B x n_k pre-activation bounds (intersected with splits and inherited bounds). */
  readonly preLower: Float64Array[];
  readonly preUpper: Float64Array[];
  /** B x m output interval. */
  readonly outLower: Float64Array;
  readonly outUpper: Float64Array;
  /** infeasible[b] = 1 when domain b was proved empty. */
  readonly infeasible: Uint8Array;
}

/** Full IBP pass over the batch. */
export async function ibpPass(net: LayeredNet, batch: DomainBatch): Promise<IbpPassResult> {
  const B = batch.size;
  const infeasible = inputInfeasible(batch, net.inputDim);
  const ctx = emptinessContext(net, batch);
  const preLower: Float64Array[] = [];
  const preUpper: Float64Array[] = [];
  let lo = batch.lower;
  let hi = batch.upper;
  const H = net.layers.length - 1;
  for (let k = 0; k < H; k++) {
    const layer = net.layers[k];
    const { lower, upper } = await ibpAffine(layer, lo, hi, B);
    applyDomainConstraints(batch, k, layer.outDim, layer.identity, lower, upper, infeasible, ctx.tol[k], ctx.splitDomain);
    preLower.push(lower);
    preUpper.push(upper);
    ({ lower: lo, upper: hi } = postActivation(lower, upper, layer));
  }
  const out = await ibpAffine(net.layers[H], lo, hi, B);
  return { preLower, preUpper, outLower: out.lower, outUpper: out.upper, infeasible };
}

/** Interval bound propagation. rowLower = IBP lower bound (+Infinity on infeasible domains). */
export const ibp: Bounder = {
  name: 'ibp',
  async bound(net: LayeredNet, batch: DomainBatch, _options?: BoundOptions): Promise<BoundResult> {
    const r = await ibpPass(net, batch);
    const m = net.outputDim;
    const rowLower = r.outLower;
    for (let b = 0; b < batch.size; b++) if (r.infeasible[b]) rowLower.fill(Infinity, b * m, (b + 1) * m);
    return { rowLower, preLower: r.preLower, preUpper: r.preUpper };
  },
};
