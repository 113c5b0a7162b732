/**
 * The products of a layer's matrix with batches of vectors, whichever form
 * the layer holds: dense W (products in onnxruntime's float64 MatMul, W^T and
 * |W|^T cached per layer) or compressed sparse rows (materialised
 * convolutions too large to hold densely: products as loops over the
 * nonzeros, transposes cached per layer). Every bounder on the hot path goes
 * through these instead of touching `layer.W`, which on a sparse layer is
 * materialised on first use and may be too large.
 */
import { denseTimesCsr, matmul, transpose, type Csr } from '../tensor/matmul.js';
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

/** CSR of the transpose (rows = inputs) of a CSR matrix with `rows` x `cols`. */
export function transposeCsr(a: Csr, rows: number, cols: number): Csr {
  const nnz = a.val.length;
  const rowPtr = new Int32Array(cols + 1);
  for (let q = 0; q < nnz; q++) rowPtr[a.col[q] + 1]++;
  for (let j = 0; j < cols; j++) rowPtr[j + 1] += rowPtr[j];
  const fill = rowPtr.slice(0, cols);
  const col = new Int32Array(nnz);
  const val = new Float64Array(nnz);
  for (let i = 0; i < rows; i++) {
    for (let q = a.rowPtr[i]; q < a.rowPtr[i + 1]; q++) {
      const p = fill[a.col[q]]++;
      col[p] = i;
      val[p] = a.val[q];
    }
  }
  return { rowPtr, col, val };
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
  if (layer.csr) return denseTimesCsr(X, sparseT(layer as AffineLayer & { csr: Csr }), R, layer.inDim, layer.outDim);
  return matmul(X, weightT(layer), R, layer.inDim, layer.outDim);
}

/** R x outDim: X (R x inDim) · |W|^T. */
export function absForwardProduct(layer: AffineLayer, X: Float64Array, R: number): Promise<Float64Array> | Float64Array {
  if (layer.csr) return denseTimesCsr(X, absCsr(sparseT(layer as AffineLayer & { csr: Csr })), R, layer.inDim, layer.outDim);
  return matmul(X, absWeightT(layer), R, layer.inDim, layer.outDim);
}

/** R x inDim: G (R x outDim) · W (the backward step of linear bound propagation and of gradients). */
export function backwardProduct(layer: AffineLayer, G: Float64Array, R: number): Promise<Float64Array> | Float64Array {
  if (layer.csr) return denseTimesCsr(G, layer.csr, R, layer.outDim, layer.inDim);
  return matmul(G, layer.W, R, layer.outDim, layer.inDim);
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
  return layer.csr ? layer.csr.val.length / 4e8 : (layer.inDim * layer.outDim) / 2e10;
}

/** Estimated seconds of one vector through every layer of the network (layerSeconds summed). */
export function rowSeconds(net: { readonly layers: readonly AffineLayer[] }): number {
  return net.layers.reduce((t, l) => t + layerSeconds(l), 0);
}
