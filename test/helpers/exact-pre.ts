import assert from 'node:assert/strict';
import { exactMinimum } from '../../src/bounds/mip.js';
import { foldOutputRows, type LayeredNet } from '../../src/network/layered.js';

/** The network cut after hidden layer k, its outputs the pre-activations of that layer. */
export function cutAt(net: LayeredNet, k: number): LayeredNet {
  return { ...net, outputDim: net.layers[k].outDim, layers: net.layers.slice(0, k + 1) };
}

/**
 * The exact extreme of pre-activation x_kj over the box, by the MIP on the cut network with the one row s·x_kj:
 * its minimum for s = 1, its maximum for s = -1.
 */
export async function exactPre(net: LayeredNet, k: number, j: number, s: 1 | -1, lower: Float64Array, upper: Float64Array): Promise<number> {
  const C = new Float64Array(net.layers[k].outDim);
  C[j] = s;
  const res = await exactMinimum(foldOutputRows(cutAt(net, k), C, new Float64Array(1)), lower, upper, [0]);
  assert.equal(res.status, 'optimal');
  return s * res.value;
}
