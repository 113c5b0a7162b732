/**
 * Simplex Verify ([Th3] Alg. 1, §3.4.2; ALGORITHMS.md §6.5; issue 16, 2e).
 *
 * Relaxation (3.7) of each hidden ReLU on the shared intermediate bounds:
 *   lower  x >= a·xhat                      (a in [0,1], CROWN's slope to start)
 *   upper  x <= ā·planet(xhat) + (1-ā)·hull(u)   (ā in [0,1], 1 to start)
 * with planet(xhat) = θ(xhat - lhat) and hull(u) = relu(b^u) + V·u
 * (Theorem 2 over the layer input's simplex, see hull.ts). Stable neurons
 * are exact. The backward pass (line 14 of Alg. 1) sends a coefficient
 * λ >= 0 through the lower line and λ < 0 through the upper one; the
 * upper one reaches the layer's input by two routes, W^T (Planet) and V^T
 * (hull): the "two backward passes" of the thesis. Coefficients on layer
 * 0's hull land on the simplex coordinates z of the input set directly;
 * the bound is c + A·x0 + min over z of (A M + g)·z.
 *
 * Valid for every (a, ā) (Prop. 4): the two lines bound x over the whole
 * set. With ā = 1 the pass is Opt-LiRPA Planet's. The weights are
 * optimised by projected Adam; gradients come from evaluating the chosen
 * lines forward at the minimising z (envelope theorem, as in alpha.ts):
 *   dL/da = λ·xhat~ (λ >= 0),   dL/dā = λ·(planet(xhat~) - hull(u~)) (λ < 0).
 * Every iterate is a valid bound and each row keeps its best, so the result
 * is never below the first iterate, CROWN over the set.
 */
import type { LayeredNet } from '../../network/layered.js';
import { backwardProduct, forwardProduct } from '../../network/linear.js';
import { argminLinear, generatorCount, generatorsTimes, minLinear, minOverZ, pointAt } from '../../problem/input-set.js';
import { projectedAdamStep } from '../alpha.js';
import type { Bounder, BoundOptions, BoundResult, DomainBatch } from '../types.js';
import { outputObjective, perDomain, type DomainBound, type SimplexRelaxation } from './context.js';

export interface SimplexVerifyOptions {
  /** Adam iterations (default 10: each costs about two of Opt-LiRPA's). */
  readonly iterations?: number;
  /** Initial steps of the lower and upper weights (defaults 0.3 and 0.3, tuned on random nets against the LP of (3.5)), multiplied by lrDecay (0.98) each iteration. */
  readonly lrLower?: number;
  readonly lrUpper?: number;
  readonly lrDecay?: number;
  /** Starting upper weight ā (default 1: the first iterate is CROWN's bound). */
  readonly upperInit?: number;
  readonly deadline?: number;
}

/** Per hidden layer, R x n_k weights: lower a, upper ā. */
export interface HullWeights {
  readonly low: Float64Array[];
  readonly up: Float64Array[];
}

export interface HullBackward {
  /** Valid lower bound per row. */
  readonly lb: Float64Array;
  /** R x n_0 coefficients on x, R x m on z (undefined when no hull term reached the input), constants. */
  readonly A: Float64Array;
  readonly gz?: Float64Array;
  readonly c: Float64Array;
  /** Per hidden layer, R x n_k coefficients on x_k. */
  readonly lambdas: Float64Array[];
}

