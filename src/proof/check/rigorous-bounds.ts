/**
 * The checker's own bound computation: interval bounds and backward linear
 * bound propagation (CROWN) through a ReLU network on one node of a proof
 * tree (an input sub-box and ReLU split signs), every result a rigorous
 * bound on the exact real-arithmetic network despite float64 rounding.
 *
 * The coefficient vectors are plain floats; what rounding changes is
 * accounted as a residual: a computed product mu = fl(lambda·W) differs from
 * the exact one by at most gamma(n)·|lambda|·|W| per entry, and the residual
 * term (lambda·W - mu)·x is bounded with the magnitude bound Z of x on the
 * node. Constants are summed with their magnitudes, bounded by gamma at the
 * end. Any slopes alpha in [0, 1] and split multipliers beta >= 0 give a
 * valid bound (weak duality); the certificate supplies them, it is not
 * trusted for anything else.
 *
 * Deliberately separate from src/bounds (no shared bounder code): it is the
 * independent re-derivation that a proof is checked against.
 */
import { matmul } from '../../tensor/matmul.js';
import type { CheckLayer, CheckNet } from './check-net.js';
import { gamma, inflate, nextDown, nextUp, U } from './float.js';

/**
 * Products from this many multiply-adds go to onnxruntime (the solver's
 * threshold is higher): a check is mostly 50-300-row products through
 * 50-256-wide layers, where a session.run's 50 us is well spent.
 */
const ORT_MACS = 1 << 15;

/** The state of one tree node: its input box, split signs and rigorous pre-activation bounds. */
export interface NodeState {
  readonly lower: Float64Array;
  readonly upper: Float64Array;
  /** Per hidden layer: +1 split active (xhat >= 0), -1 split inactive (xhat <= 0), 0 free. */
  readonly splits: Int8Array[];
  /** Per hidden layer, rigorous bounds of the pre-activations on the node (split clamps applied). */
  readonly L: Float64Array[];
  readonly Ub: Float64Array[];
  /** True when some neuron's bounds crossed after the split clamps: the node's region is empty. */
  readonly empty: boolean;
}

/** Optional dual values of one backward pass row: alpha per (layer, neuron), beta per split (layer, neuron). */
export interface RowDuals {
  readonly alpha?: ReadonlyMap<number, number>[];
  readonly beta?: ReadonlyMap<number, number>[];
}

/**
 * The interval of the input of affine layer t on the node: the box for
 * t = 0, else the post-activations of hidden layer t-1 (ReLU, or the
 * pre-activation itself on identity neurons).
 */
function layerInput(net: CheckNet, st: NodeState, t: number): { lo: Float64Array; hi: Float64Array } {
  if (t === 0) return { lo: st.lower, hi: st.upper };
  const k = t - 1;
  const id = net.layers[k].identity;
  const L = st.L[k];
  const Ub = st.Ub[k];
  return {
    lo: Float64Array.from(L, (l, j) => (id && id[j] ? l : Math.max(0, l))),
    hi: Float64Array.from(Ub, (u, j) => (id && id[j] ? u : Math.max(0, u))),
  };
}

/** Magnitude bound of the input of affine layer t on the node. */
function inputMagnitude(net: CheckNet, st: NodeState, t: number): Float64Array {
  const { lo, hi } = layerInput(net, st, t);
  return Float64Array.from(lo, (l, i) => Math.max(Math.abs(l), Math.abs(hi[i])));
}

/** Per output of the layer: an upper bound of sum_i |W_oi| Z_i. */
function absTimes(layer: CheckLayer, Z: Float64Array): Float64Array {
  const v = new Float64Array(layer.outDim);
  for (let o = 0; o < layer.outDim; o++) {
    let s = 0;
    const off = o * layer.inDim;
    for (let i = 0; i < layer.inDim; i++) s += layer.absW[off + i] * Z[i];
    v[o] = inflate(s, layer.inDim);
  }
  return v;
}

/**
 * Rigorous interval bounds of the outputs of affine layer t on the node,
 * from the interval of its input (the box for t = 0, the post-activation
 * bounds of hidden layer t-1 otherwise).
 */
