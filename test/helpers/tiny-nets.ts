/** Small hand-made and seeded random LayeredNets for the LP / MIP tests. */
import type { AffineLayer, LayeredNet } from '../../src/network/layered.js';

/** Seeded PRNG, uniform in [0, 1): the verifier's own (src/attack/rng.ts). */
import { mulberry32 as tinyRng } from '../../src/attack/rng.js';

export { tinyRng };

/** Standard normal from a uniform source (Box-Muller). */
export function gaussian(rng: () => number): number {
  const u = Math.max(rng(), 1e-300);
  return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * rng());
}

/** LayeredNet from nested arrays: layers[k] = { W: rows of weights, b }. */
export function netFromArrays(layers: readonly { W: readonly (readonly number[])[]; b: readonly number[] }[]): LayeredNet {
  const L: AffineLayer[] = layers.map(({ W, b }) => ({
    inDim: W[0].length,
    outDim: W.length,
    W: Float64Array.from(W.flat()),
    b: Float64Array.from(b),
  }));
  return { inputShape: [1, L[0].inDim], inputDim: L[0].inDim, outputDim: L[L.length - 1].outDim, layers: L };
}

/**
 * [Th2] A.6.1 (ALGORITHMS.md §3.3): x0 in [-1,1]^2,
 * xhat1 = [[1,-1],[1,-1]] x0 + [-1,1], xhat2 = [[-1,2],[-2,1]] x1 + [-2,0], output 2 x2[0] - x2[1].
 * Planet LP with LP-tight bounds -1.2273, true minimum -1.
 */
export function thesisNet(): { net: LayeredNet; lower: Float64Array; upper: Float64Array } {
  const net = netFromArrays([
    { W: [[1, -1], [1, -1]], b: [-1, 1] },
    { W: [[-1, 2], [-2, 1]], b: [-2, 0] },
    { W: [[2, -1]], b: [0] },
  ]);
  return { net, lower: Float64Array.of(-1, -1), upper: Float64Array.of(1, 1) };
}

/** [LD] slides: x in [-2,2]^2, y = -ReLU(x1+x2) - ReLU(x1-x2). Planet -6 (interval bounds [-4,4]), true min -4. */
export function ldNet(): { net: LayeredNet; lower: Float64Array; upper: Float64Array } {
  const net = netFromArrays([
    { W: [[1, 1], [1, -1]], b: [0, 0] },
    { W: [[-1, -1]], b: [0] },
  ]);
  return { net, lower: Float64Array.of(-2, -2), upper: Float64Array.of(2, 2) };
}

/** Seeded random fully connected net, sizes = [in, hidden..., out], He-like scale, small biases. */
export function tinyRandomNet(seed: number, sizes: readonly number[]): LayeredNet {
  const rng = tinyRng(seed);
  const layers: AffineLayer[] = [];
  for (let k = 1; k < sizes.length; k++) {
    const inDim = sizes[k - 1];
    const outDim = sizes[k];
    const scale = Math.sqrt(2 / inDim);
    const W = new Float64Array(outDim * inDim);
    for (let i = 0; i < W.length; i++) W[i] = gaussian(rng) * scale;
    const b = new Float64Array(outDim);
    for (let i = 0; i < outDim; i++) b[i] = 0.1 * gaussian(rng);
    layers.push({ inDim, outDim, W, b });
  }
  return { inputShape: [1, sizes[0]], inputDim: sizes[0], outputDim: sizes[sizes.length - 1], layers };
}

/** Uniform point of the box [lower, upper]. */
export function samplePoint(rng: () => number, lower: Float64Array, upper: Float64Array): Float64Array {
  const x = new Float64Array(lower.length);
  for (let i = 0; i < x.length; i++) x[i] = lower[i] + (upper[i] - lower[i]) * rng();
  return x;
}
