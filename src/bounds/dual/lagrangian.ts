/**
 * Lagrangian of the Big-M / Anderson relaxation (ALGORITHMS.md §4.1, [Th2]
 * §2.3, A.2-A.4), batched over R dual rows (one per feasible domain and
 * output row, see setup.ts).
 *
 * Indexing (as in crown.ts): net.layers[k] maps x_{k-1} to xhat_k, k = 0..H,
 * with x_{-1} the input; hidden layer k (0..H-1) has post-activation x_k in
 * the box [l_k, u_k] (ReLU: max(lhat, 0), max(uhat, 0); identity neuron:
 * [lhat, uhat]) and binary relaxation variable z_k in [0, 1]. Dual row r
 * minimises xhat_H[o(r)] on domain d(r).
 *
 * Multipliers of hidden layer k (R x n_k arrays):
 *   alpha_k >= 0   for  xhat_k - x_k - nu_k <= 0       (nu = min(uhat, 0) on blocking ReLUs, else 0)
 *   beta0_k >= 0   for  x_k - uhat_k z_k <= 0
 *   beta1_k >= 0   for  x_k - xhat_k + lhat_k (1 - z_k) <= 0
 *   beta_{k,I} >= 0 for x_k - (W_k ⊙ I) x_{k-1} - z_k b_k + rhoL_I (1 - z_k) - rhoU_I z_k <= 0   (masks.ts)
 * Identity neurons (x = xhat exactly) have only alpha, free in sign (an
 * equality), and no beta / z terms. The nu shift makes blocking ReLUs carry
 * xhat <= uhat (the thesis's x >= xhat only gives xhat <= 0), so the Big-M
 * relaxation here is exactly the Planet LP of lp.ts.
 *
 * With xhat_k = W_k x_{k-1} + b_k substituted:
 *   L = C - sum_{k=-1}^{H-1} f_k . x_k - sum_{k=0}^{H-1} g_k . z_k
 *   f_k = alpha_k - beta0_k - beta1_k - sum_I beta_{k,I}
 *         - W_{k+1}^T (alpha_{k+1} - beta1_{k+1}) + sum_I (W_{k+1} ⊙ I)^T beta_{k+1,I}
 *         (alpha_H = e_{o(r)}, no own terms for the input k = -1)
 *   g_k = beta0 uhat + beta1 lhat + sum_I beta_I (rhoU_I + rhoL_I + b_k)
 *   C   = b_H[o] + sum_k [alpha.(b - nu) + beta1.(lhat - b) + sum_I beta_I . rhoL_I]
 * Inner minimisation in closed form: x_k* = u_k where f_k >= 0 else l_k
 * (post-activation bounds), z* = 1[g >= 0], x_{-1}* = argmax over the box of
 * f_{-1}.x. The bound of every iterate is L(x*, z*) (weak duality: valid for
 * any multipliers with the sign constraints, which the projection keeps).
 *
 * Supergradient at (x*, z*), with xw = W_k x*_{k-1} + b_k:
 *   d alpha  = xw - x* - nu
 *   d beta0  = x* - z* uhat
 *   d beta1  = x* - xw + (1 - z*) lhat
 *   d beta_I = x* - (W ⊙ I) x*_{k-1} + rhoL (1 - z*) - z* b - rhoU z*
 *
 * Per evaluation each layer is crossed by ONE product with W_k (backward,
 * for f) and per supergradient by ONE product with W_k^T (forward): the
 * whole R x n batch goes through `matmul`. Masked products are sparse, per
 * dual row (masks.ts).
 */
import type { AffineLayer, LayeredNet } from '../../network/layered.js';
import { weightT } from '../../network/batch.js';
import { matmul } from '../../tensor/matmul.js';
import { backwardPass, relaxLayer } from '../crown.js';
import type { DomainBatch } from '../types.js';
import { adamStepEntries, adamStepRows, type AdamStep } from './adam.js';
import { csrOf, maskedBackward, maskedForward, oracleCut, type Csr, type MaskCut } from './masks.js';
import type { DualSetup } from './setup.js';

