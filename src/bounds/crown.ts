/**
 * Backward linear bound propagation (CROWN / DeepPoly / KW dual network,
 * ALGORITHMS.md §2.3-2.4), batched over B domains.
 *
 * Indexing: hidden layer k (0-based) is the output of `net.layers[k]`,
 * k = 0..H-1 with H = layers.length - 1; x_k is its post-activation, xhat_k
 * its pre-activation. Rows of a backward pass belong to domains through
 * `rowDomain` (row r uses domain rowDomain[r]'s relaxation and input box).
 *
 * Batching: the coefficient matrices of all rows of all domains are stacked
 * (R x n_k), the relaxation is applied elementwise with each row's domain
 * slopes, and each layer is crossed by ONE product (R x n_k)·(n_k x n_{k-1})
 * through `matmul`.
 *
 * Intermediate bounds (thesis A.5): layer by layer; for hidden layer i >= 1,
 * the bounds are first the tightest of IBP (computed from the already
 * tightened layer i-1), inherited bounds and split constraints; then, for
 * every neuron still ambiguous (and not an identity neuron), two rows
 * (+W_i[j], -W_i[j]) are propagated backward through layers i-1..0 and the
 * resulting linear bounds intersected in. Layer 0's IBP bounds are exact.
 */
import { activationsOf, type AffineLayer, type LayerActivation, type LayeredNet } from '../network/layered.js';
import type { RelaxLines } from '../network/activations/activation.js';
import { backwardProduct, layerSeconds, weightRow } from '../network/linear.js';
import { takeRows } from '../tensor/arrays.js';
import { applyDomainConstraints, emptinessContext, ibpAffine, inputInfeasible, postActivation } from './ibp.js';
import type { Bounder, BoundOptions, BoundResult, DomainBatch, LayerRowSlopes } from './types.js';

/** Lower-line slope of ambiguous ReLUs: adaptive CROWN rule, alpha = s (KW / Fast-Lin), or alpha = 0. */
export type SlopeRule = 'adaptive' | 'kw' | 'zero';

/** Linear relaxation of one hidden layer for B domains (all arrays B x n). */
export interface LayerRelax {
  readonly n: number;
  /** Pre-activation bounds the relaxation was built from. */
  readonly lower: Float64Array;
  readonly upper: Float64Array;
  /** x >= lowSlope * xhat + lowIntercept (used when the coefficient on x is >= 0). */
  readonly lowSlope: Float64Array;
  /** Zero on ReLU and identity neurons. */
  readonly lowIntercept: Float64Array;
  /** False when every lowIntercept is zero (ReLU/identity layers): the backward pass skips the term. */
  readonly hasLowIntercept: boolean;
  /** x <= upSlope * xhat + upIntercept (used when the coefficient is < 0). */
  readonly upSlope: Float64Array;
  readonly upIntercept: Float64Array;
  /**
   * 1 for ambiguous ReLUs (lower < 0 < upper): the neurons whose lower slope
   * alpha-CROWN may move anywhere in [0, 1]. Other activations keep their lines.
   */
  readonly ambiguous: Uint8Array;
}

const scratchLines: RelaxLines = { lowSlope: 0, lowIntercept: 0, upSlope: 0, upIntercept: 0 };

/**
 * Relaxation of a hidden layer from its pre-activation bounds: ReLU inline
 * (identity and passing neurons exact (slope 1), blocking exact (0),
 * ambiguous: upper line s(xhat - lhat) with s = uhat/(uhat - lhat), lower
 * line alpha·xhat with alpha from `rule`); every other activation's lines
 * come from its own `relax`.
 */
