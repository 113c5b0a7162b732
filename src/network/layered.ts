/**
 * The piecewise-linear network every bounder works on:
 *
 *   x_0 in R^{n_0} (the flattened ONNX input)
 *   xhat_k = W_k x_{k-1} + b_k            k = 1..n
 *   x_k    = act_k(xhat_k)                k = 1..n-1
 *
 * act_k is elementwise, per neuron one of the activations of
 * src/network/activations (ReLU, identity, sigmoid, tanh, sign, leaky ReLU,
 * ...): `act` lists each layer's kinds and which neurons have which. Without
 * `act` a layer is ReLU everywhere, except where `identity` marks a neuron as
 * a linear pass-through (used to carry skip connections of a DAG through a
 * layer; such neurons are never ambiguous and never split).
 * The last layer has no activation.
 *
 * Matrices are dense, row-major (out x in), float64: conv layers are
 * materialised, which keeps every bounder on one code path and lets the heavy
 * products go to onnxruntime's float64 MatMul.
 */
import { denseMatrix } from './affine-map.js';
import type { Csr } from '../tensor/matmul.js';
export { csrFromDense } from '../tensor/matmul.js';
import type { Activation } from './activations/activation.js';
import { identity as identityAct } from './activations/identity.js';
import { relu } from './activations/relu.js';

/** The activations of one hidden layer: distinct kinds, each neuron's kind, and the neurons of each kind. */
export interface LayerActivation {
  readonly kinds: readonly Activation[];
  /** kindOf[j] indexes `kinds`. */
  readonly kindOf: Uint8Array;
  /** groups[t] = the neurons of kinds[t], ascending. */
  readonly groups: readonly Int32Array[];
}

export interface AffineLayer {
  readonly inDim: number;
  readonly outDim: number;
  /**
   * outDim x inDim, row-major. On a sparse layer (`csr` set) it is
   * materialised on first read, and reading it may throw TooLargeError: the
   * hot paths use src/network/linear.ts instead.
   */
  readonly W: Float64Array;
  /** The same matrix in compressed sparse rows (rows = outputs), for layers mostly of zeros (materialised convolutions). */
  readonly csr?: Csr;
  readonly b: Float64Array;
  /**
   * identity[j] = 1 means neuron j passes its value through unchanged. Ignored
   * on the last layer. With `act` it must mark exactly the identity neurons
   * (`withActivations` builds both).
   */
  readonly identity?: Uint8Array;
  /** Per-neuron activations; absent: ReLU, or identity where `identity` says so. */
  readonly act?: LayerActivation;
}

/**
 * A layer held in CSR. `W` is a getter that materialises the dense matrix on
 * first use (for the encodings that need it: LP, MIP, dual solvers), which
 * fails with TooLargeError beyond the dense size limit.
 */
export function sparseLayer(fields: { inDim: number; outDim: number; csr: Csr; b: Float64Array; identity?: Uint8Array; act?: LayerActivation }): AffineLayer {
  let dense: Float64Array | undefined;
  const { inDim, outDim, csr } = fields;
  const layer = { ...fields } as AffineLayer;
  Object.defineProperty(layer, 'W', {
    enumerable: false,
    get(): Float64Array {
      if (!dense) {
        const W = denseMatrix(outDim, inDim);
        for (let i = 0; i < outDim; i++) for (let q = csr.rowPtr[i]; q < csr.rowPtr[i + 1]; q++) W[i * inDim + csr.col[q]] += csr.val[q];
        dense = W;
      }
      return dense;
    },
  });
  return layer;
}

/** A LayerActivation from one activation per neuron. */
export function layerActivation(perNeuron: readonly Activation[]): LayerActivation {
  const kinds: Activation[] = [];
  const index = new Map<string, number>();
  const kindOf = new Uint8Array(perNeuron.length);
  perNeuron.forEach((a, j) => {
    let t = index.get(a.key);
    if (t === undefined) {
      t = kinds.length;
      if (t > 255) throw new Error('more than 256 activation kinds in one layer');
      index.set(a.key, t);
      kinds.push(a);
    }
    kindOf[j] = t;
  });
  const groups = kinds.map((_, t) => {
    const idx: number[] = [];
    kindOf.forEach((k, j) => {
      if (k === t) idx.push(j);
    });
    return Int32Array.from(idx);
  });
  return { kinds, kindOf, groups };
}

/** The fields of a hidden layer whose neurons have the given activations (`identity` derived). */
export function withActivations(perNeuron: readonly Activation[]): { act?: LayerActivation; identity?: Uint8Array } {
  if (perNeuron.every((a) => a.piecewiseLinear === 'relu')) return {};
  const identity = Uint8Array.from(perNeuron, (a) => (a.piecewiseLinear === 'identity' ? 1 : 0));
  const hasId = identity.some((v) => v === 1);
  if (perNeuron.every((a) => a.piecewiseLinear)) return { identity };
  return { act: layerActivation(perNeuron), ...(hasId ? { identity } : {}) };
}

const derived = new WeakMap<AffineLayer, LayerActivation>();