/** Starting multipliers: CROWN's (iterate 0 = the CROWN bound) or all zero (iterate 0 = interval bound, [Th2] Alg. 5). */
export type DualInit = 'crown' | 'interval';

interface Hidden {
  readonly layer: AffineLayer;
  readonly n: number;
  readonly nIn: number;
  /** B x n pre- and post-activation bounds. */
  readonly lhat: Float64Array;
  readonly uhat: Float64Array;
  readonly lpost: Float64Array;
  readonly upost: Float64Array;
  /** B x n shift of the alpha constraint (min(uhat, 0) on ReLUs, 0 on identity neurons). */
  readonly nu: Float64Array;
  /** Per neuron: 1 for identity neurons (alpha free, no beta), else undefined / 0. */
  readonly identity?: Uint8Array;
  csr?: Csr;
}

export interface AdamSettings {
  readonly beta1: number;
  readonly beta2: number;
}

/** Multipliers, Adam moments and the last inner minimiser of R dual rows. */
export class AndersonDual {
  readonly R: number;
  readonly H: number;
  readonly hidden: Hidden[];
  readonly alpha: Float64Array[];
  readonly beta0: Float64Array[];
  readonly beta1: Float64Array[];
  /** Active set: masks per hidden layer. */
  readonly cuts: MaskCut[][];
  /** x*[k + 1] = x*_k (R x n_k), k = -1..H-1; z*[k] (R x n_k). */
  readonly xs: Float64Array[];
  readonly zs: Float64Array[];
  /** Bound of the last evaluation, per dual row. */
  readonly bound: Float64Array;
  private readonly mA: Float64Array[];
  private readonly vA: Float64Array[];
  private readonly mB0: Float64Array[];
  private readonly vB0: Float64Array[];
  private readonly mB1: Float64Array[];
  private readonly vB1: Float64Array[];
  private readonly gA: Float64Array[];
  private readonly gB0: Float64Array[];
  private readonly gB1: Float64Array[];
  private steps = 0;
  private evaluated = false;

  constructor(
    readonly net: LayeredNet,
    readonly batch: DomainBatch,
    readonly setup: DualSetup,
  ) {
    const R = setup.R;
    const H = net.layers.length - 1;
    this.R = R;
    this.H = H;
    this.hidden = [];
    for (let k = 0; k < H; k++) {
      const layer = net.layers[k];
      const n = layer.outDim;
      const id = layer.identity;
      const lhat = setup.preLower[k];
      const uhat = setup.preUpper[k];
      const nu = new Float64Array(lhat.length);
      for (let q = 0; q < nu.length; q++) {
        const j = q % n;
        if (!(id && id[j]) && uhat[q] < 0) nu[q] = uhat[q];
      }
      this.hidden.push({
        layer,
        n,
        nIn: layer.inDim,
        lhat,
        uhat,
        lpost: setup.postLower[k],
        upost: setup.postUpper[k],
        nu,
        identity: id && id.some((v) => v !== 0) ? id : undefined,
      });
    }
    const zeros = () => this.hidden.map((h) => new Float64Array(R * h.n));
    this.alpha = zeros();
    this.beta0 = zeros();
    this.beta1 = zeros();
    this.mA = zeros();
    this.vA = zeros();
    this.mB0 = zeros();
    this.vB0 = zeros();
    this.mB1 = zeros();
    this.vB1 = zeros();
    this.gA = zeros();
    this.gB0 = zeros();
    this.gB1 = zeros();
    this.cuts = this.hidden.map(() => []);
    this.xs = [new Float64Array(R * net.inputDim), ...zeros()];
    this.zs = zeros();
    this.bound = new Float64Array(R);
  }

