import { screenCandidates, type CandidateCheck } from '../attack/screen.js';
import type { CheckedCounterexample } from '../attack/validate.js';
import { planetLp } from '../bounds/lp.js';
import { exactMinimum } from '../bounds/mip.js';
import { safeMipBound } from '../bounds/lp-bounder.js';
import type { CanonicalBox } from '../problem/types.js';
import { isReluNet, nonReluActivations } from '../network/layered.js';
import type { Domain } from './domain.js';
import { hasSplitConstraints } from '../bounds/ibp.js';
import type { Witness } from '../attack/witness.js';

export type LeafOutcome =
  | { readonly kind: 'closed' }
  | { readonly kind: 'sat'; readonly counterexample: CheckedCounterexample }
  | { readonly kind: 'undecided'; readonly reason: string };

/**
 * A ReLU-split domain with no ambiguous neuron left: the network is linear on
 * it, so an LP decides it exactly (ALGORITHMS.md §5.1 leaves this as a to-do
 * of the reference code). Per-row LP bounds are certified from the duals;
 * a disjunct of several rows (an AND, i.e. a max) needs the LP of min t,
 * t >= g_r, whose optimum at HiGHS's 1e-9 tolerances is well inside the
 * soundness margin. A non-positive optimum comes with its minimiser, which
 * is a true counterexample once checked.
 */
export async function solveLeaf(
  box: CanonicalBox,
  domain: Domain,
  check: CandidateCheck,
  witness: Witness,
  timeLimitSeconds: number,
): Promise<LeafOutcome> {
  const net = box.net;
  if (!isReluNet(net)) {
    // Splits at 0 do not make a sigmoid or sign neuron linear: no LP decides this leaf.
    return { kind: 'undecided', reason: `a domain has no neuron left that can be split (activations ${nonReluActivations(net).join(', ')})` };
  }
  const margin = box.margin;
  const pre = { lower: domain.preLower!, upper: domain.preUpper! };
  // Only split constraints can make a domain empty; an infeasible LP on a
  // domain without them is numerical trouble, not a proof.
  const mayBeEmpty = hasSplitConstraints(domain.splits, (k) => net.layers[k].identity);
  const lp = await planetLp(net, domain.lower, domain.upper, pre.lower, pre.upper, { timeLimit: timeLimitSeconds, mayBeEmpty });
  if (lp.status === 'infeasible') return { kind: 'closed' };
  for (let g = 0; g < domain.open.length; g++) {
    if (!domain.open[g]) continue;
    const rows = Array.from(box.rowGroup.keys()).filter((r) => box.rowGroup[r] === g);
    if (rows.some((r) => lp.rowLower[r] > margin[r])) continue;
    // Closing needs a rigorous bound: the LP's dual-certified one, or the
    // MIP's dual bound made safe; the solvers' objective values only propose points.
    let exact: { value: number; x: Float64Array; bound: number };
    if (rows.length === 1) {
      exact = { value: lp.lpValue[rows[0]], x: lp.argmin[rows[0]], bound: lp.rowLower[rows[0]] };
    } else {
      const mip = await exactMinimum(net, domain.lower, domain.upper, rows, {
        preLower: pre.lower,
        preUpper: pre.upper,
        tighten: 'interval',
        timeLimit: timeLimitSeconds,
      });
      if (mip.status === 'infeasible') {
        if (mayBeEmpty) continue;
        return { kind: 'undecided', reason: 'leaf MIP reported an empty domain without split constraints' };
      }
      exact = { value: mip.value, x: mip.x, bound: safeMipBound(mip.lowerBound) };
    }
    // A disjunct (AND of rows) is closed when the bound on its max clears every row's margin.
    if (rows.every((r) => exact.bound > margin[r])) continue;
    if (exact.x.length > 0) {
      // Judged by our forward pass at the point, not by the solver's objective value.
      const s = await screenCandidates(box, exact.x, 1, check);
      witness.note(box.index, s.best, s.bestX, 'leaf LP/MIP minimiser');
      if (s.counterexample) return { kind: 'sat', counterexample: s.counterexample };
    }
    return { kind: 'undecided', reason: `leaf LP optimum ${exact.value} is not above the margin and gave no checked counterexample` };
  }
  return { kind: 'closed' };
}
