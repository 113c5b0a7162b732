/**
 * The piecewise-linear network every bounder works on:
 *
 *   x_0 in R^{n_0} (the flattened ONNX input)
 *   xhat_k = W_k x_{k-1} + b_k            k = 1..n
 *   x_k    = act_k(xhat_k)                k = 1..n-1
 *
 * act_k is ReLU on every neuron, except where `identity` marks a neuron as a
 * linear pass-through (used to carry skip connections of a DAG through a
 * layer; such neurons are never ambiguous and never split).
 * The last layer has no activation.
 *
 * Matrices are dense, row-major (out x in), float64: conv layers are
 * materialised, which keeps every bounder on one code path and lets the heavy
 * products go to onnxruntime's float64 MatMul.
 */
import { denseMatrix } from './affine-map.js';

export interface AffineLayer {
  readonly inDim: number;
  readonly outDim: number;
  /** outDim x inDim, row-major. */
  readonly W: Float64Array;
  readonly b: Float64Array;
  /** Optional: identity[j] = 1 means neuron j of this layer has no ReLU. Ignored on the last layer. */
  readonly identity?: Uint8Array;
}

export interface LayeredNet {
  /** Shape of the ONNX input tensor (batch dims included as 1). */
  readonly inputShape: readonly number[];
  readonly inputDim: number;
  readonly outputDim: number;
  readonly layers: readonly AffineLayer[];
}

export function hiddenSizes(net: LayeredNet): number[] {
  return net.layers.slice(0, -1).map((l) => l.outDim);
}

/** Exact float64 forward pass of one input; returns the output. */
export function forward(net: LayeredNet, x: Float64Array): Float64Array {
  let cur = x;
  net.layers.forEach((layer, k) => {
    const out = new Float64Array(layer.outDim);
    const { W, b, inDim } = layer;
    for (let i = 0; i < layer.outDim; i++) {
      let s = b[i];
      const off = i * inDim;
      for (let j = 0; j < inDim; j++) s += W[off + j] * cur[j];
      out[i] = s;
    }
    if (k < net.layers.length - 1) {
      const id = layer.identity;
      for (let i = 0; i < out.length; i++) if (!(id && id[i]) && out[i] < 0) out[i] = 0;
    }
    cur = out;
  });
  return cur;
}

/** Replace the last layer by C·(W_n x + b_n) - d (fold a linear output spec into the network). */
export function foldOutputRows(net: LayeredNet, C: Float64Array, d: Float64Array): LayeredNet {
  const last = net.layers[net.layers.length - 1];
  const rows = d.length;
  if (C.length !== rows * last.outDim) throw new Error(`foldOutputRows: C has ${C.length} entries, expected ${rows}x${last.outDim}`);
  // One row per atom of the spec: a huge disjunction times a wide last layer can be too large.
  const W = denseMatrix(rows, last.inDim);
  const b = new Float64Array(rows);
  for (let r = 0; r < rows; r++) {
    let bias = -d[r];
    for (let o = 0; o < last.outDim; o++) {
      const c = C[r * last.outDim + o];
      if (c === 0) continue;
      bias += c * last.b[o];
      const src = o * last.inDim;
      const dst = r * last.inDim;
      for (let j = 0; j < last.inDim; j++) W[dst + j] += c * last.W[src + j];
    }
    b[r] = bias;
  }
  return {
    ...net,
    outputDim: rows,
    layers: [...net.layers.slice(0, -1), { inDim: last.inDim, outDim: rows, W, b }],
  };
}
