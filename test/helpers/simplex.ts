/** Random ReLU nets over ℓ1 balls and simplex images, and the exact oracle the simplex bounder tests compare with. */
import { forward, type LayeredNet } from '../../src/network/layered.js';
import { l1Ball, samplePoint, simplexImage, simplexVertices, type SimplexSet } from '../../src/problem/input-set.js';
import { exactMinimumOverSet } from '../../src/bounds/simplex/mip.js';
import { makeRng, normal, randomNet, type Rng } from './random-net.js';

export { makeRng };

export interface SimplexCase {
  readonly net: LayeredNet;
  readonly set: SimplexSet;
  readonly label: string;
}

/** Case t: alternately an ℓ1 ball, an ℓ1 ball clipped to [0,1], and a dense simplex image. */
export function simplexCase(rng: Rng, t: number, dims: readonly number[] = [4, 6, 6, 2]): SimplexCase {
  const net = randomNet(rng, dims);
  const n0 = dims[0];
  const kind = t % 3;
  if (kind === 0) return { net, set: l1Ball(Float64Array.from({ length: n0 }, () => normal(rng)), 0.4 + 1.2 * rng()), label: `l1 #${t}` };
  if (kind === 1) {
    const x0 = Float64Array.from({ length: n0 }, () => rng());
    return { net, set: l1Ball(x0, 0.5 + rng(), { lower: new Float64Array(n0), upper: new Float64Array(n0).fill(1) }), label: `clipped l1 #${t}` };
  }
  const m = 3 + Math.floor(rng() * 4);
  const set = simplexImage(
    Float64Array.from({ length: n0 }, () => normal(rng)),
    Float64Array.from({ length: n0 * m }, () => normal(rng)),
    m,
    0.5 + rng(),
  );
  return { net, set, label: `simplex image m=${m} #${t}` };
}

/**
 * Per output row, the smallest network value found on the set: the MIP's
 * optimum (projected into the set and evaluated exactly), the vertices and
 * some samples. Every valid lower bound is at most this.
 */
export async function trueMinima(c: SimplexCase, rng: Rng, samples = 300): Promise<Float64Array> {
  const m = c.net.outputDim;
  const out = new Float64Array(m).fill(Infinity);
  const see = (x: Float64Array) => {
    const y = forward(c.net, x);
    for (let o = 0; o < m; o++) if (y[o] < out[o]) out[o] = y[o];
  };
  if (!c.set.clip) simplexVertices(c.set).forEach(see);
  for (let s = 0; s < samples; s++) see(samplePoint(c.set, rng));
  for (let o = 0; o < m; o++) {
    const mip = await exactMinimumOverSet(c.net, c.set, o);
    if (mip.valueAtX < out[o]) out[o] = mip.valueAtX;
  }
  return out;
}

/**
 * [Th3] B.2's neuron in a network: x in Δ_2, h1 = relu(2 x1 + x2 - 1.25),
 * h2 = relu(x1) = x1, output h2·0.75 - h1. On the simplex h1 <= 0.75 x1
 * (the hull), so the minimum is 0; Planet allows h1 = 0.75 x1 + 0.375 x2,
 * which gives -0.375 at x = e2.
 */
export function workedExampleNet(): LayeredNet {
  return {
    inputShape: [1, 2],
    inputDim: 2,
    outputDim: 1,
    layers: [
      { inDim: 2, outDim: 2, W: Float64Array.of(2, 1, 1, 0), b: Float64Array.of(-1.25, 0) },
      { inDim: 2, outDim: 1, W: Float64Array.of(-1, 0.75), b: Float64Array.of(0) },
    ],
  };
}

/** Slack for float64 rounding in the comparisons. */
export const TOL = 1e-7;