export function relaxLayer(
  lower: Float64Array,
  upper: Float64Array,
  B: number,
  n: number,
  layer: AffineLayer,
  rule: SlopeRule,
): LayerRelax {
  const N = B * n;
  const lowSlope = new Float64Array(N);
  const lowIntercept = new Float64Array(N);
  const upSlope = new Float64Array(N);
  const upIntercept = new Float64Array(N);
  const ambiguous = new Uint8Array(N);
  const act = layer.act;
  const identity = layer.identity;
  const general = act ? Uint8Array.from(act.kindOf, (t) => (act.kinds[t].piecewiseLinear ? 0 : 1)) : undefined;
  for (let b = 0; b < B; b++) {
    const off = b * n;
    for (let j = 0; j < n; j++) {
      const i = off + j;
      const l = lower[i];
      const u = upper[i];
      if (general && general[j]) {
        const lines = scratchLines;
        (act as LayerActivation).kinds[(act as LayerActivation).kindOf[j]].relax(l, u, lines);
        lowSlope[i] = lines.lowSlope;
        lowIntercept[i] = lines.lowIntercept;
        upSlope[i] = lines.upSlope;
        upIntercept[i] = lines.upIntercept;
      } else if ((identity && identity[j]) || l >= 0) {
        lowSlope[i] = 1;
        upSlope[i] = 1;
      } else if (u <= 0) {
        // all zero
      } else if (!Number.isFinite(l) || !Number.isFinite(u)) {
        // Unbounded (NaN bounds become infinite): the chord degenerates to the constant u.
        upIntercept[i] = u;
      } else {
        const s = u / (u - l);
        upSlope[i] = s;
        upIntercept[i] = -s * l;
        ambiguous[i] = 1;
        lowSlope[i] = rule === 'adaptive' ? (u >= -l ? 1 : 0) : rule === 'kw' ? s : 0;
      }
    }
  }
  return { n, lower, upper, lowSlope, lowIntercept, hasLowIntercept: general !== undefined, upSlope, upIntercept, ambiguous };
}

/** 1 for the neurons of a hidden layer whose relaxation loses something on [lower, upper] (B x n). */
export function unstableNeurons(lower: Float64Array, upper: Float64Array, n: number, layer: AffineLayer): Uint8Array {
  const out = new Uint8Array(lower.length);
  const { kinds, kindOf } = activationsOf(layer);
  for (let i = 0, j = 0; i < out.length; i++, j = j + 1 === n ? 0 : j + 1) {
    out[i] = kinds[kindOf[j]].isLinearOn(lower[i], upper[i]) ? 0 : 1;
  }
  return out;
}

/**
 * lb[r] = c[r] + min over domain rowDomain[r]'s box of A_r·x (§1.5); `ends` is the boxes' interleavedBox. With
 * `argmin` (R x n0), also the minimisers.
 */
export function concretize(
  A: Float64Array,
  c: Float64Array,
  R: number,
  n0: number,
  rowDomain: Int32Array,
  ends: Float64Array,
  out?: Float64Array,
  argmin?: Float64Array,
): Float64Array {
  const lb = out ?? new Float64Array(R);
  if (argmin) {
    // The same sums, and each row's minimiser (the end every coefficient picks) written as they are formed: the
    // alpha loop's forward pass starts from it, and picking the ends again cost as much as the sum. A loop of its
    // own: one loop with the store behind an `if (argmin)` made the plain sums (CROWN's intermediate bounds) 15%
    // slower (936 x 784, 1.35 -> 1.56 ms).
    for (let r = 0; r < R; r++) {
      const off = r * n0;
      const boff = 2 * rowDomain[r] * n0;
      let s = c[r];
      for (let j = 0; j < n0; j++) {
        const a = A[off + j];
        const e = ends[boff + 2 * j + +(a < 0)];
        argmin[off + j] = e;
        s += a * e;
      }
      lb[r] = s;
    }
    return lb;
  }
  for (let r = 0; r < R; r++) {
    const off = r * n0;
    const boff = 2 * rowDomain[r] * n0;
    let s = c[r];
    for (let j = 0; j < n0; j++) {
      const a = A[off + j];
      s += a * ends[boff + 2 * j + +(a < 0)];
    }
    lb[r] = s;
  }
  return lb;
}

/**
 * lower[i], upper[i] side by side: the end a coefficient a picks is
 * ends[2i + (a < 0)], an index instead of a branch on the sign of a, which
 * is data-dependent and mispredicts (same products, same sums).
 */