export function intervalLayer(net: CheckNet, st: NodeState, t: number): { lo: Float64Array; hi: Float64Array } {
  const layer = net.layers[t];
  const n = layer.inDim;
  const mid = new Float64Array(n);
  const rad = new Float64Array(n);
  const magMid = new Float64Array(n);
  const input = layerInput(net, st, t);
  for (let i = 0; i < n; i++) {
    const a = input.lo[i];
    const b = input.hi[i];
    const m = 0.5 * a + 0.5 * b;
    mid[i] = m;
    rad[i] = Math.max(nextUp(b - m), nextUp(m - a), 0);
    magMid[i] = Math.abs(m);
  }
  const lo = new Float64Array(layer.outDim);
  const hi = new Float64Array(layer.outDim);
  for (let o = 0; o < layer.outDim; o++) {
    const off = o * n;
    let c = layer.b[o];
    let cm = Math.abs(layer.b[o]);
    let r = 0;
    for (let i = 0; i < n; i++) {
      const w = layer.W[off + i];
      c += w * mid[i];
      const aw = layer.absW[off + i];
      cm += aw * magMid[i];
      r += aw * rad[i];
    }
    // |computed centre - exact| <= gamma(n+1)·(|W||mid| + |b|); the radius is raised to an upper bound.
    const err = nextUp(gamma(n + 1) * inflate(cm, n + 1));
    const radius = nextUp(inflate(r, n) + err);
    lo[o] = nextDown(c - radius);
    hi[o] = nextUp(c + radius);
    if (!(lo[o] <= hi[o])) {
      lo[o] = -Infinity;
      hi[o] = Infinity;
    }
  }
  return { lo, hi };
}

/** A valid upper line x <= s·xhat + t of ReLU on [l, u] (l < 0 < u), with the intercept rounded up. */
function upperLine(l: number, u: number): { s: number; t: number } {
  let s = u / (u - l);
  if (!(s >= 0)) s = 0;
  if (s > 1) s = 1;
  // The line must lie above ReLU at both ends: s·l + t >= 0 and s·u + t >= u.
  const t = Math.max(nextUp(-(s * l)), nextUp(u * nextUp(1 - s)));
  return { s, t };
}

const PASS = 0;
const BLOCK = 1;
const AMBIGUOUS = 2;

/** How a hidden layer's ReLUs are crossed on a node, built once its bounds are final. */
interface LayerRelax {
  /** PASS (identity or xhat >= 0: x = xhat), BLOCK (xhat <= 0: x = 0) or AMBIGUOUS. */
  readonly code: Uint8Array;
  /** Default lower slope, and the upper line x <= upS·xhat + upT, of ambiguous neurons. */
  readonly alpha: Float64Array;
  readonly upS: Float64Array;
  readonly upT: Float64Array;
  /** max |xhat| on the node. */
  readonly mag: Float64Array;
}

const relaxCache = new WeakMap<Float64Array, LayerRelax>();

function relaxOf(net: CheckNet, st: NodeState, k: number): LayerRelax {
  const L = st.L[k];
  let rx = relaxCache.get(L);
  if (rx) return rx;
  const Ub = st.Ub[k];
  const n = L.length;
  const id = net.layers[k].identity;
  rx = { code: new Uint8Array(n), alpha: new Float64Array(n), upS: new Float64Array(n), upT: new Float64Array(n), mag: new Float64Array(n) };
  for (let j = 0; j < n; j++) {
    rx.mag[j] = Math.max(Math.abs(L[j]), Math.abs(Ub[j]));
    if ((id && id[j]) || L[j] >= 0) rx.code[j] = PASS;
    else if (Ub[j] <= 0) rx.code[j] = BLOCK;
    else {
      rx.code[j] = AMBIGUOUS;
      rx.alpha[j] = defaultAlpha(L[j], Ub[j]);
      const line = upperLine(L[j], Ub[j]);
      rx.upS[j] = line.s;
      rx.upT[j] = line.t;
    }
  }
  relaxCache.set(L, rx);
  return rx;
}

