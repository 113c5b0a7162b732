/**
 * Layered Lagrangian decomposition of the Planet relaxation (ALGORITHMS.md
 * §4.4, [LD]), batched over R dual rows (setup.ts), and the block-coordinate
 * Frank-Wolfe solver of its proximal problems (BDD+, used by bddplus.ts).
 *
 * Indexing (as in crown.ts): net.layers[k] maps x_{k-1} to xhat_k, k = 0..H,
 * x_{-1} the input; hidden layer k = 0..H-1. Blocks b = 0..H:
 *   block 0        P_0 = { x_{-1} in the input box, a_0 = W_0 x_{-1} + b_0 }
 *   block k+1      P_{k+1} = { xhat^B_k in [lhat_k, uhat_k], x_k in S_k(xhat^B_k),
 *                              a_{k+1} = W_{k+1} x_k + b_{k+1} }   (k = 0..H-1)
 * where S_k is per neuron the Planet triangle (ambiguous ReLU), x = xhat
 * (passing ReLU, lhat >= 0, or identity neuron for any sign of the bounds) or
 * x = 0 (blocking ReLU, uhat <= 0), and the last block's a_H is the
 * objective row xhat_H[o(r)] itself. The coupling constraints
 * xhat^B_k = a_k (k = 0..H-1) get free multipliers rho_k (R x n_k):
 *
 *   q(rho) = min_P  a_H + sum_k rho_k . (xhat^B_k - a_k)
 *          = b_H[o] - sum_k rho_k . b_k
 *            + min_{box} (-rho_0 W_0) . x_{-1}
 *            + sum_k sum_j min_{S_kj} ( rho_kj xhat + c_kj x ),
 *   c_k = -(rho_{k+1} W_{k+1})   (k < H-1),   c_{H-1} = W_H[o].
 *
 * Per neuron (p = rho_kj, c = c_kj): ambiguous min(p lhat, 0, (p+c) uhat)
 * over the triangle's vertices (lhat,0), (0,0), (uhat,uhat); passing
 * min((p+c) lhat, (p+c) uhat); blocking min(p lhat, p uhat). q(rho) is a
 * valid lower bound for every rho (weak duality) and equals the Planet LP at
 * the optimum. Its supergradient is xhat^B* - a* at the minimisers.
 *
 * Proximal step (BDD+) with proximal weights eta_k (per layer and dual row;
 * the [LD] slides' and [Th2] convention, "eta 1 -> 50" on MNIST):
 * rho^{t+1} = argmax_rho q(rho) - sum_k (eta_k/2) ||rho_k - rho^t_k||^2. Its
 * primal is the smooth problem
 *   min_{x in P}  L(x, rho^t) + sum_k 1/(2 eta_k) ||r_k(x)||^2,  r_k = xhat^B_k - a_k,
 * with rho^{t+1} = rho^t + r(x*) / eta. (ALGORITHMS.md §4.4 writes the weight
 * as 1/eta; only the naming differs.) Block-coordinate Frank-Wolfe: the
 * gradient with respect to a block is its Lagrangian cost at rho(x) =
 * rho^t + r(x)/eta, so the linear minimisation oracle is the closed-form
 * block minimisation above at rho(x); the line search along d = v - x is
 * exact: gamma = clip(-g . d / sum_k ||Delta r_k||^2 / eta_k, 0, 1), per row.
 *
 * Batching: every product with W_k is ONE `matmul` of the R x n_k stacked
 * rows, every product with W_k^T ONE `matmul` with `weightT`.
 */
import type { AffineLayer, LayeredNet } from '../../network/layered.js';
import { weightT } from '../../network/batch.js';
import { matmul } from '../../tensor/matmul.js';
import { backwardPass, relaxLayer } from '../crown.js';
import type { DomainBatch } from '../types.js';
import type { DualSetup } from './setup.js';

/** Neuron kinds per (domain, neuron). */
const AMBIGUOUS = 0;
const PASSING = 1;
const BLOCKING = 2;