  /**
   * Multipliers equivalent to CROWN's backward pass (adaptive lower slopes)
   * with the setup's intermediate bounds: for a coefficient lambda on x_k,
   * lambda >= 0 uses x >= a xhat (alpha = a lambda, the rest through the box
   * x >= 0), lambda < 0 uses the upper line x <= s (xhat - lhat) = the
   * combination (1 - s) beta0 + s beta1 with weight -lambda (beta0 = -(1-s)
   * lambda, beta1 = -s lambda); identity neurons alpha = lambda. The first
   * iterate then equals the CROWN bound.
   */
  async initFromCrown(): Promise<void> {
    const { net, setup, R, H } = this;
    if (H === 0 || R === 0) return;
    const B = setup.B;
    const relax = this.hidden.map((h) => relaxLayer(h.lhat, h.uhat, B, h.n, h.layer, 'adaptive'));
    const last = net.layers[H];
    const nIn = last.inDim;
    const Lam = new Float64Array(R * nIn);
    const c0 = new Float64Array(R);
    for (let r = 0; r < R; r++) {
      const o = setup.rowOutput[r];
      Lam.set(last.W.subarray(o * nIn, (o + 1) * nIn), r * nIn);
      c0[r] = last.b[o];
    }
    const bw = await backwardPass(net, relax, H - 1, Lam, c0, setup.rowDomain, this.batch.lower, this.batch.upper, {
      keepLambdas: true,
      needA: false,
    });
    for (let k = 0; k < H; k++) {
      const h = this.hidden[k];
      const n = h.n;
      const lam = bw.lambdas![k];
      const rx = relax[k];
      const id = h.layer.identity;
      const al = this.alpha[k];
      const b0 = this.beta0[k];
      const b1 = this.beta1[k];
      for (let r = 0; r < R; r++) {
        const off = r * n;
        const boff = setup.rowDomain[r] * n;
        for (let j = 0; j < n; j++) {
          const L = lam[off + j];
          if (id && id[j]) {
            al[off + j] = L;
          } else if (L >= 0) {
            al[off + j] = rx.lowSlope[boff + j] * L;
          } else {
            const s = rx.upSlope[boff + j];
            b1[off + j] = -s * L;
            b0[off + j] = -(1 - s) * L;
          }
        }
      }
    }
  }

  private csr(k: number): Csr {
    const h = this.hidden[k];
    h.csr ??= csrOf(h.layer);
    return h.csr;
  }