export function interleavedBox(lower: Float64Array, upper: Float64Array): Float64Array {
  const ends = new Float64Array(2 * lower.length);
  for (let i = 0; i < lower.length; i++) {
    ends[2 * i] = lower[i];
    ends[2 * i + 1] = upper[i];
  }
  return ends;
}

export interface BackwardOptions {
  /**
   * Per hidden layer, R x n_k lower slopes per row, used instead of
   * relax[k].lowSlope (alpha-CROWN). Entries may be undefined to use the
   * relaxation's slopes. Used on every neuron: on non-ambiguous neurons they
   * must equal the relaxation's lowSlope (1 on identity neurons is required
   * for soundness; any value in [0,1] is sound on stable ReLUs).
   */
  readonly rowAlpha?: readonly (Float64Array | undefined)[];
  /** Keep lambdas[k] = R x n_k coefficients on x_k (before the relaxation). */
  readonly keepLambdas?: boolean;
  /** With keepLambdas: preallocated R x n_k buffers to write the lambdas into (reused across calls). */
  readonly lambdaBuffers?: readonly Float64Array[];
  /** Return the input coefficients A (default true); false leaves A empty. */
  readonly needA?: boolean;
  /**
   * Per hidden layer, R x n_k amounts subtracted from each row's coefficient
   * on xhat_k after the relaxation (beta-CROWN's split multipliers times the
   * split signs); entries may be undefined.
   */
  readonly omegaShift?: readonly (Float64Array | undefined)[];
  /** interleavedBox(inLower, inUpper), when the caller passes the same boxes many times (the alpha loop). */
  readonly ends?: Float64Array;
  /** R x n0: filled with each row's minimiser over its box (concretize's argmin). */
  readonly argmin?: Float64Array;
  /** R x n0: where to write A (reused across calls, e.g. by the alpha loop; a fresh array when absent). */
  readonly outA?: Float64Array;
}

/**
 * Rows are processed in chunks of about this many doubles per coefficient
 * matrix: fresh large typed arrays are expensive (page faults, zeroing), and
 * chunks keep every temporary a few MiB at most while products stay large
 * enough for onnxruntime.
 */
export const CHUNK_ELEMS = 1 << 18;

export interface BackwardResult {
  /** R x n_0 coefficients on the input: bound_r(x) = A_r·x + c_r (empty when needA = false). */
  readonly A: Float64Array;
  readonly c: Float64Array;
  /** R concretised lower bounds over each row's input box. */
  readonly lb: Float64Array;
  /** With keepLambdas: lambdas[k] for k <= from (undefined above `from`). */
  readonly lambdas?: Float64Array[];
}

/**
 * Om = Lambda through the relaxation, row by row: lower line where lambda >= 0
 * (slope from `low`), upper line otherwise, and c[r] += the intercepts and
 * bias terms. `low` is indexed by the row when lowPerRow != 0 (per-row
 * alphas, R x n) and by the row's domain when 0 (B x n). `shift` (R x n,
 * optional) is subtracted from Om before the bias term is taken.
 * Branch-free on the sign of lambda: the signs are data-dependent and
 * branches on them mispredict.
 */
function relaxRows(
  L: Float64Array,
  Om: Float64Array,
  c: Float64Array,
  R: number,
  n: number,
  rowDomain: Int32Array,
  low: Float64Array,
  lowPerRow: number,
  upSlope: Float64Array,
  upIntercept: Float64Array,
  lowIntercept: Float64Array | null,
  bias: Float64Array,
  shift?: Float64Array,
): void {
  if (lowIntercept) {
    // Lower lines with intercepts (sigmoid, tanh, sign, ...): their term, then the plain pass below adds the rest.
    for (let r = 0; r < R; r++) {
      const off = r * n;
      const boff = rowDomain[r] * n;
      let acc = 0;
      for (let j = 0; j < n; j++) {
        const lam = L[off + j];
        acc += +(lam >= 0) * lam * lowIntercept[boff + j];
      }
      c[r] += acc;
    }
  }
  for (let r = 0; r < R; r++) {
    const off = r * n;
    const boff = rowDomain[r] * n;
    const loff = lowPerRow ? off : boff;
    let acc = 0;
    for (let j = 0; j < n; j++) {
      const lam = L[off + j];
      const bj = boff + j;
      const pos = +(lam >= 0) * lam;
      const neg = lam - pos;
      let om = pos * low[loff + j] + neg * upSlope[bj];
      if (shift) om -= shift[off + j];
      acc += neg * upIntercept[bj] + om * bias[j];
      Om[off + j] = om;
    }
    c[r] += acc;
  }
}