/** One evaluation of L(a, ā) for R objective rows Lam·x_{H-1} + c0 (SIMPLEX_BACKWARD). */
export async function hullBackward(net: LayeredNet, ctx: SimplexRelaxation, Lam: Float64Array, c0: Float64Array, w: HullWeights): Promise<HullBackward> {
  const H = net.layers.length - 1;
  const R = c0.length;
  const n0 = net.inputDim;
  const c = Float64Array.from(c0);
  const lambdas: Float64Array[] = new Array(H);
  let L = Lam;
  let gz: Float64Array | undefined;
  for (let k = H - 1; k >= 0; k--) {
    const layer = net.layers[k];
    const n = layer.outDim;
    const rx = ctx.relax[k];
    const hull = ctx.hull[k];
    lambdas[k] = L;
    const low = w.low[k];
    const up = w.up[k];
    const Om = new Float64Array(R * n);
    const G = hull ? new Float64Array(R * hull.inDim) : undefined;
    let usedG = false;
    for (let r = 0; r < R; r++) {
      const off = r * n;
      let acc = 0;
      for (let j = 0; j < n; j++) {
        const i = off + j;
        const lam = L[i];
        let om: number;
        if (lam >= 0) {
          om = lam * (rx.ambiguous[j] ? low[i] : rx.lowSlope[j]);
        } else if (!rx.ambiguous[j] || !hull || up[i] >= 1) {
          om = lam * rx.upSlope[j];
          acc += lam * rx.upIntercept[j];
        } else {
          const a = up[i];
          om = lam * a * rx.upSlope[j];
          acc += lam * a * rx.upIntercept[j];
          const wt = lam * (1 - a);
          acc += wt * hull.base[j];
          const q = hull.rowOf[j];
          const goff = r * hull.inDim;
          for (let p = hull.ptr[q]; p < hull.ptr[q + 1]; p++) (G as Float64Array)[goff + hull.col[p]] += wt * hull.val[p];
          usedG = true;
        }
        Om[i] = om;
        acc += om * layer.b[j];
      }
      c[r] += acc;
    }
    const next = Float64Array.from(await backwardProduct(layer, Om, R));
    if (G && usedG) {
      if (k > 0) for (let i = 0; i < next.length; i++) next[i] += G[i];
      else gz = G;
    }
    L = next;
  }
  const A = L;
  const lb = new Float64Array(R);
  const set = ctx.set;
  for (let r = 0; r < R; r++) {
    const a = A.subarray(r * n0, (r + 1) * n0);
    if (!gz || set.kind === 'box') {
      // No hull term on z: the plain concretisation (and the box's, also valid).
      lb[r] = Math.max(minLinear(set, a, c[r]), minLinear({ kind: 'box', ...ctx.box }, a, c[r]));
      continue;
    }
    let s = c[r];
    for (let i = 0; i < n0; i++) s += a[i] * set.x0[i];
    const h = generatorsTimes(set, a);
    const g = gz.subarray(r * h.length, (r + 1) * h.length);
    for (let j = 0; j < h.length; j++) h[j] += g[j];
    lb[r] = minOverZ(set, h, s);
  }
  return { lb, A, gz, c, lambdas };
}

/**
 * The chosen lines evaluated forward at each row's minimising input, and
 * the gradients of each row's bound with respect to its weights (written
 * into gLow, gUp; zero where a weight has no effect).
 */
async function hullGradients(
  net: LayeredNet,
  ctx: SimplexRelaxation,
  bw: HullBackward,
  w: HullWeights,
  gLow: Float64Array[],
  gUp: Float64Array[],
): Promise<void> {
  const H = net.layers.length - 1;
  const R = bw.c.length;
  const n0 = net.inputDim;
  const set = ctx.set;
  const X = new Float64Array(R * n0);
  let Z: Float64Array | undefined;
  if (set.kind === 'simplex') {
    const m = generatorCount(set);
    Z = new Float64Array(R * m);
    for (let r = 0; r < R; r++) {
      const h = generatorsTimes(set, bw.A.subarray(r * n0, (r + 1) * n0));
      if (bw.gz) for (let j = 0; j < m; j++) h[j] += bw.gz[r * m + j];
      const z = Z.subarray(r * m, (r + 1) * m);
      minOverZ(set, h, 0, z);
      X.set(pointAt(set, z), r * n0);
    }
  } else {
    for (let r = 0; r < R; r++) X.set(argminLinear(set, bw.A.subarray(r * n0, (r + 1) * n0)), r * n0);
  }
  let cur: Float64Array = X;
  for (let k = 0; k < H; k++) {
    const layer = net.layers[k];
    const n = layer.outDim;
    const rx = ctx.relax[k];
    const hull = ctx.hull[k];
    const U = k === 0 ? Z : cur;
    const pre = await forwardProduct(layer, cur, R);
    const y = new Float64Array(R * n);
    const lam = bw.lambdas[k];
    const gl = gLow[k].fill(0);
    const gu = gUp[k].fill(0);
    for (let r = 0; r < R; r++) {
      for (let j = 0; j < n; j++) {
        const i = r * n + j;
        const z = pre[i] + layer.b[j];
        const L = lam[i];
        if (!rx.ambiguous[j]) {
          y[i] = rx.lowSlope[j] * z; // stable: exact either way (slope 1 or 0)
        } else if (L >= 0) {
          gl[i] = L * z;
          y[i] = w.low[k][i] * z;
        } else {
          const pv = rx.upSlope[j] * z + rx.upIntercept[j];
          if (!hull || !U) {
            y[i] = pv;
            continue;
          }
          let hv = hull.base[j];
          const q = hull.rowOf[j];
          const uoff = r * hull.inDim;
          for (let p = hull.ptr[q]; p < hull.ptr[q + 1]; p++) hv += hull.val[p] * U[uoff + hull.col[p]];
          const a = w.up[k][i];
          gu[i] = L * (pv - hv);
          y[i] = a * pv + (1 - a) * hv;
        }
      }
    }
    cur = y;
  }
}