  /**
   * Inner minimisation at the current multipliers: fills x*, z* and returns
   * the bound L(x*, z*) of every dual row (NaN, e.g. from infinite
   * intermediate bounds, becomes -Infinity).
   */
  async evaluate(): Promise<Float64Array> {
    const { net, setup, R, H } = this;
    const rd = setup.rowDomain;
    const bound = this.bound;
    // Constant term: b_H[o] + sum_k alpha.(b - nu) + beta1.(lhat - b) + sum_I beta_I.rhoL.
    const last = net.layers[H];
    for (let r = 0; r < R; r++) bound[r] = last.b[setup.rowOutput[r]];
    for (let k = 0; k <= H; k++) {
      const layer = net.layers[k];
      const nIn = layer.inDim;
      // F = f_{k-1} (coefficient of x_{k-1}), R x nIn.
      let F: Float64Array;
      if (k === H) {
        F = new Float64Array(R * nIn);
        for (let r = 0; r < R; r++) {
          const src = setup.rowOutput[r] * nIn;
          const dst = r * nIn;
          for (let j = 0; j < nIn; j++) F[dst + j] = -last.W[src + j];
        }
      } else {
        const h = this.hidden[k];
        const n = h.n;
        const al = this.alpha[k];
        const b1 = this.beta1[k];
        const P = new Float64Array(R * n);
        for (let i = 0; i < P.length; i++) P[i] = b1[i] - al[i];
        F = await matmul(P, layer.W, R, n, nIn);
        const cuts = this.cuts[k];
        if (cuts.length) {
          const csr = this.csr(k);
          for (const cut of cuts) maskedBackward(cut, csr, cut.beta, R, n, nIn, F, 1);
        }
      }
      if (k >= 1) {
        // Own terms of x_{k-1} (hidden layer k-1), then inner minimisation over [l, u].
        const hk = k - 1;
        const h = this.hidden[hk];
        const n = h.n;
        const al = this.alpha[hk];
        const b0 = this.beta0[hk];
        const b1 = this.beta1[hk];
        for (let i = 0; i < F.length; i++) F[i] += al[i] - b0[i] - b1[i];
        for (const cut of this.cuts[hk]) {
          const be = cut.beta;
          for (let q = 0; q < cut.flat.length; q++) F[cut.flat[q]] -= be[cut.flat[q]];
        }
        const x = this.xs[k];
        const { lpost, upost } = h;
        for (let r = 0; r < R; r++) {
          const off = r * n;
          const boff = rd[r] * n;
          let s = 0;
          for (let j = 0; j < n; j++) {
            const f = F[off + j];
            const v = f >= 0 ? upost[boff + j] : lpost[boff + j];
            x[off + j] = v;
            s -= f * v;
          }
          bound[r] += s;
        }
      } else {
        // Input: x0* = argmax over the box of f . x0.
        const x = this.xs[0];
        const { lower, upper } = this.batch;
        for (let r = 0; r < R; r++) {
          const off = r * nIn;
          const boff = rd[r] * nIn;
          let s = 0;
          for (let j = 0; j < nIn; j++) {
            const f = F[off + j];
            const v = f >= 0 ? upper[boff + j] : lower[boff + j];
            x[off + j] = v;
            s -= f * v;
          }
          bound[r] += s;
        }
      }
    }
    // z terms and constants of every hidden layer.
    for (let k = 0; k < H; k++) {
      const h = this.hidden[k];
      const n = h.n;
      const bias = h.layer.b;
      const { lhat, uhat, nu } = h;
      const al = this.alpha[k];
      const b0 = this.beta0[k];
      const b1 = this.beta1[k];
      const z = this.zs[k];
      const cuts = this.cuts[k];
      // g accumulates into z's buffer first.
      for (let r = 0; r < R; r++) {
        const off = r * n;
        const boff = rd[r] * n;
        let c = 0;
        for (let j = 0; j < n; j++) {
          const i = off + j;
          const bj = boff + j;
          const a = al[i];
          const be1 = b1[i];
          const be0 = b0[i];
          // 0 * (+-Infinity) guard: multipliers that are 0 contribute nothing.
          c += a * (bias[j] - nu[bj]) + (be1 !== 0 ? be1 * (lhat[bj] - bias[j]) : 0);
          z[i] = (be0 !== 0 ? be0 * uhat[bj] : 0) + (be1 !== 0 ? be1 * lhat[bj] : 0);
        }
        bound[r] += c;
      }
      for (const cut of cuts) {
        const { flat, beta, rhoL, rhoU } = cut;
        for (let q = 0; q < flat.length; q++) {
          const i = flat[q];
          const be = beta[i];
          if (be === 0) continue;
          const r = (i / n) | 0;
          z[i] += be * (rhoU[i] + rhoL[i] + bias[i - r * n]);
          bound[r] += be * rhoL[i];
        }
      }
      for (let r = 0; r < R; r++) {
        const off = r * n;
        let s = 0;
        for (let j = 0; j < n; j++) {
          const g = z[off + j];
          if (g >= 0) {
            s -= g;
            z[off + j] = 1;
          } else {
            z[off + j] = 0;
          }
        }
        bound[r] += s;
      }
    }
    for (let r = 0; r < R; r++) if (Number.isNaN(bound[r])) bound[r] = -Infinity;
    this.evaluated = true;
    return bound;
  }

  /** Supergradient at the last inner minimiser (one forward product per hidden layer). */
  async supergradient(): Promise<void> {
    if (!this.evaluated) throw new Error('AndersonDual.supergradient before evaluate');
    const { R, H, setup } = this;
    const rd = setup.rowDomain;
    for (let k = 0; k < H; k++) {
      const h = this.hidden[k];
      const { n, nIn, lhat, uhat, nu } = h;
      const bias = h.layer.b;
      const xPrev = this.xs[k];
      const x = this.xs[k + 1];
      const z = this.zs[k];
      const xw = await matmul(xPrev, weightT(h.layer), R, nIn, n);
      const gA = this.gA[k];
      const gB0 = this.gB0[k];
      const gB1 = this.gB1[k];
      for (let r = 0; r < R; r++) {
        const off = r * n;
        const boff = rd[r] * n;
        for (let j = 0; j < n; j++) {
          const i = off + j;
          const bj = boff + j;
          const w = xw[i] + bias[j];
          const xi = x[i];
          const zi = z[i];
          gA[i] = w - xi - nu[bj];
          gB0[i] = xi - zi * uhat[bj];
          gB1[i] = xi - w + (1 - zi) * lhat[bj];
        }
      }
      const cuts = this.cuts[k];
      if (cuts.length) {
        const csr = this.csr(k);
        for (const cut of cuts) {
          const g = cut.grad;
          maskedForward(cut, csr, xPrev, R, n, nIn, g);
          const { flat, rhoL, rhoU } = cut;
          for (let q = 0; q < flat.length; q++) {
            const i = flat[q];
            const zi = z[i];
            const r = (i / n) | 0;
            g[i] = x[i] - g[i] + rhoL[i] * (1 - zi) - zi * bias[i - r * n] - rhoU[i] * zi;
          }
        }
      }
    }
  }