/**
 * Backward pass: given, for R rows, a linear objective `Lam_r·x_from + c0_r`
 * on the post-activation of hidden layer `from` (from = -1: on the input),
 * returns linear lower bounds in the input, valid on each row's domain given
 * the relaxations `relax[0..from]`, and their concretisation over the box.
 *
 * To bound C·xhat_i (pre-activation of layer i, or the output for
 * i = H): pass Lam = C·W_i, c0 = C·b_i, from = i - 1.
 *
 * `Lam` is not modified.
 */
export async function backwardPass(
  net: LayeredNet,
  relax: readonly LayerRelax[],
  from: number,
  Lam: Float64Array,
  c0: Float64Array,
  rowDomain: Int32Array,
  inLower: Float64Array,
  inUpper: Float64Array,
  options: BackwardOptions = {},
): Promise<BackwardResult> {
  const R = rowDomain.length;
  const n0 = net.inputDim;
  const nFrom = from >= 0 ? net.layers[from].outDim : n0;
  let maxW = n0;
  for (let k = 0; k <= from; k++) maxW = Math.max(maxW, net.layers[k].outDim);
  const chunk = Math.max(64, Math.floor(CHUNK_ELEMS / maxW));
  const needA = options.needA ?? true;
  const c = Float64Array.from(c0);
  const lb = new Float64Array(R);
  const A = needA && options.outA?.length === R * n0 ? options.outA : new Float64Array(needA ? R * n0 : 0);
  let lambdas: Float64Array[] | undefined;
  if (options.keepLambdas) {
    lambdas = [];
    for (let k = 0; k <= from; k++) {
      const buf = options.lambdaBuffers?.[k];
      lambdas[k] = buf && buf.length === R * net.layers[k].outDim ? buf : new Float64Array(R * net.layers[k].outDim);
    }
  }
  const scratch = new Float64Array(Math.min(R, chunk) * maxW);
  // Once per pass, not per chunk: it spans every domain of the batch (48 x 3072 x 2 on oval21, more than
  // a chunk's concretisation itself).
  const ends = options.ends ?? interleavedBox(inLower, inUpper);
  for (let r0 = 0; r0 < R; r0 += chunk) {
    const r1 = Math.min(R, r0 + chunk);
    const rc = r1 - r0;
    const cc = c.subarray(r0, r1);
    const rd = rowDomain.subarray(r0, r1);
    let L = Lam.subarray(r0 * nFrom, r1 * nFrom);
    for (let k = from; k >= 0; k--) {
      const layer = net.layers[k];
      const n = layer.outDim;
      const rx = relax[k];
      if (lambdas) lambdas[k].set(L, r0 * n);
      const alpha = options.rowAlpha?.[k]?.subarray(r0 * n, r1 * n);
      const Om = scratch.subarray(0, rc * n);
      const shift = options.omegaShift?.[k]?.subarray(r0 * n, r1 * n);
      relaxRows(L, Om, cc, rc, n, rd, alpha ?? rx.lowSlope, alpha ? 1 : 0, rx.upSlope, rx.upIntercept, rx.hasLowIntercept ? rx.lowIntercept : null, layer.b, shift);
      L = await backwardProduct(layer, Om, rc);
    }
    concretize(L, cc, rc, n0, rd, ends, lb.subarray(r0, r1), options.argmin?.subarray(r0 * n0, r1 * n0));
    if (needA) A.set(L, r0 * n0);
  }
  return { A, c, lb, lambdas };
}