/** The adaptive CROWN lower slope, the checker's default where a certificate gives none. */
export function defaultAlpha(l: number, u: number): number {
  return u >= -l ? 1 : 0;
}

/**
 * Rigorous lower bounds of R linear functions lam_r · v + cst_r, where v is
 * the output of affine layer `top` (the pre-activations of hidden layer
 * `top`, or the model outputs y when top = H), over the node's region.
 * `duals[r]` optionally gives the row's slopes and split multipliers.
 * `exactTop`, when given, is lam0·W_top computed exactly by the caller
 * (signed unit rows pick rows of W): no product, no residual there.
 */
export async function boundRows(
  net: CheckNet,
  st: NodeState,
  top: number,
  lam0: Float64Array,
  cst0: Float64Array,
  R: number,
  duals?: readonly (RowDuals | undefined)[],
  exactTop?: Float64Array,
): Promise<Float64Array> {
  const cst = Float64Array.from(cst0);
  const cabs = Float64Array.from(cst0, Math.abs);
  const err = new Float64Array(R);
  let terms = 1;
  let lam = lam0;
  let mu = lam0;
  for (let t = top; t >= 0; t--) {
    const layer = net.layers[t];
    const out = layer.outDim;
    const n = layer.inDim;
    // Bias: cst += lam·b.
    for (let r = 0; r < R; r++) {
      let s = cst[r];
      let a = cabs[r];
      const off = r * out;
      for (let o = 0; o < out; o++) {
        const v = lam[off + o] * layer.b[o];
        s += v;
        a += Math.abs(v);
      }
      cst[r] = s;
      cabs[r] = a;
    }
    terms += out;
    if (t === top && exactTop) {
      mu = exactTop;
    } else {
      mu = await matmul(lam, layer.W, R, out, n, ORT_MACS);
      // Residual of the product: sum_i |(lam W - mu)_i| Z_i <= gamma(out)·|lam|·(|W| Z).
      const v = absTimes(layer, inputMagnitude(net, st, t));
      const g = gamma(out);
      for (let r = 0; r < R; r++) {
        let s = 0;
        const off = r * out;
        for (let o = 0; o < out; o++) s += Math.abs(lam[off + o]) * v[o];
        err[r] += g * inflate(s, out);
      }
    }
    if (t === 0) break;
    // Through hidden layer k = t-1's ReLUs: mu on x_k becomes lam on xhat_k.
    const k = t - 1;
    const rx = relaxOf(net, st, k);
    const sp = st.splits[k];
    const id = net.layers[k].identity;
    const next = new Float64Array(R * n);
    for (let r = 0; r < R; r++) {
      const off = r * n;
      const alphas = duals?.[r]?.alpha?.[k];
      const betas = duals?.[r]?.beta?.[k];
      let s = cst[r];
      let a = cabs[r];
      let e = 0;
      for (let j = 0; j < n; j++) {
        const m = mu[off + j];
        const code = rx.code[j];
        let c: number;
        if (code === PASS) c = m;
        else if (code === BLOCK) c = 0;
        else if (m >= 0) {
          c = m * (alphas ? (alphas.get(j) ?? rx.alpha[j]) : rx.alpha[j]);
          e += Math.abs(c) * rx.mag[j];
        } else {
          c = m * rx.upS[j];
          e += Math.abs(c) * rx.mag[j];
          const v2 = m * rx.upT[j];
          s += v2;
          a += Math.abs(v2);
        }
        if (betas !== undefined && sp[j] !== 0 && !(id && id[j])) {
          const beta = betas.get(j);
          if (beta !== undefined && beta > 0) {
            // objective >= objective - beta·sign·xhat, since sign·xhat >= 0 on the node.
            c = c - beta * sp[j];
            e += Math.abs(c) * rx.mag[j];
          }
        }
        next[off + j] = c;
      }
      cst[r] = s;
      cabs[r] = a;
      // Each product or difference above rounds once: at most u|c| each, doubled for safety.
      err[r] += inflate(2 * U * e, n);
    }
    terms += n;
    lam = next;
  }
  // Over the node's box: min of mu·x.
  const n0 = net.n0;
  const lb = new Float64Array(R);
  for (let r = 0; r < R; r++) {
    let s = cst[r];
    let a = cabs[r];
    const off = r * n0;
    for (let i = 0; i < n0; i++) {
      const c = mu[off + i];
      const v = c >= 0 ? c * st.lower[i] : c * st.upper[i];
      s += v;
      a += Math.abs(v);
    }
    const total = nextUp(err[r] * (1 + 2 ** -30) + gamma(terms + n0 + 1) * inflate(a, terms + n0 + 1));
    const b = nextDown(s - total);
    lb[r] = Number.isFinite(b) ? b : -Infinity;
  }
  return lb;
}

