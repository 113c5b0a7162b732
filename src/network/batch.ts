import { backwardProduct, forwardProduct } from './linear.js';
import { applyActivation, applyActivationDerivative, type LayeredNet } from './layered.js';

export { weightT } from './linear.js';

export interface BatchForward {
  /** R x outputDim */
  readonly output: Float64Array;
  /** Pre-activations of every layer, R x n_k (the last one equals `output`). */
  readonly pre: Float64Array[];
}

/** Forward pass of R stacked inputs (R x n_0) in float64. */
export async function forwardBatch(net: LayeredNet, X: Float64Array, R: number): Promise<BatchForward> {
  const pre: Float64Array[] = [];
  let cur = X;
  const last = net.layers.length - 1;
  for (let k = 0; k <= last; k++) {
    const layer = net.layers[k];
    const Z = await forwardProduct(layer, cur, R);
    const n = layer.outDim;
    for (let r = 0; r < R; r++) for (let j = 0; j < n; j++) Z[r * n + j] += layer.b[j];
    pre.push(Z);
    if (k === last) break;
    const act = Z.slice();
    applyActivation(layer, act, R);
    cur = act;
  }
  return { output: pre[last], pre };
}

/**
 * Gradient with respect to the inputs of sum_r <G_r, output_r>, given the
 * pre-activations of a forward pass (each activation's derivative; ReLU's is 0 at 0).
 */
export async function backwardBatch(net: LayeredNet, fwd: BatchForward, G: Float64Array, R: number): Promise<Float64Array> {
  let g = G;
  for (let k = net.layers.length - 1; k >= 0; k--) {
    const layer = net.layers[k];
    if (k < net.layers.length - 1) applyActivationDerivative(layer, fwd.pre[k], g, R);
    g = await backwardProduct(layer, g, R);
  }
  return g;
}