export interface CrownOptions {
  /** Lower-line rule for the output rows' backward pass. Default 'adaptive'. */
  readonly lowerSlope?: SlopeRule;
  /** Lower-line rule for intermediate bounds. Default: same as lowerSlope. */
  readonly intermediateSlope?: SlopeRule;
  /**
   * Compute intermediate bounds by backward passes (default true). false:
   * intermediate bounds are IBP (+ inherited + splits) only, and only the
   * output rows are propagated backward (much cheaper, looser).
   */
  readonly intermediateLinear?: boolean;
  /**
   * Intersect intermediate bounds of layers >= 1 with IBP (default true).
   * false keeps only the linear bounds (plus inherited bounds and splits) on
   * ReLU neurons: looser, and only for reproducing reference numbers (e.g.
   * KW with KW intermediate bounds); every ReLU neuron is then propagated.
   */
  readonly intermediateIbp?: boolean;
  /**
   * Report per output row the max of the linear bound and the IBP bound
   * computed from the tightest intermediate bounds (default true), so that
   * CROWN is never worse than IBP. `linear` always holds the linear bound.
   */
  readonly clampWithIbp?: boolean;
}

/** Everything a CROWN pass computed, for reuse by tighter bounders. */
export interface CrownState {
  /** The bounder's result (rowLower clamped with IBP unless disabled). */
  readonly result: BoundResult;
  /** Per hidden layer relaxation built from the final (tightest) pre-activation bounds. */
  readonly relax: LayerRelax[];
  readonly infeasible: Uint8Array;
  /** Indices of feasible domains, in order; output row r of the pass = (feasible[r / m], r % m). */
  readonly feasible: Int32Array;
  /** rowDomain of the output pass (length feasible.length * m). */
  readonly outRowDomain: Int32Array;
  /** Output-pass objective on x_{H-1}: W_H replicated per feasible domain, and c0 = b_H. */
  readonly outLam: Float64Array;
  readonly outC0: Float64Array;
  /** Linear (unclamped) lower bounds of the output pass, per output-pass row. */
  readonly outLinear: BackwardResult;
  /** B x m IBP lower bound of the output from the tightest intermediate bounds. */
  readonly ibpOut: Float64Array;
  /**
   * When the output-pass arrays above hold only some rows (restrictRows):
   * each one's index in the full pass, row q*m + o = (feasible[q], output o).
   */
  readonly outRows?: Int32Array;
}

/** For each output-pass row of `st`, its (domain, output) slot b*m + o in the batch's B x m arrays. */
export function batchRowSlots(st: CrownState, m: number): Int32Array {
  const R = st.outRowDomain.length;
  const slot = new Int32Array(R);
  for (let r = 0; r < R; r++) {
    const full = st.outRows ? st.outRows[r] : r;
    const q = (full / m) | 0;
    slot[r] = st.feasible[q] * m + (full - q * m);
  }
  return slot;
}

/** Where entry i = r*n + j of an output-pass R x n array lives in the batch's B x m x n layout. */
export function slotIndex(slot: Int32Array, n: number, i: number): number {
  const r = (i / n) | 0;
  return slot[r] * n + (i - r * n);
}

/**
 * The state with its output pass cut down to the rows the batch marks active
 * (DomainBatch.activeRows), for the bounders that iterate on them; `result`
 * keeps CROWN's bounds of every row. Returns `st` itself when all are active.
 */
