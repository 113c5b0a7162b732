/**
 * Plain-loop interval arithmetic through one layer of a LayeredNet, for
 * single boxes (the HiGHS encodings and the rounding error scale); the
 * batched IBP bounder lives in src/bounds/ibp.ts.
 */
import { activationsOf, type LayeredNet } from './layered.js';
import { forEachWeight } from './linear.js';

/** Interval image of layer k's affine map on [l, u]. */
export function affineInterval(net: LayeredNet, k: number, l: Float64Array, u: Float64Array): { lo: Float64Array; hi: Float64Array } {
  const layer = net.layers[k];
  const { b, outDim } = layer;
  const lo = new Float64Array(outDim);
  const hi = new Float64Array(outDim);
  for (let j = 0; j < outDim; j++) {
    let a = b[j];
    let c = b[j];
    forEachWeight(layer, j, (i, w) => {
      if (w > 0) {
        a += w * l[i];
        c += w * u[i];
      } else if (w < 0) {
        a += w * u[i];
        c += w * l[i];
      }
    });
    lo[j] = a;
    hi[j] = c;
  }
  return { lo, hi };
}

/** Post-activation interval of hidden layer k from its pre-activation interval. */
export function activateInterval(net: LayeredNet, k: number, lo: Float64Array, hi: Float64Array): { l: Float64Array; u: Float64Array } {
  const { kinds, kindOf } = activationsOf(net.layers[k]);
  const l = new Float64Array(lo.length);
  const u = new Float64Array(hi.length);
  for (let j = 0; j < lo.length; j++) {
    const a = kinds[kindOf[j]];
    l[j] = a.lowerOf(lo[j], hi[j]);
    u[j] = a.upperOf(lo[j], hi[j]);
  }
  return { l, u };
}
