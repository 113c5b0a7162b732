/**
 * Intermediate bounds refined by branch and bound (issue 13): alpha-beta-CROWN's `bab-refine` for deep fully
 * connected networks, with our own ReLU-splitting search where it uses MIP (Gurobi).
 *
 * Why: on MNIST's 256x4 / 256x6 networks most of the root's looseness comes from neurons whose bounds straddle 0
 * by a little while the neuron never changes sign (upper bound 0.03 where no input reaches above -1.6). Each such
 * neuron keeps a triangle relaxation, and a hundred of them in the last hidden layers put the output bound at
 * -1.8 (256x4) to -400 (256x6) where the property holds by a margin. Proving a neuron of layer k stable is a
 * verification problem on the network cut after layer k, with one output row (+x_j or -x_j): small (its layers
 * below k have few ambiguous neurons once those are refined) and usually closed in a few dozen domains.
 *
 * Layer by layer from the second hidden layer: every ambiguous neuron that the probe points (the minimisers of
 * its own linear bounds) never saw on one side of 0 gets a short search to prove it never goes there. A proof
 * makes the bound 0 (the neuron is stable); a search that runs out of time still leaves a valid bound, its
 * global lower bound. After each layer, alpha-CROWN re-derives the layers above from the tightened ones.
 *
 * Soundness: a search's `unsat` means the row's computed bound cleared its rounding margin on every leaf, so the
 * true pre-activation has the proved sign; a global lower bound is widened by the layer's rounding-error scale as
 * in root-intermediates.ts. `sat` (a point with the other sign, in float64) only tells the neuron is ambiguous.
 */
import type { Bounder, IntermediateSlopes } from '../bounds/types.js';
import { alphaCrown } from '../bounds/alpha.js';
import { alphaBetaCrown } from '../bounds/beta.js';
import { optimisedIntermediates, type PreBounds } from '../bounds/root-intermediates.js';
import { forwardBatch } from '../network/batch.js';
import { foldOutputRows, type LayeredNet } from '../network/layered.js';
import { batchErrorScale, errorScale, rowMargins } from '../problem/rounding.js';
import type { CanonicalBox } from '../problem/types.js';
import { fsb } from './branching/fsb.js';
import { branchAndBound } from './search.js';

export interface RefineOptions {
  /** performance.now() by which refinement must have returned. */
  readonly deadline: number;
  /** Longest search per neuron, in seconds. */
  readonly perNeuronSeconds: number;
  /** The bounder of every neuron's search (default beta-CROWN, the search's own). */
  readonly bounder?: Bounder;
  /** Slopes of the rows behind each layer's bounds (root-intermediates), reused by the searches' domains. */
  readonly slopes?: IntermediateSlopes;
  /** Stops once this says the tightened bounds suffice (e.g. the output rows' bound closes the root). */
  readonly enough?: (pre: PreBounds) => Promise<boolean>;
}

export interface RefineStats {
  readonly tried: number;
  readonly proved: number;
  /** Searches that found a point on the other side: the neuron is ambiguous. */
  readonly ambiguous: number;
  readonly domains: number;
  /** Ambiguous neurons before and after, summed over the hidden layers. */
  readonly ambiguousBefore: number;
  readonly ambiguousAfter: number;
  /** Hidden layers whose neurons were searched. */
  readonly layers: number;
}

/** One neuron to prove stable: pre-activation j of hidden layer k never below 0 (side +1) or never above 0 (side -1). */
interface Target {
  readonly j: number;
  readonly side: 1 | -1;
  /** How far the bound is from proving it, relative to the interval (smaller first). */
  readonly gap: number;
}

/** Searches that need more than this many open domains are not worth their neuron. */
const MAX_DOMAINS = 20000;
const BATCH = 32;

function ambiguousCount(pre: PreBounds): number {
  let c = 0;
  pre.preLower.forEach((lo, k) => lo.forEach((l, j) => (c += l < 0 && pre.preUpper[k][j] > 0 ? 1 : 0)));
  return c;
}

/**
 * Tightened pre-activation bounds of every hidden layer of a ReLU network over the box, from `start` (valid on
 * the box). Returns the bounds (the same arrays, tightened in place, when nothing could be done) and what it did.
 */
