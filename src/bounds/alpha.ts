/**
 * alpha-CROWN / Opt-LiRPA (ALGORITHMS.md §2.5): optimised lower-line slopes
 * for the output rows, with the intermediate bounds of CROWN held fixed.
 *
 * Parametrisation: one alpha per (domain, output row, hidden neuron), i.e.
 * per output-pass row r and neuron j of every hidden layer (R x n_k arrays,
 * R = feasible domains x m). Rows are independent, so every row's bound is
 * maximised on its own.
 *
 * Each iteration: one batched backward pass with the current alphas (keeping
 * Lambda_k, the coefficients on x_k), the concretising input x0* (box corner
 * by the sign of A_r), one batched forward pass of the chosen linear
 * relaxations at x0* giving xhat~_k, and the analytic gradient
 *   dLB_r/dalpha_{k,j} = Lambda_{k,j} * xhat~_{k,j}   (ambiguous, Lambda >= 0; else 0),
 * then an Adam ascent step projected onto [0,1]. Every iterate is a valid
 * bound; the best per row is kept (and at least CROWN's, the first iterate).
 * With a goal (DomainBatch.goal) the rows of a disjunct that a row already
 * closes leave the loop: the open rows' iterates are unchanged.
 */
import type { LayeredNet } from '../network/layered.js';
import { forwardProduct, rowSeconds } from '../network/linear.js';
import { takeRows } from '../tensor/arrays.js';
import { backwardPass, batchRowSlots, crownPass, interleavedBox, restrictRows, slotIndex, type BackwardResult, type CrownOptions, type CrownState, type LayerRelax } from './crown.js';
import type { Bounder, BoundOptions, BoundResult, DomainBatch } from './types.js';

export interface AlphaOptions extends CrownOptions {
  /** Adam iterations (default 20). */
  readonly iterations?: number;
  /** Initial learning rate (default 0.1). */
  readonly lr?: number;
  /** Multiplicative learning-rate decay per iteration (default 0.98). */
  readonly lrDecay?: number;
  readonly beta1?: number;
  readonly beta2?: number;
  /**
   * Iterations and initial learning rate for batches without ReLU splits
   * (input-splitting branch and bound, where alpha is the tight bounder of
   * stratified bounding); absent: `iterations` and `lr` everywhere.
   */
  readonly unsplit?: { readonly iterations: number; readonly lr: number };
}

/**
 * Forward evaluation of the chosen relaxations at x0 (R x n_0) for every row:
 * returns xhat~_k (R x n_k) per hidden layer and the gradient of each row's
 * bound with respect to its alphas (written into `grad`, R x n_k per layer).
 * With `preOut`, xhat~_k itself (the pre-activation of the chosen
 * relaxation at x0) is also written into preOut[k] (R x n_k), e.g. for the
 * split multipliers of beta-CROWN.
 */
export async function relaxedForwardGrad(
  net: LayeredNet,
  x0: Float64Array,
  R: number,
  rowDomain: Int32Array,
  relax: readonly LayerRelax[],
  alpha: Float64Array[],
  lambdas: Float64Array[],
  grad: Float64Array[],
  preOut?: readonly Float64Array[],
): Promise<void> {
  const H = net.layers.length - 1;
  let cur = x0;
  for (let k = 0; k < H; k++) {
    const layer = net.layers[k];
    const n = layer.outDim;
    const pre = await forwardProduct(layer, cur, R);
    const rx = relax[k];
    const { upSlope, upIntercept, lowIntercept, ambiguous } = rx;
    const hasLow = rx.hasLowIntercept;
    const al = alpha[k];
    const lam = lambdas[k];
    const g = grad[k];
    const bias = layer.b;
    const po = preOut?.[k];
    for (let r = 0; r < R; r++) {
      const off = r * n;
      const boff = rowDomain[r] * n;
      for (let j = 0; j < n; j++) {
        const i = off + j;
        const bj = boff + j;
        const z = pre[i] + bias[j];
        if (po) po[i] = z;
        const L = lam[i];
        // Branch-free: f = 1 selects the lower line alpha*z (alpha = lowSlope
        // on non-ambiguous neurons), f = 0 the upper line.
        const f = +(L >= 0);
        g[i] = f * ambiguous[bj] * L * z;
        pre[i] = f * (al[i] * z + (hasLow ? lowIntercept[bj] : 0)) + (1 - f) * (upSlope[bj] * z + upIntercept[bj]);
      }
    }
    cur = pre;
  }
}