interface Hidden {
  readonly layer: AffineLayer;
  readonly n: number;
  /** B x n pre-activation bounds. */
  readonly lhat: Float64Array;
  readonly uhat: Float64Array;
  /** B x n neuron kinds (AMBIGUOUS / PASSING / BLOCKING). */
  readonly kind: Uint8Array;
}

/** Starting multipliers: CROWN's backward pass (q(rho^0) >= the CROWN bound) or zero (q = interval bound of the last layer). */
export type DecompositionInit = 'crown' | 'zero';

/**
 * First primal iterate of the Frank-Wolfe solver: the block minimisers at
 * rho^0 ('vertex'), or a forward pass of the network at block 0's minimiser
 * ('forward', zero residuals where the intermediate bounds hold).
 */
export type PrimalInit = 'vertex' | 'forward';

/**
 * Multipliers and the Frank-Wolfe primal iterate of R dual rows of the
 * layered Planet decomposition.
 */
export class PlanetDecomposition {
  readonly R: number;
  readonly H: number;
  readonly hidden: Hidden[];
  /** rho[k]: R x n_k multipliers of xhat^B_k = a_k. */
  readonly rho: Float64Array[];
  /** Primal: input point (R x n_in), xhat^B_k and x_k (R x n_k), a_k (R x n_k). */
  readonly xin: Float64Array;
  readonly xh: Float64Array[];
  readonly xp: Float64Array[];
  readonly a: Float64Array[];
  /** R x n_{H-1} objective rows W_H[o(r)] (coefficient of x_{H-1}); R x n_in when H = 0. */
  private readonly objRows: Float64Array;
  private readonly objBias: Float64Array;
  private readonly rhoX: Float64Array[];
  private readonly vh: Float64Array[];
  private readonly vp: Float64Array[];
  private readonly vin: Float64Array;
  private readonly gamma: Float64Array;
  private readonly gdir: Float64Array;
  private readonly curv: Float64Array;
  private primalReady = false;

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
      const kind = new Uint8Array(lhat.length);
      for (let q = 0, j = 0; q < kind.length; q++, j = j + 1 === n ? 0 : j + 1) {
        if ((id && id[j]) || lhat[q] >= 0) kind[q] = PASSING;
        else if (uhat[q] <= 0) kind[q] = BLOCKING;
        else kind[q] = AMBIGUOUS;
      }
      this.hidden.push({ layer, n, lhat, uhat, kind });
    }
    const zeros = () => this.hidden.map((h) => new Float64Array(R * h.n));
    this.rho = zeros();
    this.xh = zeros();
    this.xp = zeros();
    this.a = zeros();
    this.rhoX = zeros();
    this.vh = zeros();
    this.vp = zeros();
    const nIn = net.inputDim;
    this.xin = new Float64Array(R * nIn);
    this.vin = new Float64Array(R * nIn);
    const last = net.layers[H];
    const nl = last.inDim;
    this.objRows = new Float64Array(R * nl);
    this.objBias = new Float64Array(R);
    for (let r = 0; r < R; r++) {
      const o = setup.rowOutput[r];
      this.objRows.set(last.W.subarray(o * nl, (o + 1) * nl), r * nl);
      this.objBias[r] = last.b[o];
    }
    this.gamma = new Float64Array(R);
    this.gdir = new Float64Array(R);
    this.curv = new Float64Array(R);
  }

  /**
   * rho = -Omega of CROWN's backward pass (adaptive lower slopes) with the
   * setup's intermediate bounds: then every hidden block's cost
   * -Omega_k xhat + Lambda_k x is bounded below on S_k by CROWN's linear
   * relaxation, so q(rho) >= the (unclamped) CROWN bound.
   */
  async initFromCrown(): Promise<void> {
    const { net, setup, R, H } = this;
    if (H === 0 || R === 0) return;
    const relax = this.hidden.map((h) => relaxLayer(h.lhat, h.uhat, setup.B, h.n, h.layer, 'adaptive'));
    const bw = await backwardPass(net, relax, H - 1, this.objRows, this.objBias, setup.rowDomain, this.batch.lower, this.batch.upper, {
      keepLambdas: true,
      needA: false,
    });
    for (let k = 0; k < H; k++) {
      const n = this.hidden[k].n;
      const lam = bw.lambdas![k];
      const rx = relax[k];
      const rho = this.rho[k];
      for (let r = 0; r < R; r++) {
        const off = r * n;
        const boff = setup.rowDomain[r] * n;
        for (let j = 0; j < n; j++) {
          const L = lam[off + j];
          rho[off + j] = -(L >= 0 ? rx.lowSlope[boff + j] : rx.upSlope[boff + j]) * L;
        }
      }
    }
  }

  /**
   * Units of the proximal weight per hidden layer and dual row:
   * ||uhat_k - lhat_k|| / ||rho_k|| at the current multipliers (residuals
   * are in activation units, multipliers in objective-per-activation units),
   * so that eta = (dimensionless weight) x unit does not depend on how the
   * network scales its activations and outputs. 'network' uses the norms
   * over all hidden layers together. A layer with zero width or zero
   * multipliers falls back to the network unit, and that to 1.
   */
  etaUnits(mode: 'layer' | 'network'): Float64Array[] {
    const { R, H, setup } = this;
    const out = this.hidden.map(() => new Float64Array(R));
    const lw = new Float64Array(H);
    const lp = new Float64Array(H);
    for (let r = 0; r < R; r++) {
      let w2 = 0;
      let p2 = 0;
      for (let k = 0; k < H; k++) {
        const { n, lhat, uhat } = this.hidden[k];
        const rho = this.rho[k];
        const off = r * n;
        const boff = setup.rowDomain[r] * n;
        let sw = 0;
        let sp = 0;
        for (let j = 0; j < n; j++) {
          const w = uhat[boff + j] - lhat[boff + j];
          sw += w * w;
          sp += rho[off + j] * rho[off + j];
        }
        lw[k] = sw;
        lp[k] = sp;
        w2 += sw;
        p2 += sp;
      }
      const whole = unitOf(w2, p2) ?? 1;
      for (let k = 0; k < H; k++) out[k][r] = mode === 'layer' ? (unitOf(lw[k], lp[k]) ?? whole) : whole;
    }
    return out;
  }

  /** Cost of x_{-1} in block 0: -(rho0 W_0) (one product). */
  private async inputCost(rho0: Float64Array): Promise<Float64Array> {
    const l0 = this.net.layers[0];
    const C = await matmul(rho0, l0.W, this.R, l0.outDim, l0.inDim);
    for (let i = 0; i < C.length; i++) C[i] = -C[i];
    return C;
  }

  /** Cost c_k of x_k in block k+1: -(rho_{k+1} W_{k+1}) (one product), or the objective rows for k = H-1. */
  private async hiddenCost(k: number, rhoNext: Float64Array | undefined): Promise<Float64Array> {
    if (k === this.H - 1) return this.objRows;
    const L = this.net.layers[k + 1];
    const C = await matmul(rhoNext!, L.W, this.R, L.outDim, L.inDim);
    for (let i = 0; i < C.length; i++) C[i] = -C[i];
    return C;
  }

  /** Box minimiser of C . x per row into v; adds the values to val (when given). */
  private inputLmo(C: Float64Array, v: Float64Array, val?: Float64Array): void {
    const nIn = this.net.inputDim;
    const { lower, upper } = this.batch;
    const rd = this.setup.rowDomain;
    for (let r = 0; r < this.R; r++) {
      const off = r * nIn;
      const boff = rd[r] * nIn;
      let s = 0;
      for (let j = 0; j < nIn; j++) {
        const c = C[off + j];
        const x = c >= 0 ? lower[boff + j] : upper[boff + j];
        v[off + j] = x;
        s += c * x;
      }
      if (val) val[r] += s;
    }
  }

  /** Minimiser of P . xhat + C . x over block k+1's neuron sets into (vh, vp); adds the values to val (when given). */
  private hiddenLmo(k: number, P: Float64Array, C: Float64Array, vh: Float64Array, vp: Float64Array, val?: Float64Array): void {
    const { n, lhat, uhat, kind } = this.hidden[k];
    const rd = this.setup.rowDomain;
    for (let r = 0; r < this.R; r++) {
      const off = r * n;
      const boff = rd[r] * n;
      let s = 0;
      for (let j = 0; j < n; j++) {
        const i = off + j;
        const bj = boff + j;
        const p = P[i];
        const q = p + C[i];
        const l = lhat[bj];
        const u = uhat[bj];
        const kd = kind[bj];
        let h: number;
        let x: number;
        let f: number;
        if (kd === AMBIGUOUS) {
          const fl = p * l;
          const fu = q * u;
          if (fl <= fu) {
            if (fl < 0) {
              h = l;
              x = 0;
              f = fl;
            } else {
              h = 0;
              x = 0;
              f = 0;
            }
          } else if (fu < 0) {
            h = u;
            x = u;
            f = fu;
          } else {
            h = 0;
            x = 0;
            f = 0;
          }
        } else if (kd === PASSING) {
          h = q >= 0 ? l : u;
          x = h;
          f = q * h;
        } else {
          h = p >= 0 ? l : u;
          x = 0;
          f = p * h;
        }
        vh[i] = h;
        vp[i] = x;
        s += f;
      }
      if (val) val[r] += s;
    }
  }

  /**
   * q(rho) per dual row (NaN, e.g. from infinite bounds, becomes -Infinity),
   * by the closed-form block minimisations at the current multipliers. With
   * `fillPrimal`, the primal iterate is (re)set from the block minimisers
   * (see PrimalInit). One product with W_k per layer (plus one with W_k^T
   * per layer when filling the primal).
   */
  async evaluate(fillPrimal: PrimalInit | false = false): Promise<Float64Array> {
    const { R, H, net } = this;
    const val = Float64Array.from(this.objBias);
    if (H === 0) {
      this.inputLmo(this.objRows, this.vin, val);
      if (fillPrimal) this.xin.set(this.vin);
      this.primalReady = fillPrimal !== false;
      return nanToMinusInf(val);
    }
    for (let k = 0; k < H; k++) {
      const n = this.hidden[k].n;
      const rho = this.rho[k];
      const b = net.layers[k].b;
      for (let r = 0; r < R; r++) {
        const off = r * n;
        let s = 0;
        for (let j = 0; j < n; j++) s += rho[off + j] * b[j];
        val[r] -= s;
      }
    }
    this.inputLmo(await this.inputCost(this.rho[0]), this.vin, val);
    for (let k = 0; k < H; k++) {
      const C = await this.hiddenCost(k, this.rho[k + 1]);
      this.hiddenLmo(k, this.rho[k], C, this.vh[k], this.vp[k], val);
    }
    if (fillPrimal === 'vertex') {
      this.xin.set(this.vin);
      for (let k = 0; k < H; k++) {
        this.xh[k].set(this.vh[k]);
        this.xp[k].set(this.vp[k]);
        this.a[k] = await this.affine(k, k === 0 ? this.xin : this.xp[k - 1]);
      }
      this.primalReady = true;
    } else if (fillPrimal === 'forward') {
      await this.forwardPrimal(this.vin);
    }
    return nanToMinusInf(val);
  }

  /**
   * Primal iterate from a network forward pass at the input points xin
   * (R x n_in): a_k = W_k x_{k-1} + b_k, xhat^B_k = a_k clamped into
   * [lhat_k, uhat_k], x_k = its activation (in S_k). The residuals are zero
   * wherever the intermediate bounds hold at the point, so the first
   * proximal problem starts next to the constraint set's coupled part.
   */
  async forwardPrimal(xin: Float64Array): Promise<void> {
    const { R, H } = this;
    const rd = this.setup.rowDomain;
    if (xin !== this.xin) this.xin.set(xin);
    for (let k = 0; k < H; k++) {
      const { n, lhat, uhat, kind } = this.hidden[k];
      const a = await this.affine(k, k === 0 ? this.xin : this.xp[k - 1]);
      this.a[k] = a;
      const xh = this.xh[k];
      const xp = this.xp[k];
      for (let r = 0; r < R; r++) {
        const off = r * n;
        const boff = rd[r] * n;
        for (let j = 0; j < n; j++) {
          const i = off + j;
          const bj = boff + j;
          let h = a[i];
          if (h < lhat[bj]) h = lhat[bj];
          if (h > uhat[bj]) h = uhat[bj];
          xh[i] = h;
          const kd = kind[bj];
          xp[i] = kd === PASSING ? h : kd === BLOCKING ? 0 : h > 0 ? h : 0;
        }
      }
    }
    this.primalReady = true;
  }

  /** W_k x + b_k for R stacked inputs (one product with W_k^T). */
  private async affine(k: number, x: Float64Array): Promise<Float64Array> {
    const L = this.net.layers[k];
    const out = await matmul(x, weightT(L), this.R, L.inDim, L.outDim);
    const n = L.outDim;
    const b = L.b;
    for (let r = 0; r < this.R; r++) {
      const off = r * n;
      for (let j = 0; j < n; j++) out[off + j] += b[j];
    }
    return out;
  }

  /** rhoX[k] = rho_k + (xhat^B_k - a_k) / eta, per row. */
  private rhoAtPrimal(k: number, invEta: Float64Array): Float64Array {
    const out = this.rhoX[k];
    const rho = this.rho[k];
    const xh = this.xh[k];
    const a = this.a[k];
    const n = this.hidden[k].n;
    for (let r = 0; r < this.R; r++) {
      const s = invEta[r];
      for (let i = r * n, e = i + n; i < e; i++) out[i] = rho[i] + s * (xh[i] - a[i]);
    }
    return out;
  }

  /** gamma[r] = clip(-g[r] / curv[r], 0, 1) (exact line search of the quadratic). */
  private lineSearch(): void {
    const { gamma, gdir, curv } = this;
    for (let r = 0; r < this.R; r++) {
      const g = gdir[r];
      let t = 0;
      if (g < 0) {
        t = curv[r] > 0 ? -g / curv[r] : 1;
        if (!(t <= 1)) t = 1;
      }
      gamma[r] = t;
    }
  }

  /** x += gamma (v - x) per row, rows of length n. */
  private moveRows(x: Float64Array, v: Float64Array, n: number): void {
    const gamma = this.gamma;
    for (let r = 0; r < this.R; r++) {
      const t = gamma[r];
      if (t === 0) continue;
      const off = r * n;
      for (let j = 0; j < n; j++) x[off + j] += t * (v[off + j] - x[off + j]);
    }
  }

  /** One Frank-Wolfe step on block 0 (input box and a_0). */
  private async stepInput(invEta: readonly Float64Array[]): Promise<void> {
    const { R } = this;
    const nIn = this.net.inputDim;
    const n0 = this.hidden[0].n;
    const C = await this.inputCost(this.rhoAtPrimal(0, invEta[0]));
    this.inputLmo(C, this.vin);
    const av = await this.affine(0, this.vin);
    const { xin, gdir, curv } = this;
    const a0 = this.a[0];
    for (let r = 0; r < R; r++) {
      let g = 0;
      const off = r * nIn;
      for (let j = 0; j < nIn; j++) g += C[off + j] * (this.vin[off + j] - xin[off + j]);
      let s = 0;
      const aoff = r * n0;
      for (let j = 0; j < n0; j++) {
        const d = av[aoff + j] - a0[aoff + j];
        s += d * d;
      }
      gdir[r] = g;
      curv[r] = invEta[0][r] * s;
    }
    this.lineSearch();
    this.moveRows(xin, this.vin, nIn);
    this.moveRows(a0, av, n0);
  }

  /** One Frank-Wolfe step on block k+1 (hidden layer k: xhat^B_k, x_k, a_{k+1}). */
  private async stepHidden(k: number, invEta: readonly Float64Array[]): Promise<void> {
    const { R, H } = this;
    const n = this.hidden[k].n;
    const P = this.rhoAtPrimal(k, invEta[k]);
    const C = await this.hiddenCost(k, k < H - 1 ? this.rhoAtPrimal(k + 1, invEta[k + 1]) : undefined);
    const vh = this.vh[k];
    const vp = this.vp[k];
    this.hiddenLmo(k, P, C, vh, vp);
    const xh = this.xh[k];
    const xp = this.xp[k];
    const { gdir, curv } = this;
    for (let r = 0; r < R; r++) {
      const off = r * n;
      let g = 0;
      let s = 0;
      for (let j = 0; j < n; j++) {
        const i = off + j;
        const dh = vh[i] - xh[i];
        g += P[i] * dh + C[i] * (vp[i] - xp[i]);
        s += dh * dh;
      }
      gdir[r] = g;
      curv[r] = invEta[k][r] * s;
    }
    let av: Float64Array | undefined;
    if (k < H - 1) {
      av = await this.affine(k + 1, vp);
      const an = this.a[k + 1];
      const nn = this.hidden[k + 1].n;
      const ie = invEta[k + 1];
      for (let r = 0; r < R; r++) {
        const off = r * nn;
        let s = 0;
        for (let j = 0; j < nn; j++) {
          const d = av[off + j] - an[off + j];
          s += d * d;
        }
        curv[r] += ie[r] * s;
      }
    }
    this.lineSearch();
    this.moveRows(xh, vh, n);
    this.moveRows(xp, vp, n);
    if (av) this.moveRows(this.a[k + 1], av, this.hidden[k + 1].n);
  }

  /**
   * Approximately solve the proximal problem at the current rho with weight
   * eta (per dual row) by `sweeps` block-coordinate Frank-Wolfe sweeps over blocks 0..H
   * (warm-started from the previous primal iterate), then take the proximal
   * step rho += r(x) / eta. Per sweep: one product with W_k and one with
   * W_k^T per layer k < H.
   */
  async proximalStep(eta: readonly Float64Array[], sweeps: number): Promise<void> {
    const { R, H } = this;
    if (H === 0) return;
    if (!this.primalReady) await this.evaluate('forward');
    const invEta = eta.map((e) => e.map((v) => 1 / v));
    for (let s = 0; s < sweeps; s++) {
      await this.stepInput(invEta);
      for (let k = 0; k < H; k++) await this.stepHidden(k, invEta);
    }
    for (let k = 0; k < H; k++) {
      const rho = this.rho[k];
      const xh = this.xh[k];
      const a = this.a[k];
      const n = this.hidden[k].n;
      const ie = invEta[k];
      for (let r = 0; r < R; r++) {
        const s = ie[r];
        for (let i = r * n, e = i + n; i < e; i++) rho[i] += s * (xh[i] - a[i]);
      }
    }
  }
}

/** sqrt(w2 / p2), or undefined when that is 0, infinite or NaN. */
function unitOf(w2: number, p2: number): number | undefined {
  const u = Math.sqrt(w2 / p2);
  return w2 > 0 && p2 > 0 && Number.isFinite(u) ? u : undefined;
}

function nanToMinusInf(v: Float64Array): Float64Array {
  for (let r = 0; r < v.length; r++) if (Number.isNaN(v[r])) v[r] = -Infinity;
  return v;
}