export function restrictRows(st: CrownState, batch: DomainBatch, m: number): CrownState {
  const active = batch.activeRows;
  const full = st.outRowDomain.length;
  if (!active) return st;
  const slot = batchRowSlots(st, m);
  const keep: number[] = [];
  for (let r = 0; r < full; r++) if (active[slot[r]]) keep.push(r);
  if (keep.length === full) return st;
  const rows = Int32Array.from(keep);
  const nIn = st.outLam.length / Math.max(1, full);
  const n0 = st.outLinear.A.length / Math.max(1, full);
  const pick = (a: Float64Array) => takeRows(a, 1, rows);
  return {
    ...st,
    outRowDomain: Int32Array.from(rows, (r) => st.outRowDomain[r]),
    outLam: takeRows(st.outLam, nIn, rows),
    outC0: pick(st.outC0),
    outLinear: { A: takeRows(st.outLinear.A, n0, rows), c: pick(st.outLinear.c), lb: pick(st.outLinear.lb) },
    outRows: rows,
  };
}

/**
 * Seconds of backward passes one layer's intermediate bounds may take. Far
 * above what ACAS Xu, MNIST or OVAL networks need per batch; on networks of
 * tens of thousands of neurons (materialised transposed convolutions) a full
 * pass would take hours, and the widest neurons come first.
 */
export const INTERMEDIATE_BUDGET_S = 8;

/** The targets whose two backward rows fit the budget, widest intervals first when not all fit. */
function withinBudget(net: LayeredNet, i: number, targets: Int32Array, lower: Float64Array, upper: Float64Array): Int32Array {
  let perRow = 0;
  for (let k = 0; k < i; k++) perRow += layerSeconds(net.layers[k]);
  const fit = Math.floor(INTERMEDIATE_BUDGET_S / Math.max(2 * perRow, 1e-12));
  if (targets.length <= fit) return targets;
  const order = Array.from(targets).sort((a, b) => upper[b] - lower[b] - (upper[a] - lower[a]));
  return Int32Array.from(order.slice(0, fit)).sort();
}

/**
 * Per-row lower slopes of the rows bounding `targets` (b*n + j, two rows
 * each): the shared slopes (DomainBatch.intermediateSlopes) on neurons
 * ambiguous in the row's domain, the relaxation's own slopes everywhere
 * else (exact on stable and identity neurons, and where none is shared).
 */
function sharedRowSlopes(shared: LayerRowSlopes, relax: readonly LayerRelax[], targets: Int32Array, n: number, rowDomain: Int32Array): Float64Array[] {
  const rows = rowDomain.length;
  return relax.map((rx, q) => {
    const nq = rx.n;
    const src = shared.slopes[q];
    const out = new Float64Array(rows * nq);
    for (let r = 0; r < rows; r++) {
      const boff = rowDomain[r] * nq;
      out.set(rx.lowSlope.subarray(boff, boff + nq), r * nq);
    }
    if (!src) return out;
    for (let t = 0; t < targets.length; t++) {
      const s0 = shared.rowOf[targets[t] % n];
      if (s0 < 0) continue;
      for (let side = 0; side < 2; side++) {
        const r = 2 * t + side;
        const boff = rowDomain[r] * nq;
        const soff = (s0 + side) * nq;
        for (let j = 0; j < nq; j++) {
          if (!rx.ambiguous[boff + j]) continue;
          const a = src[soff + j];
          // NaN (no slope) keeps the relaxation's; any value in [0, 1] is valid.
          if (a >= 0 && a <= 1) out[r * nq + j] = a;
        }
      }
    }
    return out;
  });
}

/**
 * Tightest intermediate bounds and relaxations for every hidden layer
 * (IBP ∩ inherited ∩ splits ∩ linear bounds), layer by layer.
 */