/**
 * One Adam ascent step on the entries `idx` of `x` (gradient `g`, moments
 * `m`, `v` updated in place), projected onto [lo, hi]. bc1, bc2: the bias
 * corrections 1 - beta1^t, 1 - beta2^t. Entries whose first moment is 0 stay.
 */
export function projectedAdamStep(
  x: Float64Array,
  g: Float64Array,
  m: Float64Array,
  v: Float64Array,
  idx: Int32Array,
  lr: number,
  beta1: number,
  beta2: number,
  bc1: number,
  bc2: number,
  lo: number,
  hi: number,
): void {
  const eps = 1e-8;
  for (let q = 0; q < idx.length; q++) {
    const i = idx[q];
    const gi = g[i];
    const mi = beta1 * m[i] + (1 - beta1) * gi;
    const vi = beta2 * v[i] + (1 - beta2) * gi * gi;
    m[i] = mi;
    v[i] = vi;
    if (mi === 0) continue;
    let xi = x[i] + (lr * (mi / bc1)) / (Math.sqrt(vi / bc2) + eps);
    if (xi < lo) xi = lo;
    else if (xi > hi) xi = hi;
    x[i] = xi;
  }
}

/**
 * Extra dual parameters optimised jointly with the slopes (beta-CROWN's
 * split multipliers): they supply the backward pass and take their own
 * ascent step from the forward evaluation of the chosen relaxations.
 */
export interface SlopeLoopExtension {
  /**
   * True when there are extra parameters: the loop then runs `warmup` more
   * iterations. Inactive extensions leave the loop exactly alpha-CROWN's.
   */
  readonly active: boolean;
  /**
   * Iterations with the extra parameters held at their initial value before
   * they start moving (alpha alone; with warmup = alpha's iteration count the
   * first `warmup` iterates are alpha-CROWN's, so the result is never worse).
   */
  readonly warmup: number;
  /**
   * Backward pass of the output rows with per-row slopes `rowAlpha`, keeping
   * the lambdas (into `lambdaBuffers` when given). Must equal backwardPass
   * when the extra parameters are at their initial value. `ends`: the
   * batch's interleavedBox, built once by the loop; `argmin` (rows x n0):
   * filled with each row's concretising input (BackwardOptions.argmin);
   * `outA`: BackwardOptions.outA.
   */
  backward(rowAlpha: Float64Array[], lambdaBuffers: Float64Array[] | undefined, rows: OutputRows, ends: Float64Array, argmin: Float64Array, outA: Float64Array): Promise<BackwardResult>;
  /**
   * Ascent step number `it` (1-based, counted from the end of the warmup)
   * given xhat~_k (R x n_k per hidden layer, the chosen relaxation's
   * pre-activations at the concretising input).
   */
  step(pre: readonly Float64Array[], it: number): void;
  /**
   * Per hidden layer, the extra parameters (R x n_k, dense, over the rows still optimised) and the flat
   * indices where they live.
   */
  readonly params: readonly (Float64Array | undefined)[];
  readonly paramIdx: readonly Int32Array[];
  /** Of the current `rows` rows, keep only `keep` (ascending indices), in that order, for the next iterations. */
  compact(keep: Int32Array, rows: number): void;
}

/** The output-pass rows the loop still optimises: each one's domain, objective on x_{H-1} and constant. */
export interface OutputRows {
  readonly rowDomain: Int32Array;
  readonly outLam: Float64Array;
  readonly outC0: Float64Array;
}

/**
 * Flat indices r*n + j (ascending) of an R x n array restricted to the rows `keep`: the new index of each
 * entry whose row is kept, and the positions in `idx` of those entries (for arrays parallel to idx).
 */
export function pickIndices(idx: Int32Array, n: number, keep: Int32Array, R: number): { idx: Int32Array; at: Int32Array } {
  const newRow = new Int32Array(R).fill(-1);
  keep.forEach((r, i) => (newRow[r] = i));
  let cnt = 0;
  for (let q = 0; q < idx.length; q++) cnt += +(newRow[(idx[q] / n) | 0] >= 0);
  const out = new Int32Array(cnt);
  const at = new Int32Array(cnt);
  for (let q = 0, c = 0; q < idx.length; q++) {
    const r = (idx[q] / n) | 0;
    if (newRow[r] < 0) continue;
    out[c] = newRow[r] * n + (idx[q] - r * n);
    at[c++] = q;
  }
  return { idx: out, at };
}

