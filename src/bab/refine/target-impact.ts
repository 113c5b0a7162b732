/**
 * How much proving each candidate neuron stable would move the output rows' bound: the order in which a layer's
 * neurons are worth searching (refine-neurons.ts).
 *
 * Why: on MNIST 256x4 prop_12_0.05, after the first refinement pass, the last hidden layer had 64 neurons that PGD
 * never saw on one side of 0. Setting all 64 stable (a ceiling) moves alpha-CROWN's output bound from -1.95 to
 * +0.40. Setting them stable in the order nearest to a proof first, the first 40 only reach -1.60; in the order
 * of this module's estimate, 10 reach -0.08 and 15 +0.18. Two neurons carry a third of the total gain.
 *
 * The estimate is one CROWN pass over the whole network per candidate, all candidates in one batch, with every
 * layer's bounds kept as they are except the candidate's own, clamped to its side: the direct effect of that
 * neuron's relaxation on the output rows. Its effect through the layers above is left out; below the last hidden
 * layers of a deep network (256x6, output bounds near -1000) every neuron's direct effect is small beside the
 * deficit, and the caller then keeps its order.
 */
import { crown } from '../../bounds/crown.js';
import type { PreBounds } from '../../bounds/root-intermediates.js';
import type { LayeredNet } from '../../network/layered.js';
import type { NeuronTarget } from './neuron-search.js';

export interface TargetImpact {
  /** Per target, the estimated reduction of the output rows' deficit (sum over rows of their negative parts). */
  readonly gain: Float64Array;
  /** The deficit itself, from the same CROWN pass without any clamp. */
  readonly deficit: number;
}

/** Candidates per CROWN call (each one a domain of the batch). */
const CHUNK = 64;

export async function targetImpact(net: LayeredNet, lower: Float64Array, upper: Float64Array, pre: PreBounds, k: number, targets: readonly NeuronTarget[]): Promise<TargetImpact> {
  const H = net.layers.length - 1;
  const m = net.outputDim;
  const n0 = net.inputDim;
  const n = net.layers[k].outDim;
  // The same pass without a clamp: every layer's bounds as given (a full CROWN pass would re-derive them, and
  // could come out tighter than the clamped passes for reasons that are not the neuron's).
  const base = await crown().bound(net, { size: 1, lower, upper, preLower: pre.preLower, preUpper: pre.preUpper, freshFrom: Int32Array.of(H) });
  // NaN is no information: a row without a bound counts as not closed, with no deficit to reduce.
  const need = Float64Array.from(base.rowLower, (v) => (v < 0 ? -v : 0));
  const deficit = need.reduce((s, v) => s + v, 0);
  const gain = new Float64Array(targets.length);
  for (let t0 = 0; t0 < targets.length && deficit > 0; t0 += CHUNK) {
    const chunk = targets.slice(t0, t0 + CHUNK);
    const P = chunk.length;
    const stack = (a: readonly Float64Array[]) =>
      a.map((v) => {
        const out = new Float64Array(P * v.length);
        for (let p = 0; p < P; p++) out.set(v, p * v.length);
        return out;
      });
    const preLower = stack(pre.preLower);
    const preUpper = stack(pre.preUpper);
    // A stability target clamped to its side; a tightening to the value seen (the most its search can prove).
    chunk.forEach((t, p) => {
      const level = t.tighten ? t.tighten.seen : 0;
      if (t.side > 0) preLower[k][p * n + t.j] = Math.max(preLower[k][p * n + t.j], level);
      else preUpper[k][p * n + t.j] = Math.min(preUpper[k][p * n + t.j], -level);
    });
    const lo = new Float64Array(P * n0);
    const hi = new Float64Array(P * n0);
    for (let p = 0; p < P; p++) {
      lo.set(lower, p * n0);
      hi.set(upper, p * n0);
    }
    // freshFrom H: no hidden layer's bounds are re-derived, only the output rows' pass runs.
    const res = await crown().bound(net, { size: P, lower: lo, upper: hi, preLower, preUpper, freshFrom: new Int32Array(P).fill(H) });
    for (let p = 0; p < P; p++) {
      let g = 0;
      for (let r = 0; r < m; r++) {
        const up = res.rowLower[p * m + r] - base.rowLower[r];
        if (up > 0) g += Math.min(up, need[r]);
      }
      gain[t0 + p] = g;
    }
  }
  return { gain, deficit };
}