  /**
   * Per hidden layer, per dual row factor on the step size (undefined: 1).
   * See setCrownStepScale.
   */
  stepScale: (Float64Array | undefined)[] = [];

  /**
   * Step sizes relative to each dual row's scale: per layer and row, the
   * largest |alpha| + beta0 + beta1 of the CROWN-equivalent duals
   * (initFromCrown), so that a row whose spec is scaled by c moves c times
   * faster, and layers whose multipliers are orders of magnitude apart each
   * move at their own scale (Adam's steps are otherwise absolute). Rows
   * with all-zero multipliers keep factor 1. Uses the current
   * multipliers when they are CROWN's (`fromCurrent`).
   */
  async setCrownStepScale(fromCurrent = false): Promise<void> {
    let ref: AndersonDual = this;
    if (!fromCurrent) {
      ref = new AndersonDual(this.net, this.batch, this.setup);
      await ref.initFromCrown();
    }
    const { R } = this;
    this.stepScale = this.hidden.map((h, k) => {
      const n = h.n;
      const sc = new Float64Array(R);
      const a = ref.alpha[k];
      const b0 = ref.beta0[k];
      const b1 = ref.beta1[k];
      for (let r = 0; r < R; r++) {
        let mx = 0;
        for (let j = r * n; j < (r + 1) * n; j++) {
          const t = Math.abs(a[j]) + b0[j] + b1[j];
          if (t > mx) mx = t;
        }
        sc[r] = mx > 0 && Number.isFinite(mx) ? mx : 1;
      }
      return sc;
    });
  }

  /** One projected Adam ascent step of size lr on every multiplier. */
  step(lr: number, adam: AdamSettings): void {
    this.steps++;
    const { beta1, beta2 } = adam;
    const R = this.R;
    const base = { lr, beta1, beta2, bc1: 1 - beta1 ** this.steps, bc2: 1 - beta2 ** this.steps };
    for (let k = 0; k < this.H; k++) {
      const h = this.hidden[k];
      const n = h.n;
      const s: AdamStep = { ...base, rowScale: this.stepScale[k] };
      adamStepRows(this.alpha[k], this.gA[k], this.mA[k], this.vA[k], R, n, s, h.identity);
      adamStepRows(this.beta0[k], this.gB0[k], this.mB0[k], this.vB0[k], R, n, s, undefined, h.identity);
      adamStepRows(this.beta1[k], this.gB1[k], this.mB1[k], this.vB1[k], R, n, s, undefined, h.identity);
      for (const cut of this.cuts[k]) adamStepEntries(cut.beta, cut.grad, cut.m, cut.v, cut.flat, n, s);
    }
  }

  /** Masks held by hidden layer k, counted per (dual row, neuron): the largest count. */
  cutCount(k: number): number {
    const n = this.hidden[k].n;
    const cnt = new Int32Array(this.R * n);
    let mx = 0;
    for (const c of this.cuts[k]) for (const i of c.flat) mx = Math.max(mx, ++cnt[i]);
    return mx;
  }