/**
 * Bounds of a node's pre-activations, layer by layer: layers below `fresh`
 * are taken from `inherited` (the parent's, valid on the smaller region),
 * the others are the intersection of interval bounds, the inherited ones
 * and the backward bounds of every still-ambiguous neuron; split clamps
 * applied throughout.
 */
export async function nodeBounds(
  net: CheckNet,
  lower: Float64Array,
  upper: Float64Array,
  splits: Int8Array[],
  inherited: { L: Float64Array[]; Ub: Float64Array[] } | null,
  fresh: number,
): Promise<NodeState> {
  const H = net.H;
  const st = { lower, upper, splits, L: [] as Float64Array[], Ub: [] as Float64Array[], empty: false };
  for (let k = 0; k < H; k++) {
    let L: Float64Array;
    let Ub: Float64Array;
    if (inherited && k < fresh) {
      L = inherited.L[k].slice();
      Ub = inherited.Ub[k].slice();
    } else {
      const iv = intervalLayer(net, st, k);
      L = iv.lo;
      Ub = iv.hi;
      if (inherited) intersect(L, Ub, inherited.L[k], inherited.Ub[k]);
    }
    const id = net.layers[k].identity;
    clamp(L, Ub, splits[k], id);
    st.L.push(L);
    st.Ub.push(Ub);
    if (k > 0 && !(inherited && k < fresh)) {
      const amb: number[] = [];
      for (let j = 0; j < L.length; j++) if (!(id && id[j]) && L[j] < 0 && Ub[j] > 0) amb.push(j);
      if (amb.length > 0) {
        const n = L.length;
        const R = 2 * amb.length;
        const lam = new Float64Array(R * n);
        const layer = net.layers[k];
        const m = layer.inDim;
        const top = new Float64Array(R * m);
        amb.forEach((j, q) => {
          lam[2 * q * n + j] = 1;
          lam[(2 * q + 1) * n + j] = -1;
          for (let i = 0; i < m; i++) {
            const w = layer.W[j * m + i];
            top[2 * q * m + i] = w;
            top[(2 * q + 1) * m + i] = -w;
          }
        });
        const lb = await boundRows(net, st, k, lam, new Float64Array(R), R, undefined, top);
        amb.forEach((j, q) => {
          if (lb[2 * q] > L[j]) L[j] = lb[2 * q];
          const hi = -lb[2 * q + 1];
          if (hi < Ub[j]) Ub[j] = hi;
        });
        clamp(L, Ub, splits[k], id);
      }
    }
    for (let j = 0; j < L.length; j++) if (L[j] > Ub[j]) st.empty = true;
    if (st.empty) break;
  }
  return st;
}

function intersect(L: Float64Array, Ub: Float64Array, pL: Float64Array, pU: Float64Array): void {
  for (let j = 0; j < L.length; j++) {
    if (pL[j] > L[j]) L[j] = pL[j];
    if (pU[j] < Ub[j]) Ub[j] = pU[j];
  }
}

/** The split constraints: xhat >= 0 on active splits, xhat <= 0 on inactive ones (identity neurons ignore splits). */
function clamp(L: Float64Array, Ub: Float64Array, sp: Int8Array, id: Uint8Array | null): void {
  for (let j = 0; j < L.length; j++) {
    if (sp[j] === 0 || (id && id[j])) continue;
    if (sp[j] > 0 && L[j] < 0) L[j] = 0;
    if (sp[j] < 0 && Ub[j] > 0) Ub[j] = 0;
  }
}