export async function refineNeurons(
  net: LayeredNet,
  lower: Float64Array,
  upper: Float64Array,
  start: PreBounds,
  options: RefineOptions,
): Promise<{ pre: { preLower: Float64Array[]; preUpper: Float64Array[] }; slopes?: IntermediateSlopes; stats: RefineStats }> {
  const H = net.layers.length - 1;
  const preLower: Float64Array[] = start.preLower.map((a) => Float64Array.from(a));
  const preUpper: Float64Array[] = start.preUpper.map((a) => Float64Array.from(a));
  let slopes = options.slopes;
  const ambiguousBefore = ambiguousCount({ preLower, preUpper });
  const err = errorScale(net, lower, upper).hidden;
  const bounder = options.bounder ?? alphaBetaCrown();
  let tried = 0;
  let proved = 0;
  let ambiguous = 0;
  let domains = 0;
  let layers = 0;
  const now = () => performance.now();
  for (let k = 1; k < H && now() < options.deadline; k++) {
    const n = net.layers[k].outDim;
    const cut: LayeredNet = { ...net, outputDim: n, layers: net.layers.slice(0, k + 1) };
    const targets = await layerTargets(cut, lower, upper, preLower, preUpper, k);
    if (targets.length === 0) continue;
    layers++;
    const rootPre = { preLower: preLower.slice(0, k), preUpper: preUpper.slice(0, k) };
    for (const t of targets) {
      const left = options.deadline - now();
      if (left < 50) break;
      const C = new Float64Array(n);
      C[t.j] = t.side;
      const folded = foldOutputRows(cut, C, new Float64Array(1));
      const box: CanonicalBox = {
        index: 0,
        lower,
        upper,
        net: folded,
        unfolded: { net: cut, C, d: new Float64Array(1) },
        rowGroup: new Int32Array(1),
        numDisjuncts: 1,
        margin: rowMargins(batchErrorScale(folded, lower, upper, 1)),
      };
      tried++;
      const out = await branchAndBound(box, {
        bounder,
        branching: 'relu',
        reluRule: fsb,
        batchSize: BATCH,
        deadline: now() + Math.min(left, 1000 * options.perNeuronSeconds),
        maxDomains: MAX_DOMAINS,
        // Any point on the other side in float64 ends the search: the neuron is not stable.
        check: async (x) => ({ x, outsideBox: 0, y: new Float64Array(0), region: 0, disjunct: 0 }),
        rootPre,
        rootSlopes: slopes?.slice(0, k),
      });
      domains += out.stats.boundedDomains;
      let bound = -Infinity;
      if (out.kind === 'unsat') {
        proved++;
        bound = 0;
      } else if (out.kind === 'sat') {
        ambiguous++;
      } else if (out.kind === 'timeout') {
        // Every open leaf's bound is at least the global one, every closed leaf's above the margin.
        bound = Math.min(out.stats.globalLb, 0) - err[k][t.j];
      }
      // NaN compares false: no information.
      if (t.side > 0 && bound > preLower[k][t.j]) preLower[k][t.j] = bound;
      if (t.side < 0 && -bound < preUpper[k][t.j]) preUpper[k][t.j] = -bound;
    }
    // The layers above, re-derived from the tightened ones.
    const again = await optimisedIntermediates(net, lower, upper, options.deadline, { preLower, preUpper });
    if (again) {
      for (let q = 0; q < H; q++) {
        preLower[q] = Float64Array.from(again.preLower[q]);
        preUpper[q] = Float64Array.from(again.preUpper[q]);
      }
      slopes = again.slopes;
    }
    if (options.enough && (await options.enough({ preLower, preUpper }))) break;
  }
  return {
    pre: { preLower, preUpper },
    slopes,
    stats: { tried, proved, ambiguous, domains, ambiguousBefore, ambiguousAfter: ambiguousCount({ preLower, preUpper }), layers },
  };
}

/**
 * The ambiguous neurons of layer k worth a search, nearest to a proof first: each one's probe points (the
 * minimisers over the box of its two linear bounds from alpha-CROWN on the cut network) are evaluated; a neuron
 * seen on both sides of 0 is ambiguous, one seen on one side only is searched for the other.
 */
async function layerTargets(
  cut: LayeredNet,
  lower: Float64Array,
  upper: Float64Array,
  preLower: readonly Float64Array[],
  preUpper: readonly Float64Array[],
  k: number,
): Promise<Target[]> {
  const n = cut.outputDim;
  const n0 = cut.inputDim;
  const amb: number[] = [];
  for (let j = 0; j < n; j++) if (preLower[k][j] < 0 && preUpper[k][j] > 0) amb.push(j);
  if (amb.length === 0) return [];
  const C = new Float64Array(2 * amb.length * n);
  amb.forEach((j, i) => {
    C[2 * i * n + j] = 1;
    C[(2 * i + 1) * n + j] = -1;
  });
  const folded = foldOutputRows(cut, C, new Float64Array(2 * amb.length));
  const res = await alphaCrown().bound(folded, { size: 1, lower, upper, preLower: preLower.slice(0, k), preUpper: preUpper.slice(0, k) });
  const seenLow = new Float64Array(n).fill(Infinity);
  const seenHigh = new Float64Array(n).fill(-Infinity);
  if (res.linear) {
    const A = res.linear.A;
    const P = 2 * amb.length;
    const X = new Float64Array(P * n0);
    for (let i = 0; i < P * n0; i++) X[i] = A[i] >= 0 ? lower[i % n0] : upper[i % n0];
    const z = (await forwardBatch(cut, X, P)).output;
    for (let r = 0; r < P; r++) {
      for (const j of amb) {
        const v = z[r * n + j];
        if (v < seenLow[j]) seenLow[j] = v;
        if (v > seenHigh[j]) seenHigh[j] = v;
      }
    }
  }
  const targets: Target[] = [];
  for (const j of amb) {
    const l = preLower[k][j];
    const u = preUpper[k][j];
    // Seen only at or above 0: try to prove it never goes below; seen only at or below: never above.
    if (!(seenLow[j] < 0)) targets.push({ j, side: 1, gap: -l / (u - l) });
    else if (!(seenHigh[j] > 0)) targets.push({ j, side: -1, gap: u / (u - l) });
  }
  return targets.sort((a, b) => a.gap - b.gap);
}