/** Layer k's activations, whether given by `act` or implied by `identity`. */
export function activationsOf(layer: AffineLayer): LayerActivation {
  if (layer.act) return layer.act;
  let a = derived.get(layer);
  if (!a) {
    const id = layer.identity;
    a = layerActivation(Array.from({ length: layer.outDim }, (_, j) => (id && id[j] ? identityAct : relu)));
    derived.set(layer, a);
  }
  return a;
}

/** True when every hidden neuron is a ReLU or an identity: what the LP/MIP encodings, dual solvers and BaBSR accept. */
export function isReluNet(net: LayeredNet): boolean {
  return net.layers.slice(0, -1).every((l) => !l.act || l.act.kinds.every((a) => a.piecewiseLinear !== undefined));
}

/** True when some hidden neuron's activation has only a surrogate gradient (Sign): attacks need more than gradients. */
export function hasSurrogateGradients(net: LayeredNet): boolean {
  return net.layers.slice(0, -1).some((l) => l.act?.kinds.some((a) => a.surrogateGradient) ?? false);
}

/** Names of the activations of a network that are not ReLU/identity, for messages. */
export function nonReluActivations(net: LayeredNet): string[] {
  const keys = new Set<string>();
  for (const l of net.layers.slice(0, -1)) for (const a of l.act?.kinds ?? []) if (!a.piecewiseLinear) keys.add(a.key);
  return [...keys];
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

/** Neurons of all hidden layers together. */
export function hiddenNeuronCount(net: LayeredNet): number {
  return net.layers.slice(0, -1).reduce((s, l) => s + l.outDim, 0);
}

/** Exact float64 forward pass of one input; returns the output. */
export function forward(net: LayeredNet, x: Float64Array): Float64Array {
  let cur = x;
  net.layers.forEach((layer, k) => {
    const out = new Float64Array(layer.outDim);
    const { b, inDim, csr } = layer;
    if (csr) {
      for (let i = 0; i < layer.outDim; i++) {
        let s = b[i];
        for (let q = csr.rowPtr[i]; q < csr.rowPtr[i + 1]; q++) s += csr.val[q] * cur[csr.col[q]];
        out[i] = s;
      }
    } else {
      const W = layer.W;
      for (let i = 0; i < layer.outDim; i++) {
        let s = b[i];
        const off = i * inDim;
        for (let j = 0; j < inDim; j++) s += W[off + j] * cur[j];
        out[i] = s;
      }
    }
    if (k < net.layers.length - 1) applyActivation(layer, out, 1);
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
  const csr = last.csr;
  for (let r = 0; r < rows; r++) {
    let bias = -d[r];
    const dst = r * last.inDim;
    for (let o = 0; o < last.outDim; o++) {
      const c = C[r * last.outDim + o];
      if (c === 0) continue;
      bias += c * last.b[o];
      if (csr) {
        for (let q = csr.rowPtr[o]; q < csr.rowPtr[o + 1]; q++) W[dst + csr.col[q]] += c * csr.val[q];
      } else {
        const src = o * last.inDim;
        const LW = last.W;
        for (let j = 0; j < last.inDim; j++) W[dst + j] += c * LW[src + j];
      }
    }
    b[r] = bias;
  }
  return {
    ...net,
    outputDim: rows,
    layers: [...net.layers.slice(0, -1), { inDim: last.inDim, outDim: rows, W, b }],
  };
}

/** Calls f(a, i) for every neuron i (flat, over R stacked vectors) of `layer` whose activation `a` is not the identity. */
function forEachActivated(layer: AffineLayer & { act: LayerActivation }, R: number, f: (a: Activation, i: number) => void): void {
  const n = layer.outDim;
  const { kinds, groups } = layer.act;
  kinds.forEach((a, t) => {
    if (a.piecewiseLinear === 'identity') return;
    const idx = groups[t];
    for (let r = 0; r < R; r++) {
      const off = r * n;
      for (let q = 0; q < idx.length; q++) f(a, off + idx[q]);
    }
  });
}

/** In place: the activations of `layer` applied to R stacked pre-activation vectors. */
export function applyActivation(layer: AffineLayer, Z: Float64Array, R: number): void {
  if (!layer.act) {
    const n = layer.outDim;
    const id = layer.identity;
    for (let i = 0; i < Z.length; i++) if (Z[i] < 0 && !(id && id[i % n])) Z[i] = 0;
    return;
  }
  forEachActivated(layer as AffineLayer & { act: LayerActivation }, R, (a, i) => {
    Z[i] = a.evaluate(Z[i]);
  });
}

/** In place: G (R x n, gradients w.r.t. post-activations) times each activation's derivative at Z. */
export function applyActivationDerivative(layer: AffineLayer, Z: Float64Array, G: Float64Array, R: number): void {
  if (!layer.act) {
    const n = layer.outDim;
    const id = layer.identity;
    for (let i = 0; i < G.length; i++) if (Z[i] <= 0 && !(id && id[i % n])) G[i] = 0;
    return;
  }
  forEachActivated(layer as AffineLayer & { act: LayerActivation }, R, (a, i) => {
    G[i] *= a.derivative(Z[i]);
  });
}