/**
 * Rows of the optimisation that the caller no longer needs (DomainBatch.goal): those of (domain, disjunct)
 * pairs one of whose rows already clears its margin. `slot[r]` is row r's b*m + o; `groups` is the number of
 * disjuncts (1 + the largest rowGroup).
 */
function settledRows(goal: NonNullable<DomainBatch['goal']>, groups: number, best: Float64Array, floor: Float64Array | null, slot: Int32Array, cur: Int32Array, m: number, B: number): Uint8Array {
  const closed = new Uint8Array(B * groups);
  for (let i = 0; i < cur.length; i++) {
    const s = slot[cur[i]];
    const b = (s / m) | 0;
    const o = s - b * m;
    // The reported bound is the better of the row's best iterate and `floor` (IBP's, when clamping).
    const v = floor && floor[s] > best[cur[i]] ? floor[s] : best[cur[i]];
    if (v > goal.margin[o]) closed[b * groups + goal.rowGroup[o]] = 1;
  }
  const settled = new Uint8Array(cur.length);
  for (let i = 0; i < cur.length; i++) {
    const s = slot[cur[i]];
    const b = (s / m) | 0;
    settled[i] = closed[b * groups + goal.rowGroup[s - b * m]];
  }
  return settled;
}

/**
 * The alpha-CROWN loop on a CROWN state (see the file comment): optimises
 * the output rows' lower slopes (and, with `ext`, extra dual parameters)
 * and assembles the bounder's result from the best iterate of every row.
 */
