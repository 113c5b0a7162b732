/**
 * The products of a layer's matrix with batches of vectors, whichever form
 * the layer holds: dense W (products in onnxruntime's float64 MatMul, W^T and
 * |W|^T cached per layer) or compressed sparse rows (materialised
 * convolutions too large to hold densely: products as loops over the
 * nonzeros, transposes cached per layer). Either form of a large layer that
 * repeats a kernel block (a convolution) also has a stencil form (im2col
 * products, src/tensor/stencil.ts); each product takes the form its cost
 * model estimates fastest for its number of rows. Every bounder on the hot
 * path goes through these instead of touching `layer.W`, which on a sparse
 * layer is materialised on first use and may be too large.
 */
import { csrOf, denseTimesCsr, matmul, transpose, transposeCsr, type Csr } from '../tensor/matmul.js';
import { findStencil, stencilBackward, stencilForward, type Stencil } from '../tensor/stencil.js';
import type { AffineLayer } from './layered.js';

export type { Csr };

const denseT = new WeakMap<AffineLayer, Float64Array>();
const denseAbsT = new WeakMap<AffineLayer, Float64Array>();
const csrT = new WeakMap<AffineLayer, Csr>();
const csrAbs = new WeakMap<Csr, Csr>();

/** W^T (inDim x outDim) of a dense layer, computed once per (immutable) layer. */
export function weightT(layer: AffineLayer): Float64Array {
  let t = denseT.get(layer);
  if (!t) {
    t = transpose(layer.W, layer.outDim, layer.inDim);
    denseT.set(layer, t);
  }
  return t;
}

function absWeightT(layer: AffineLayer): Float64Array {
  let t = denseAbsT.get(layer);
  if (!t) {
    t = weightT(layer).slice();
    for (let i = 0; i < t.length; i++) t[i] = Math.abs(t[i]);
    denseAbsT.set(layer, t);
  }
  return t;
}

function sparseT(layer: AffineLayer & { csr: Csr }): Csr {
  let t = csrT.get(layer);
  if (!t) {
    t = transposeCsr(layer.csr, layer.outDim, layer.inDim);
    csrT.set(layer, t);
  }
  return t;
}

/** The same CSR matrix with absolute values, computed once per matrix. */
export function absCsr(c: Csr): Csr {
  let t = csrAbs.get(c);
  if (!t) {
    // A plain loop: Float64Array.from with a mapping function took 11.6 s on TinyYOLO's 67 M nonzeros.
    const val = new Float64Array(c.val.length);
    for (let q = 0; q < val.length; q++) val[q] = Math.abs(c.val[q]);
    t = { rowPtr: c.rowPtr, col: c.col, val };
    csrAbs.set(c, t);
  }
  return t;
}

/** C (rows x n) = A (rows x k, CSR) · B (k x n dense). */
export function csrTimesDense(A: Csr, B: Float64Array, rows: number, n: number): Float64Array {
  const C = new Float64Array(rows * n);
  for (let i = 0; i < rows; i++) {
    const ci = i * n;
    for (let q = A.rowPtr[i]; q < A.rowPtr[i + 1]; q++) {
      const a = A.val[q];
      const bo = A.col[q] * n;
      for (let j = 0; j < n; j++) C[ci + j] += a * B[bo + j];
    }
  }
  return C;
}

/** R x outDim: X (R x inDim) · W^T, no bias. */
export function forwardProduct(layer: AffineLayer, X: Float64Array, R: number): Promise<Float64Array> | Float64Array {
  const st = stencilFor(layer, R);
  if (st) return stencilForward(st, X, R);
  if (layer.csr) return denseTimesCsr(X, sparseT(layer as AffineLayer & { csr: Csr }), R, layer.inDim, layer.outDim);
  return matmul(X, weightT(layer), R, layer.inDim, layer.outDim);
}

/** R x outDim: X (R x inDim) · |W|^T. */
export function absForwardProduct(layer: AffineLayer, X: Float64Array, R: number): Promise<Float64Array> | Float64Array {
  const st = stencilFor(layer, R);
  if (st) return stencilForward(st, X, R, true);
  if (layer.csr) return denseTimesCsr(X, absCsr(sparseT(layer as AffineLayer & { csr: Csr })), R, layer.inDim, layer.outDim);
  return matmul(X, absWeightT(layer), R, layer.inDim, layer.outDim);
}

/** R x inDim: G (R x outDim) · W (the backward step of linear bound propagation and of gradients). */
export function backwardProduct(layer: AffineLayer, G: Float64Array, R: number): Promise<Float64Array> | Float64Array {
  const st = stencilFor(layer, R);
  if (st) return stencilBackward(st, G, R);
  if (layer.csr) return denseTimesCsr(G, layer.csr, R, layer.outDim, layer.inDim);
  return matmul(G, layer.W, R, layer.outDim, layer.inDim);
}

/**
 * Layers with fewer matrix entries are never searched for a stencil (their
 * products are cheap in any form); layers with more nonzeros are not either
 * (the search itself would cost seconds).
 */
const STENCIL_MIN_ENTRIES = 1 << 18;
const STENCIL_MAX_NNZ = 1 << 25;
/**
 * Rates of this machine (s per unit) while both cores bound, as they do in a search: onnxruntime multiply-adds
 * of a large dense product and of a stencil's im2col block products, entries gathered/scattered around those in
 * TypeScript, CSR multiply-adds, a session run (fitted on oval21's six conv layers at 1-200 rows,
 * results/stencil-cost-model-2026-12-06.txt); the fused kernel (src/tensor/class-kernel.ts) per block
 * multiply-add, per gathered or scattered entry and per entry of the rows copied in and out of its memory
 * (fitted on the same layers at 200-432 rows with the other core busy: 32-169 us per row; the model is within
 * 30% of each).
 */