export async function intermediateBounds(
  net: LayeredNet,
  batch: DomainBatch,
  rule: SlopeRule,
  linear = true,
  useIbp = true,
): Promise<{ relax: LayerRelax[]; infeasible: Uint8Array; postLower: Float64Array; postUpper: Float64Array }> {
  const B = batch.size;
  const n0 = net.inputDim;
  const infeasible = inputInfeasible(batch, n0);
  const ctx = emptinessContext(net, batch);
  const relax: LayerRelax[] = [];
  let lo = batch.lower;
  let ends: Float64Array | undefined;
  let hi = batch.upper;
  const H = net.layers.length - 1;
  for (let i = 0; i < H; i++) {
    const layer = net.layers[i];
    const n = layer.outDim;
    const nIn = layer.inDim;
    const id = layer.identity;
    const linearOn = layer.act ? activationsOf(layer) : undefined;
    // ReLU layers inline (the hot path of ACAS Xu and MNIST); others ask each neuron's activation.
    const unstable = linearOn
      ? (l: number, u: number, j: number) => !linearOn.kinds[linearOn.kindOf[j]].isLinearOn(l, u)
      : (l: number, u: number, j: number) => l < 0 && u > 0 && !(id && id[j]);
    const { lower, upper } = await ibpAffine(layer, lo, hi, B);
    if (!useIbp && linear && i >= 1) {
      // Reference mode: forget IBP on ReLU neurons, keep only the linear bounds.
      for (let b = 0; b < B; b++) {
        for (let j = 0; j < n; j++) {
          if (id && id[j]) continue;
          lower[b * n + j] = -Infinity;
          upper[b * n + j] = Infinity;
        }
      }
    }
    applyDomainConstraints(batch, i, n, id, lower, upper, infeasible, ctx.tol[i], ctx.splitDomain);
    if (linear && i >= 1) {
      // Rows: two per ambiguous non-identity neuron of each feasible domain.
      // Domains whose bounds on this layer are already the parent's skip it.
      const fresh = batch.freshFrom;
      let R = 0;
      for (let b = 0; b < B; b++) {
        if (infeasible[b] || (fresh && i < fresh[b])) continue;
        const off = b * n;
        for (let j = 0; j < n; j++) if (unstable(lower[off + j], upper[off + j], j)) R += 2;
      }
      if (R > 0) {
        // Targets (b*n + j), built and propagated in chunks of row pairs.
        let targets: Int32Array = new Int32Array(R >> 1);
        for (let b = 0, q = 0; b < B; b++) {
          if (infeasible[b] || (fresh && i < fresh[b])) continue;
          const off = b * n;
          for (let j = 0; j < n; j++) if (unstable(lower[off + j], upper[off + j], j)) targets[q++] = off + j;
        }
        targets = withinBudget(net, i, targets, lower, upper);
        let maxW = net.inputDim;
        for (let k = 0; k < i; k++) maxW = Math.max(maxW, net.layers[k].outDim);
        const pairs = Math.max(32, Math.floor(CHUNK_ELEMS / (2 * maxW)));
        const LamBuf = new Float64Array(Math.min(targets.length, pairs) * 2 * nIn);
        for (let q0 = 0; q0 < targets.length; q0 += pairs) {
          const q1 = Math.min(targets.length, q0 + pairs);
          const rows = 2 * (q1 - q0);
          const Lam = LamBuf.subarray(0, rows * nIn);
          const c0 = new Float64Array(rows);
          const rowDomain = new Int32Array(rows);
          for (let q = q0, r = 0; q < q1; q++, r += 2) {
            const t = targets[q];
            const b = (t / n) | 0;
            const j = t - b * n;
            const d0 = r * nIn;
            weightRow(layer, j, Lam.subarray(d0, d0 + nIn));
            weightRow(layer, j, Lam.subarray(d0 + nIn, d0 + 2 * nIn), -1);
            c0[r] = layer.b[j];
            c0[r + 1] = -layer.b[j];
            rowDomain[r] = b;
            rowDomain[r + 1] = b;
          }
          const shared = batch.intermediateSlopes?.[i];
          const rowAlpha = shared ? sharedRowSlopes(shared, relax, targets.subarray(q0, q1), n, rowDomain) : undefined;
          // The batch's boxes interleaved once for all chunks of all layers (per chunk it cost more than the chunk's
          // concretisation: 3 of 58 s on cifar_base).
          ends ??= interleavedBox(batch.lower, batch.upper);
          const bw = await backwardPass(net, relax, i - 1, Lam, c0, rowDomain, batch.lower, batch.upper, { needA: false, rowAlpha, ends });
          const lb = bw.lb;
          for (let q = q0, r = 0; q < q1; q++, r += 2) {
            const t = targets[q];
            const l = lb[r];
            const u = -lb[r + 1];
            if (l > lower[t]) lower[t] = l;
            if (u < upper[t]) upper[t] = u;
          }
        }
        // Re-check emptiness (linear bounds may prove a split domain empty).
        applyDomainConstraints(batch, i, n, id, lower, upper, infeasible, ctx.tol[i], ctx.splitDomain);
      }
    }
    relax.push(relaxLayer(lower, upper, B, n, layer, rule));
    ({ lower: lo, upper: hi } = postActivation(lower, upper, layer));
  }
  return { relax, infeasible, postLower: lo, postUpper: hi };
}