export async function optimiseSlopes(
  net: LayeredNet,
  batch: DomainBatch,
  st: CrownState,
  options: AlphaOptions,
  bopts?: BoundOptions,
  ext?: SlopeLoopExtension,
): Promise<BoundResult> {
  const iterations = (options.iterations ?? 20) + (ext?.active ? ext.warmup : 0);
  const goalGroups = batch.goal ? batch.goal.rowGroup.reduce((g, v) => Math.max(g, v + 1), 0) : 0;
  const lr0 = options.lr ?? 0.1;
  const decay = options.lrDecay ?? 0.98;
  const beta1 = options.beta1 ?? 0.9;
  const beta2 = options.beta2 ?? 0.999;
  const deadline = bopts?.deadline ?? Infinity;
  const H = net.layers.length - 1;
  const m = net.outputDim;
  const n0 = net.inputDim;
  const R = st.outRowDomain.length;
  if (R === 0 || H === 0 || iterations <= 0) return st.result;

  // Rows worth optimising: those whose domain has an ambiguous neuron.
  // (Others are exact given the relaxation: alpha has no effect.)
  let anyAmb = false;
  for (const rx of st.relax) {
    for (let i = 0; i < rx.ambiguous.length && !anyAmb; i++) if (rx.ambiguous[i]) anyAmb = true;
  }
  if (!anyAmb && !ext?.active) return st.result;

  // The loop works on the rows still optimised (`cur`: their indices r in 0..R-1); rows the caller no longer
  // needs (batch.goal) leave it, and the per-row state shrinks with them. Per-row results (best, bestA, ...)
  // stay indexed by r.
  let cur = Int32Array.from({ length: R }, (_, r) => r);
  let rows: OutputRows = { rowDomain: st.outRowDomain, outLam: st.outLam, outC0: st.outC0 };
  const rowDomain = st.outRowDomain;
  let alpha: Float64Array[] = [];
  let mAdam: Float64Array[] = [];
  let vAdam: Float64Array[] = [];
  let ambIdx: Int32Array[] = [];
  const slot = batchRowSlots(st, m);
  for (let k = 0; k < H; k++) {
    const n = net.layers[k].outDim;
    const a = takeRows(st.relax[k].lowSlope, n, rowDomain);
    alpha.push(a);
    // Flat indices r*n + j of ambiguous (row, neuron) pairs: only these move.
    const amb = st.relax[k].ambiguous;
    let cnt = 0;
    for (let r = 0; r < R; r++) {
      const boff = rowDomain[r] * n;
      for (let j = 0; j < n; j++) cnt += amb[boff + j];
    }
    const idx = new Int32Array(cnt);
    for (let r = 0, q = 0; r < R; r++) {
      const boff = rowDomain[r] * n;
      for (let j = 0; j < n; j++) if (amb[boff + j]) idx[q++] = r * n + j;
    }
    ambIdx.push(idx);
    // Warm start: a parent's slopes, projected onto [0, 1].
    const warm = batch.warmStart?.[k];
    if (warm) {
      for (const i of idx) {
        const w = warm[slotIndex(slot, n, i)];
        if (w === w) a[i] = w < 0 ? 0 : w > 1 ? 1 : w;
      }
    }
    mAdam.push(new Float64Array(R * n));
    vAdam.push(new Float64Array(R * n));
  }
  // Estimated seconds of one row's iteration (a backward and a forward pass) and of copying one row's state
  // (about eight arrays of every hidden layer's width, allocation and collection counted three times over).
  const rowIterS = 2 * rowSeconds(net);
  const rowCopyS = 3 * 8 * 1e-9 * net.layers.reduce((w, l) => w + l.outDim, n0);
  const newLayerArrays = (rows: number) => Array.from({ length: H }, (_, k) => new Float64Array(rows * net.layers[k].outDim));
  let grad = newLayerArrays(R);
  let pre: Float64Array[] | undefined = ext?.active ? newLayerArrays(R) : undefined;

  // The parameters of each row's best iterate; the first is CROWN's (its own slopes, no extra parameters).
  const certify = batch.certify === true;
  const clamp = options.clampWithIbp ?? true;
  const bestAlpha = (certify ? st.relax : []).map((rx, k) => takeRows(rx.lowSlope, net.layers[k].outDim, rowDomain));
  const bestExt = certify ? ext?.params.map((p) => (p ? new Float64Array(p.length) : undefined)) : undefined;
  // Where the extra parameters live among all R rows (ext.paramIdx shrinks with the rows).
  const paramIdx0 = ext?.paramIdx.slice();
  const best = Float64Array.from(st.outLinear.lb);
  const bestA = Float64Array.from(st.outLinear.A);
  const bestC = Float64Array.from(st.outLinear.c);
  // The last iterate's parameters per (domain, row) slot, for warm starts; written as rows leave the loop.
  const B = batch.size;
  const dual = alpha.map((_, k) => new Float32Array(B * m * net.layers[k].outDim).fill(NaN));
  const keepDual = (rows: Int32Array) => {
    const sel = new Uint8Array(cur.length);
    for (const i of rows) sel[i] = 1;
    for (let k = 0; k < H; k++) {
      const n = net.layers[k].outDim;
      for (const i of rows) dual[k].set(alpha[k].subarray(i * n, (i + 1) * n), slot[cur[i]] * n);
      const p = ext?.params[k];
      if (!p) continue;
      for (const i of ext!.paramIdx[k]) {
        const q = (i / n) | 0;
        if (sel[q]) dual[k][slot[cur[q]] * n + (i - q * n)] = p[i];
      }
    }
  };
  const { lower: inL, upper: inU } = batch;
  let x0: Float64Array = new Float64Array(R * n0);
  // The backward passes' input coefficients, written into the same buffer every iteration (their best rows are
  // copied out before the next): a fresh R x n0 array per pass was about 3% of alpha-beta-CROWN's time on MNIST.
  let Abuf = new Float64Array(R * n0);
  const ends = interleavedBox(inL, inU);
  let lr = lr0;
  let lambdaBuffers: Float64Array[] | undefined;
  // The extra parameters' first step follows the evaluation of iterate `extFirst`.
  const extFirst = Math.max(1, ext?.warmup ?? 0);
  for (let it = 1; it <= iterations; it++) {
    if (performance.now() > deadline) break;
    const bw = ext
      ? await ext.backward(alpha, lambdaBuffers, rows, ends, x0, Abuf)
      : await backwardPass(net, st.relax, H - 1, rows.outLam, rows.outC0, rows.rowDomain, inL, inU, {
          rowAlpha: alpha,
          keepLambdas: true,
          lambdaBuffers,
          ends,
          argmin: x0,
          outA: Abuf,
        });
    lambdaBuffers = bw.lambdas;
    for (let i = 0; i < cur.length; i++) {
      const r = cur[i];
      if (bw.lb[i] > best[r]) {
        best[r] = bw.lb[i];
        bestC[r] = bw.c[i];
        bestA.set(bw.A.subarray(i * n0, (i + 1) * n0), r * n0);
        for (let k = 0; k < bestAlpha.length; k++) {
          const n = net.layers[k].outDim;
          bestAlpha[k].set(alpha[k].subarray(i * n, (i + 1) * n), r * n);
          const p = ext?.params[k];
          if (p) bestExt![k]!.set(p.subarray(i * n, (i + 1) * n), r * n);
        }
      }
    }
    if (it === iterations) break; // the last step's update would never be evaluated
    let lambdas = bw.lambdas!;
    if (batch.goal) {
      const settled = settledRows(batch.goal, goalGroups, best, clamp ? st.ibpOut : null, slot, cur, m, B);
      let gone = 0;
      for (const v of settled) gone += v;
      // Shrinking copies every kept row's state: worth it when the passes it saves cost more. On ACAS Xu (6
      // iterations, 50-neuron layers) shrinking whenever an eighth of the rows had settled made alpha slower.
      const kept = cur.length - gone;
      if (gone > 0 && (kept === 0 || gone * (iterations - it) * rowIterS >= kept * rowCopyS)) {
        const keep = Int32Array.from(cur.keys()).filter((i) => !settled[i]);
        keepDual(Int32Array.from(cur.keys()).filter((i) => settled[i] === 1));
        if (keep.length === 0) {
          cur = keep;
          break;
        }
        const layerPick = (arrs: Float64Array[]) => arrs.map((a, k) => takeRows(a, net.layers[k].outDim, keep));
        alpha = layerPick(alpha);
        mAdam = layerPick(mAdam);
        vAdam = layerPick(vAdam);
        ambIdx = ambIdx.map((idx, k) => pickIndices(idx, net.layers[k].outDim, keep, cur.length).idx);
        lambdas = layerPick(lambdas);
        lambdaBuffers = lambdas;
        rows = {
          rowDomain: Int32Array.from(keep, (i) => rows.rowDomain[i]),
          outLam: takeRows(rows.outLam, rows.outLam.length / cur.length, keep),
          outC0: takeRows(rows.outC0, 1, keep),
        };
        ext?.compact(keep, cur.length);
        cur = Int32Array.from(keep, (i) => cur[i]);
        grad = newLayerArrays(cur.length);
        if (pre) pre = newLayerArrays(cur.length);
        x0 = takeRows(x0, n0, keep);
        Abuf = new Float64Array(keep.length * n0);
      }
    }
    // x0 holds each row's concretising input x0*, written by the backward pass.
    const Rc = cur.length;
    await relaxedForwardGrad(net, x0, Rc, rows.rowDomain, st.relax, alpha, lambdas, grad, pre);
    // Adam ascent step, projected onto [0,1].
    const bc1 = 1 - Math.pow(beta1, it);
    const bc2 = 1 - Math.pow(beta2, it);
    for (let k = 0; k < H; k++) projectedAdamStep(alpha[k], grad[k], mAdam[k], vAdam[k], ambIdx[k], lr, beta1, beta2, bc1, bc2, 0, 1);
    if (ext && pre && it >= extFirst) ext.step(pre, it - extFirst + 1);
    lr *= decay;
  }
  keepDual(Int32Array.from(cur.keys()));

  // Rows left out of the loop (restrictRows) keep CROWN's result.
  const bestDual = !certify ? undefined : bestAlpha.map((a, k) => {
    const n = net.layers[k].outDim;
    const out = new Float64Array(B * m * n).fill(NaN);
    for (let r = 0; r < R; r++) out.set(a.subarray(r * n, (r + 1) * n), slot[r] * n);
    const p = bestExt?.[k];
    if (p && paramIdx0) {
      for (const i of paramIdx0[k]) out[slotIndex(slot, n, i)] = p[i];
    }
    return out;
  });
  const rowLower = new Float64Array(st.result.rowLower);
  const Aout = new Float64Array(st.result.linear!.A);
  const cOut = new Float64Array(st.result.linear!.c);
  for (let r = 0; r < R; r++) {
    const i = slot[r];
    Aout.set(bestA.subarray(r * n0, (r + 1) * n0), i * n0);
    const v = best[r];
    const ib = st.ibpOut[i];
    rowLower[i] = clamp && ib > v ? ib : v;
    cOut[i] = bestC[r];
  }
  return { rowLower, preLower: st.result.preLower, preUpper: st.result.preUpper, linear: { A: Aout, c: cOut }, dual, bestDual };
}

/** alpha-CROWN bounder. */
export function alphaCrown(options: AlphaOptions = {}): Bounder {
  return {
    name: 'alpha',
    async bound(net: LayeredNet, batch: DomainBatch, bopts?: BoundOptions): Promise<BoundResult> {
      const st = restrictRows(await crownPass(net, batch, options), batch, net.outputDim);
      return optimiseSlopes(net, batch, st, options.unsplit && !batch.splits ? { ...options, ...options.unsplit } : options, bopts);
    },
  };
}