export async function simplexVerifyRows(net: LayeredNet, ctx: SimplexRelaxation, options: SimplexVerifyOptions = {}): Promise<DomainBound> {
  const iterations = Math.max(1, options.iterations ?? 10);
  let lrLow = options.lrLower ?? 0.3;
  let lrUp = options.lrUpper ?? 0.3;
  const decay = options.lrDecay ?? 0.98;
  const deadline = options.deadline ?? Infinity;
  const upInit = Math.min(1, Math.max(0, options.upperInit ?? 1));
  const beta1 = 0.9;
  const beta2 = 0.999;
  const H = net.layers.length - 1;
  const n0 = net.inputDim;
  const { Lam, c0 } = outputObjective(net);
  const R = c0.length;
  const w: HullWeights = { low: [], up: [] };
  const idx: Int32Array[] = [];
  const adam = { mL: [] as Float64Array[], vL: [] as Float64Array[], mU: [] as Float64Array[], vU: [] as Float64Array[] };
  const gLow: Float64Array[] = [];
  const gUp: Float64Array[] = [];
  for (let k = 0; k < H; k++) {
    const { n, lowSlope, ambiguous } = ctx.relax[k];
    const low = new Float64Array(R * n);
    const up = new Float64Array(R * n).fill(1);
    const q: number[] = [];
    for (let r = 0; r < R; r++) {
      low.set(lowSlope, r * n);
      for (let j = 0; j < n; j++) {
        if (!ambiguous[j]) continue;
        q.push(r * n + j);
        if (ctx.hull[k]) up[r * n + j] = upInit;
      }
    }
    w.low.push(low);
    w.up.push(up);
    idx.push(Int32Array.from(q));
    for (const arr of [adam.mL, adam.vL, adam.mU, adam.vU, gLow, gUp]) arr.push(new Float64Array(R * n));
  }
  let best: DomainBound | undefined;
  for (let it = 1; it <= iterations; it++) {
    const bw = await hullBackward(net, ctx, Lam, c0, w);
    if (!best) best = { rowLower: Float64Array.from(bw.lb), A: Float64Array.from(bw.A), c: Float64Array.from(bw.c) };
    for (let r = 0; r < R; r++) {
      if (bw.lb[r] > best.rowLower[r]) {
        best.rowLower[r] = bw.lb[r];
        // A linear bound in x alone exists only when no hull term reached z.
        if (!bw.gz) {
          best.A.set(bw.A.subarray(r * n0, (r + 1) * n0), r * n0);
          best.c[r] = bw.c[r];
        }
      }
    }
    if (it === iterations || H === 0 || performance.now() > deadline) break;
    await hullGradients(net, ctx, bw, w, gLow, gUp);
    const bc1 = 1 - Math.pow(beta1, it);
    const bc2 = 1 - Math.pow(beta2, it);
    for (let k = 0; k < H; k++) {
      projectedAdamStep(w.low[k], gLow[k], adam.mL[k], adam.vL[k], idx[k], lrLow, beta1, beta2, bc1, bc2, 0, 1);
      if (ctx.hull[k]) projectedAdamStep(w.up[k], gUp[k], adam.mU[k], adam.vU[k], idx[k], lrUp, beta1, beta2, bc1, bc2, 0, 1);
    }
    lrLow *= decay;
    lrUp *= decay;
  }
  return best!;
}

export function simplexVerify(options: SimplexVerifyOptions = {}): Bounder {
  return {
    name: 'simplex-verify',
    bound(net: LayeredNet, batch: DomainBatch, bopts?: BoundOptions): Promise<BoundResult> {
      return perDomain(net, batch, 'simplex-verify', (ctx) => simplexVerifyRows(net, ctx, { ...options, deadline: bopts?.deadline ?? options.deadline }));
    },
  };
}