/**
 * Full CROWN pass: intermediate bounds, then the output rows of every
 * feasible domain in one backward pass. Lower-level entry point for alpha.
 */
export async function crownPass(net: LayeredNet, batch: DomainBatch, options: CrownOptions = {}): Promise<CrownState> {
  const rule = options.lowerSlope ?? 'adaptive';
  const interRule = options.intermediateSlope ?? rule;
  const B = batch.size;
  const n0 = net.inputDim;
  const m = net.outputDim;
  const H = net.layers.length - 1;
  const last = net.layers[H];
  const inter = await intermediateBounds(
    net,
    batch,
    interRule,
    options.intermediateLinear ?? true,
    options.intermediateIbp ?? true,
  );
  const { infeasible } = inter;
  // The output pass may use a different lower-slope rule than the intermediate one.
  const relax =
    rule === interRule
      ? inter.relax
      : inter.relax.map((rx, k) => relaxLayer(rx.lower, rx.upper, B, rx.n, net.layers[k], rule));
  const ibpOut = (await ibpAffine(last, inter.postLower, inter.postUpper, B)).lower;

  let nf = 0;
  for (let b = 0; b < B; b++) if (!infeasible[b]) nf++;
  const feasible = new Int32Array(nf);
  for (let b = 0, q = 0; b < B; b++) if (!infeasible[b]) feasible[q++] = b;
  const R = nf * m;
  const nIn = last.inDim;
  const outLam = new Float64Array(R * nIn);
  const outC0 = new Float64Array(R);
  const outRowDomain = new Int32Array(R);
  for (let q = 0; q < nf; q++) {
    outLam.set(last.W, q * m * nIn);
    outC0.set(last.b, q * m);
    outRowDomain.fill(feasible[q], q * m, (q + 1) * m);
  }
  const outLinear = await backwardPass(net, relax, H - 1, outLam, outC0, outRowDomain, batch.lower, batch.upper);

  const clamp = options.clampWithIbp ?? true;
  const rowLower = new Float64Array(B * m).fill(Infinity);
  const A = new Float64Array(B * m * n0);
  const c = new Float64Array(B * m).fill(Infinity);
  for (let q = 0; q < nf; q++) {
    const b = feasible[q];
    A.set(outLinear.A.subarray(q * m * n0, (q + 1) * m * n0), b * m * n0);
    for (let o = 0; o < m; o++) {
      const lb = outLinear.lb[q * m + o];
      const ib = ibpOut[b * m + o];
      rowLower[b * m + o] = clamp && ib > lb ? ib : lb;
      c[b * m + o] = outLinear.c[q * m + o];
    }
  }
  const result: BoundResult = {
    rowLower,
    preLower: inter.relax.map((r) => r.lower),
    preUpper: inter.relax.map((r) => r.upper),
    linear: { A, c },
  };
  return { result, relax, infeasible, feasible, outRowDomain, outLam, outC0, outLinear, ibpOut };
}

/** CROWN bounder (adaptive lower slopes by default). */
export function crown(options: CrownOptions = {}): Bounder {
  const rule = options.lowerSlope ?? 'adaptive';
  return {
    name: rule === 'adaptive' ? 'crown' : `crown-${rule}`,
    async bound(net: LayeredNet, batch: DomainBatch, _options?: BoundOptions): Promise<BoundResult> {
      return (await crownPass(net, batch, options)).result;
    },
  };
}