  /**
   * Calls the separation oracle (masks.ts) at the last inner minimiser for
   * every hidden layer and adds the result, at most maxCuts masks per (dual
   * row, neuron), with zero multipliers (the bound is unchanged). Returns
   * the number of mask sets added.
   */
  addCuts(maxCuts: number): number {
    if (!this.evaluated) throw new Error('AndersonDual.addCuts before evaluate');
    const { R, setup, batch } = this;
    let added = 0;
    for (let k = 0; k < this.H; k++) {
      const h = this.hidden[k];
      const cut = oracleCut({
        csr: this.csr(k),
        R,
        n: h.n,
        nIn: h.nIn,
        rowDomain: setup.rowDomain,
        xPrev: this.xs[k],
        z: this.zs[k],
        lPrev: k === 0 ? batch.lower : setup.postLower[k - 1],
        uPrev: k === 0 ? batch.upper : setup.postUpper[k - 1],
        lhat: h.lhat,
        uhat: h.uhat,
        identity: h.layer.identity,
        existing: this.cuts[k],
        maxPerNeuron: maxCuts,
      });
      if (cut) {
        this.cuts[k].push(cut);
        added++;
      }
    }
    return added;
  }
}

export interface DualLoopOptions {
  /** Big-M iterations (steps) and their linear step-size schedule. */
  readonly bigmIterations: number;
  readonly bigmStepStart: number;
  readonly bigmStepEnd: number;
  /** Active Set iterations after the Big-M ones (0: pure Big-M) and their schedule (not reset when masks are added). */
  readonly activeIterations: number;
  readonly activeStepStart: number;
  readonly activeStepEnd: number;
  /** Phase length: masks are added at the first `cutsPerPhase` iterations of every phase. */
  readonly omega: number;
  readonly cutsPerPhase: number;
  /** Maximum masks per (dual row, neuron). */
  readonly maxCuts: number;
  readonly adam: AdamSettings;
  readonly onIterate?: (iter: number, rowBound: Float64Array) => void;
  /** performance.now() value after which the loop returns its best so far. */
  readonly deadline?: number;
}

export interface DualLoopResult {
  /** Best bound per dual row over all iterates. */
  readonly rowBest: Float64Array;
  /** Iterates evaluated. */
  readonly evaluations: number;
  /** Per hidden layer at the end, the most masks any (dual row, neuron) holds. */
  readonly cuts: number[];
  readonly timedOut: boolean;
}

/**
 * The supergradient loop of [Th2] Alg. 5 / Alg. 6: evaluate (inner
 * minimisation + bound of the current iterate), possibly add masks,
 * supergradient, projected Adam step; bigmIterations steps with an empty
 * active set, then activeIterations steps with masks added in phases. The
 * step size decreases linearly within each stage: lr_t = start + (t+1)/T (end - start).
 * Every iterate's bound goes to onIterate; the best per row is returned.
 */
export async function runDualLoop(state: AndersonDual, o: DualLoopOptions): Promise<DualLoopResult> {
  const R = state.R;
  const rowBest = new Float64Array(R).fill(-Infinity);
  let iter = 0;
  let timedOut = false;
  const record = (b: Float64Array) => {
    for (let r = 0; r < R; r++) if (b[r] > rowBest[r]) rowBest[r] = b[r];
    o.onIterate?.(iter, b);
    iter++;
  };
  const expired = () => o.deadline !== undefined && performance.now() > o.deadline;
  const total = o.bigmIterations + o.activeIterations;
  for (let t = 0; t < total; t++) {
    record(await state.evaluate());
    if (expired()) {
      timedOut = true;
      break;
    }
    let lr: number;
    if (t < o.bigmIterations) {
      lr = o.bigmStepStart + ((t + 1) / o.bigmIterations) * (o.bigmStepEnd - o.bigmStepStart);
    } else {
      const a = t - o.bigmIterations;
      lr = o.activeStepStart + ((a + 1) / o.activeIterations) * (o.activeStepEnd - o.activeStepStart);
      if (a % o.omega < o.cutsPerPhase) state.addCuts(o.maxCuts);
    }
    await state.supergradient();
    state.step(lr, o.adam);
  }
  if (!timedOut) record(await state.evaluate());
  return { rowBest, evaluations: iter, cuts: state.cuts.map((_, k) => state.cutCount(k)), timedOut };
}
