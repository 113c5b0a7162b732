/**
 * Optimised intermediate bounds for the root of ReLU-splitting branch and
 * bound (issue 13; alpha-CROWN optimises every layer's bounds, not only the
 * output's): for each hidden layer k in turn, the pre-activation bounds of
 * its ambiguous neurons are output rows (+x_j and -x_j) of the network cut
 * after layer k, bounded by alpha-CROWN given the layers below as already
 * tightened. Every child inherits the root's pre-activation bounds (a
 * child's region lies inside the root's), so the whole tree starts from them.
 *
 * Each bound is widened outward by the layer's rounding-error scale
 * (src/problem/rounding.ts): the intermediate bounds of the other bounders
 * carry errors of that size, which the output rows' margins cover.
 */
import { foldOutputRows, isReluNet, type LayeredNet } from '../network/layered.js';
import { rowSeconds } from '../network/linear.js';
import { errorScale } from '../problem/rounding.js';
import { intersectBounds } from '../tensor/arrays.js';
import { alphaCrown } from './alpha.js';
import { crown } from './crown.js';
import type { IntermediateSlopes, LayerRowSlopes } from './types.js';

export interface RootIntermediates {
  readonly preLower: Float64Array[];
  readonly preUpper: Float64Array[];
  /** The optimised slopes of the rows behind each tightened layer, for the search's children to reuse. */
  readonly slopes: IntermediateSlopes;
  /** Ambiguous neurons before and after, summed over the hidden layers. */
  readonly ambiguousBefore: number;
  readonly ambiguousAfter: number;
}

/** Dense rows x inDim of a folded layer beyond which a layer is left at CROWN's bounds. */
const MAX_FOLDED_ENTRIES = 1 << 22;
const ITERATIONS = 20;

export interface PreBounds {
  readonly preLower: readonly Float64Array[];
  readonly preUpper: readonly Float64Array[];
}

/** Neurons whose bounds straddle 0 (lower < 0 < upper), summed over the hidden layers. */
export function ambiguousCount(pre: PreBounds): number {
  return ambiguousPerLayer(pre).reduce((a, b) => a + b, 0);
}

/** Ambiguous neurons (lower < 0 < upper) of each hidden layer. */
export function ambiguousPerLayer(pre: PreBounds): number[] {
  return pre.preLower.map((lo, k) => lo.reduce((c, l, j) => c + (l < 0 && pre.preUpper[k][j] > 0 ? 1 : 0), 0));
}

/**
 * Tightened pre-activation bounds of every hidden layer over the box, or
 * null when the network is not piecewise linear. They start from `start`
 * (bounds known to hold on the box, e.g. the root's first bound; default
 * CROWN's) and only tighten them; layers that do not fit `deadline` keep them.
 */
export async function optimisedIntermediates(net: LayeredNet, lower: Float64Array, upper: Float64Array, deadline: number, start?: PreBounds): Promise<RootIntermediates | null> {
  if (!isReluNet(net)) return null;
  const H = net.layers.length - 1;
  if (H < 2) return null;
  const base = start ?? (await crown().bound(net, { size: 1, lower, upper }));
  const preLower = base.preLower.map((a) => a.slice());
  const preUpper = base.preUpper.map((a) => a.slice());
  const count = () => ambiguousCount({ preLower, preUpper });
  const ambiguousBefore = count();
  const slopes: (LayerRowSlopes | undefined)[] = new Array(H).fill(undefined);
  const err = errorScale(net, lower, upper).hidden;
  // The first hidden layer's pre-activations are affine in the input: CROWN's bounds are exact there.
  for (let k = 1; k < H; k++) {
    const n = net.layers[k].outDim;
    const amb: number[] = [];
    for (let j = 0; j < n; j++) if (preLower[k][j] < 0 && preUpper[k][j] > 0) amb.push(j);
    if (amb.length === 0) continue;
    if (2 * amb.length * net.layers[k].inDim > MAX_FOLDED_ENTRIES) continue;
    const cut: LayeredNet = { ...net, outputDim: n, layers: net.layers.slice(0, k + 1) };
    // One row through the cut network, both ways, per iteration.
    const seconds = 2 * 2 * amb.length * rowSeconds(cut) * (ITERATIONS + 1);
    if (performance.now() + 1000 * seconds > deadline) break;
    const C = new Float64Array(2 * amb.length * n);
    amb.forEach((j, i) => {
      C[2 * i * n + j] = 1;
      C[(2 * i + 1) * n + j] = -1;
    });
    const folded = foldOutputRows(cut, C, new Float64Array(2 * amb.length));
    const res = await alphaCrown({ iterations: ITERATIONS }).bound(
      folded,
      // certify: the slopes of each row's best iterate (bestDual), kept for the children.
      { size: 1, lower, upper, preLower: preLower.slice(0, k), preUpper: preUpper.slice(0, k), certify: true },
      { deadline },
    );
    const best = res.bestDual ?? res.dual;
    if (best) {
      const rowOf = new Int32Array(n).fill(-1);
      amb.forEach((j, i) => (rowOf[j] = 2 * i));
      slopes[k] = { rowOf, slopes: best.map((a) => Float32Array.from(a)) };
    }
    amb.forEach((j, i) => {
      const lo = res.rowLower[2 * i] - err[k][j];
      const hi = -res.rowLower[2 * i + 1] + err[k][j];
      // NaN is no information: the comparisons keep the old bound.
      if (lo > preLower[k][j]) preLower[k][j] = lo;
      if (hi < preUpper[k][j]) preUpper[k][j] = hi;
    });
    // Layers below k were re-derived by the bounder with these as given: take its (intersected) bounds too.
    for (let q = 0; q < k; q++) intersectBounds(preLower[q], preUpper[q], res.preLower[q], res.preUpper[q]);
  }
  return { preLower, preUpper, slopes, ambiguousBefore, ambiguousAfter: count() };
}