/**
 * Interval arithmetic on the combined row lam·y + cst with y = W_H x + b_H:
 * lam·W_H first (its rounding bounded by gamma·|lam|·|W_H|·Z), then the
 * minimum over the interval of the last hidden layer's outputs. `lamAbs`
 * and `cabs` bound how far lam and cst are from the exact combination
 * (they were summed from `k` terms each).
 */
function foldedIntervalBound(net: CheckNet, st: NodeState, lam: Float64Array, lamAbs: Float64Array, cst0: number, cabs0: number, k: number): number {
  const t = net.H;
  const layer = net.layers[t];
  const out = layer.outDim;
  const n = layer.inDim;
  let cst = cst0;
  let cabs = cabs0;
  const Z = inputMagnitude(net, st, t);
  const v = absTimes(layer, Z);
  // |lam - exact| <= gamma(k)·lamAbs per output; lam·b and lam·W round too.
  let err = 0;
  for (let o = 0; o < out; o++) {
    const b = lam[o] * layer.b[o];
    cst += b;
    cabs += Math.abs(b);
    err += gamma(k) * inflate(lamAbs[o], k) * (Math.abs(layer.b[o]) + v[o]) + gamma(out) * Math.abs(lam[o]) * v[o];
  }
  const mu = new Float64Array(n);
  for (let o = 0; o < out; o++) {
    const l = lam[o];
    if (l === 0) continue;
    const off = o * n;
    for (let i = 0; i < n; i++) mu[i] += l * layer.W[off + i];
  }
  const input = layerInput(net, st, t);
  for (let i = 0; i < n; i++) {
    const c = mu[i] >= 0 ? mu[i] * input.lo[i] : mu[i] * input.hi[i];
    cst += c;
    cabs += Math.abs(c);
  }
  const total = nextUp(inflate(err, out) * (1 + 2 ** -30) + gamma(out + n + k + 1) * inflate(cabs, out + n + k + 1));
  const lb = nextDown(cst - total);
  return Number.isFinite(lb) ? lb : -Infinity;
}

/**
 * Rigorous lower bound of sum_r w_r g_r over the node, for spec rows g_r =
 * C_r·y - d_r and weights w_r >= 0: the better of interval arithmetic on
 * the output layer and a backward pass with the given duals.
 */
export async function combinedRowBound(net: CheckNet, st: NodeState, rows: readonly (readonly [number, number])[], duals?: RowDuals): Promise<number> {
  const m = net.layers[net.H].outDim;
  // lam = sum_r w_r C_r and its rounding error per output (then bounded with |y|).
  const lam = new Float64Array(m);
  const lamAbs = new Float64Array(m);
  let cst = 0;
  let cabs = 0;
  for (const [r, w] of rows) {
    for (let o = 0; o < m; o++) {
      const v = w * net.C[r * m + o];
      lam[o] += v;
      lamAbs[o] += Math.abs(v);
    }
    const v = -w * net.d[r];
    cst += v;
    cabs += Math.abs(v);
  }
  // Interval bound of the combined row itself (lam·W_H over the last hidden layer's
  // interval: tighter than intervals of the outputs y combined afterwards).
  const ibpLb = foldedIntervalBound(net, st, lam, lamAbs, cst, cabs, rows.length + 1);
  const y = intervalLayer(net, st, net.H);
  const k = rows.length + 1;
  // Residual of lam: sum_o |exact - lam_o|·|y_o|, and the constant's rounding.
  let resid = 0;
  for (let o = 0; o < m; o++) resid += gamma(k) * inflate(lamAbs[o], k) * Math.max(Math.abs(y.lo[o]), Math.abs(y.hi[o]));
  const residUp = nextUp(inflate(resid, m) + gamma(k) * inflate(cabs, k));
  const [crown] = await boundRows(net, st, net.H, lam, Float64Array.of(cst), 1, [duals]);
  const crownLb = nextDown(crown - residUp);
  const best = Math.max(Number.isFinite(ibpLb) ? ibpLb : -Infinity, Number.isFinite(crownLb) ? crownLb : -Infinity);
  return best;
}