const ORT_MAC_S = 1 / 14e9;
const BLOCK_MAC_S = 1 / 5e9;
const MOVE_S = 11e-9;
const CSR_MAC_S = 4e-9;
const RUN_S = 50e-6;
const KERNEL_MAC_S = 0.35e-9;
const KERNEL_MOVE_S = 2e-9;
const KERNEL_COPY_S = 0.5e-9;
const stencils = new WeakMap<AffineLayer, Stencil | null>();

/** The layer's matrix as a sparse product (its CSR, or the CSR of a dense matrix mostly of zeros), if it is one. */
function sparseForm(layer: AffineLayer): Csr | null {
  if (layer.csr) return layer.csr;
  return layer.inDim * layer.outDim >= STENCIL_MIN_ENTRIES ? csrOf(layer.W, layer.outDim, layer.inDim) : null;
}

/** The layer's stencil (src/tensor/stencil.ts), found once per layer; null when it has none. */
export function layerStencil(layer: AffineLayer): Stencil | null {
  let st = stencils.get(layer);
  if (st === undefined) {
    const csr = layer.inDim * layer.outDim >= STENCIL_MIN_ENTRIES ? sparseForm(layer) : null;
    st = csr && csr.val.length <= STENCIL_MAX_NNZ ? findStencil(csr, layer.outDim, layer.inDim) : null;
    stencils.set(layer, st);
  }
  return st;
}

/** Estimated seconds of a product of R rows with the stencil form. */
function stencilSeconds(st: Stencil, R: number): number {
  return R * stencilRowSeconds(st) + st.im2col.backward.length * RUN_S;
}

const stencilRowCost = new WeakMap<Stencil, number>();

/** Estimated seconds per row of the stencil form, without the fixed cost of the im2col session runs (once per stencil). */
function stencilRowSeconds(st: Stencil): number {
  const known = stencilRowCost.get(st);
  if (known !== undefined) return known;
  let s = st.restNnz * CSR_MAC_S;
  for (const cl of st.classes) {
    const macs = cl.members * cl.c * cl.w;
    const moves = cl.members * (cl.c + cl.w);
    s += cl.im2col ? macs * BLOCK_MAC_S + moves * MOVE_S : macs * KERNEL_MAC_S + moves * KERNEL_MOVE_S;
  }
  // The kernel's rows are copied into its memory and back (for the backward product the larger side twice).
  if (st.kernel.backward.length > 0) s += (Math.min(st.rows, st.cols) + 2 * Math.max(st.rows, st.cols)) * KERNEL_COPY_S;
  stencilRowCost.set(st, s);
  return s;
}

/** Estimated seconds of a product of R rows in the layer's plain form (CSR loops, or onnxruntime's dense MatMul). */
function plainSeconds(layer: AffineLayer, R: number): number {
  const csr = sparseForm(layer);
  const sparse = csr ? R * csr.val.length * CSR_MAC_S : Infinity;
  if (layer.csr) return sparse;
  const entries = layer.inDim * layer.outDim;
  return Math.min(sparse, Math.max(R * entries * ORT_MAC_S, entries * 8 / 8e9) + RUN_S);
}

/** The form a product of R rows with the layer's matrix takes (scripts/stencil-cost.ts checks the choice against timings). */
export function productForm(layer: AffineLayer, R: number): 'stencil' | 'csr' | 'dense' {
  if (stencilFor(layer, R)) return 'stencil';
  return layer.csr ? 'csr' : 'dense';
}

/** The stencil when it is estimated faster than the plain form for R rows. */
function stencilFor(layer: AffineLayer, R: number): Stencil | null {
  const st = layerStencil(layer);
  return st && stencilSeconds(st, R) < plainSeconds(layer, R) ? st : null;
}

/** out[0..inDim) = row j of W (scaled by `sign`). */
export function weightRow(layer: AffineLayer, j: number, out: Float64Array, sign = 1): void {
  if (layer.csr) {
    out.fill(0, 0, layer.inDim);
    const { rowPtr, col, val } = layer.csr;
    for (let q = rowPtr[j]; q < rowPtr[j + 1]; q++) out[col[q]] = sign * val[q];
    return;
  }
  const W = layer.W;
  const off = j * layer.inDim;
  for (let p = 0; p < layer.inDim; p++) out[p] = sign * W[off + p];
}

/** Calls f(i, w) for every (nonzero, on sparse layers) weight of row j. */
export function forEachWeight(layer: AffineLayer, j: number, f: (i: number, w: number) => void): void {
  if (layer.csr) {
    const { rowPtr, col, val } = layer.csr;
    for (let q = rowPtr[j]; q < rowPtr[j + 1]; q++) f(col[q], val[q]);
    return;
  }
  const W = layer.W;
  const off = j * layer.inDim;
  for (let i = 0; i < layer.inDim; i++) f(i, W[off + i]);
}

/**
 * Estimated seconds of one vector through the layer's matrix: dense products
 * in onnxruntime, CSR ones in TypeScript loops (src/tensor/matmul.ts's rates,
 * rounded down). For sizing work to a time budget.
 */
export function layerSeconds(layer: AffineLayer): number {
  const plain = layer.csr ? layer.csr.val.length / 4e8 : (layer.inDim * layer.outDim) / 2e10;
  const st = layerStencil(layer);
  return st ? Math.min(plain, stencilRowSeconds(st)) : plain;
}

/** Estimated seconds of one vector through every layer of the network (layerSeconds summed). */
export function rowSeconds(net: { readonly layers: readonly AffineLayer[] }): number {
  return net.layers.reduce((t, l) => t + layerSeconds(l), 0);
}
