/**
 * How far float64 rounding can move a computed bound, per neuron and per
 * output row, from the magnitudes of the computation on a box.
 *
 * Every bound we compute (intervals, linear bounds, dual bounds) is a sum of
 * products whose terms are dominated by
 *   a_0 = max(|lower|, |upper|),   mag_k = |W_k| a_{k-1} + |b_k|,
 *   a_k = max(|l_k|, |u_k|) of layer k's interval pre-activation bounds
 * (ReLU and identity never increase a magnitude; relaxation slopes lie in
 * [0, 1] and their intercepts are bounded by |l|). A float64 dot product of
 * length n errs by at most n·u·Σ|terms| (u = 2^-53), and errors of earlier
 * layers reach layer k scaled like the magnitudes themselves, so
 *   err_k <= len_k · u · mag_k,   len_k = Σ_{i<=k} (inDim_i + 2).
 * ROUNDING_SAFETY covers what this first-order bound leaves out: other
 * summation orders (onnxruntime's blocked MatMul), bounds intersected from
 * several methods, relaxations built on bounds that are themselves that far
 * off, and dual multipliers somewhat larger than the slopes.
 *
 * A fixed relative tolerance is wrong both ways: outputs of hundreds built
 * from sums of 1e5 large terms cancel to values whose error dwarfs 1e-9 of
 * the result (the wrong `unsat` of issue 11 came from exactly that).
 */
import { activateInterval, affineInterval } from '../network/interval.js';
import type { LayeredNet } from '../network/layered.js';

/** Unit roundoff of float64. */
export const UNIT_ROUNDOFF = 2 ** -53;

/** Factor over the first-order error bound (see the module comment). */
export const ROUNDING_SAFETY = 8;

/** Absolute floor of the soundness margin of every output row. */
export const ABSOLUTE_MARGIN = 1e-6;

export interface ErrorScale {
  /** The box the scale was computed for: valid for every sub-box of it. */
  readonly lower: Float64Array;
  readonly upper: Float64Array;
  /** Per hidden layer, per neuron: bound on the rounding error of a computed pre-activation bound. */
  readonly hidden: readonly Float64Array[];
  /** Per output row: bound on the rounding error of a computed lower bound of the row. */
  readonly output: Float64Array;
}

/** Error scale of `net` on the box [lower, upper] (plain loops: done once per box). */
export function errorScale(net: LayeredNet, lower: ArrayLike<number>, upper: ArrayLike<number>): ErrorScale {
  const n0 = net.inputDim;
  // a: magnitude of each input of the current layer; l/u: its interval.
  let a = new Float64Array(n0);
  let l: Float64Array = Float64Array.from(lower);
  let u: Float64Array = Float64Array.from(upper);
  for (let i = 0; i < n0; i++) a[i] = Math.max(Math.abs(lower[i]), Math.abs(upper[i]));
  const hidden: Float64Array[] = [];
  let len = 0;
  let output = new Float64Array(0);
  for (let k = 0; k < net.layers.length; k++) {
    const layer = net.layers[k];
    const nIn = layer.inDim;
    const mag = new Float64Array(layer.outDim);
    const csr = layer.csr;
    if (csr) {
      for (let j = 0; j < layer.outDim; j++) {
        let s = Math.abs(layer.b[j]);
        for (let q = csr.rowPtr[j]; q < csr.rowPtr[j + 1]; q++) s += Math.abs(csr.val[q]) * a[csr.col[q]];
        mag[j] = s;
      }
    } else {
      const W = layer.W;
      for (let j = 0; j < layer.outDim; j++) {
        let s = Math.abs(layer.b[j]);
        const off = j * nIn;
        for (let i = 0; i < nIn; i++) s += Math.abs(W[off + i]) * a[i];
        mag[j] = s;
      }
    }
    len += nIn + 2;
    const err = new Float64Array(layer.outDim);
    // NaN weights or inputs make the scale infinite: no bound is trusted then.
    for (let j = 0; j < err.length; j++) err[j] = Number.isNaN(mag[j]) ? Infinity : ROUNDING_SAFETY * UNIT_ROUNDOFF * len * mag[j];
    if (k === net.layers.length - 1) {
      output = err;
      break;
    }
    hidden.push(err);
    // The next layer's inputs: the activations' interval, and as magnitude
    // the larger of |l| and |u| of the pre-activation interval (it also
    // bounds the relaxations' intercepts). Intervals grow far slower than
    // the all-aligned-signs magnitudes would.
    const pre = affineInterval(net, k, l, u);
    a = new Float64Array(layer.outDim);
    for (let j = 0; j < layer.outDim; j++) a[j] = Math.min(mag[j], Math.max(Math.abs(pre.lo[j]), Math.abs(pre.hi[j])) * (1 + 1e-12));
    ({ l, u } = activateInterval(net, k, pre.lo, pre.hi));
  }
  return { lower: Float64Array.from(lower), upper: Float64Array.from(upper), hidden, output };
}

/**
 * Soundness margin per output row: a lower bound proves row r positive only
 * above margin[r] = ABSOLUTE_MARGIN + the row's rounding error bound.
 */
export function rowMargins(scale: ErrorScale): Float64Array {
  return Float64Array.from(scale.output, (e) => ABSOLUTE_MARGIN + e);
}

const cache = new WeakMap<LayeredNet, ErrorScale>();

function contains(outer: ErrorScale, lower: Float64Array, upper: Float64Array, B: number, n0: number): boolean {
  for (let b = 0; b < B; b++) {
    const off = b * n0;
    for (let i = 0; i < n0; i++) {
      if (!(lower[off + i] >= outer.lower[i] && upper[off + i] <= outer.upper[i])) return false;
    }
  }
  return true;
}

/**
 * Error scale valid for every domain of a batch (B stacked boxes). Branch
 * and bound only ever bounds sub-boxes of its root box, so after the root
 * the cached scale is reused; a batch outside it gets the scale of the union.
 */
export function batchErrorScale(net: LayeredNet, lower: Float64Array, upper: Float64Array, B: number): ErrorScale {
  const n0 = net.inputDim;
  const cached = cache.get(net);
  if (cached && contains(cached, lower, upper, B, n0)) return cached;
  const lo = new Float64Array(n0).fill(Infinity);
  const hi = new Float64Array(n0).fill(-Infinity);
  if (cached) {
    lo.set(cached.lower);
    hi.set(cached.upper);
  }
  for (let b = 0; b < B; b++) {
    for (let i = 0; i < n0; i++) {
      const l = lower[b * n0 + i];
      const u = upper[b * n0 + i];
      // NaN boxes poison the scale (Infinity), never shrink it.
      lo[i] = Number.isNaN(l) ? -Infinity : Math.min(lo[i], l);
      hi[i] = Number.isNaN(u) ? Infinity : Math.max(hi[i], u);
    }
  }
  const scale = errorScale(net, lo, hi);
  cache.set(net, scale);
  return scale;
}
