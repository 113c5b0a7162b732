import type { CandidateCheck } from '../attack/screen.js';
import type { CheckedCounterexample } from '../attack/validate.js';
import { planetLp } from '../bounds/lp.js';
import { exactMinimum } from '../bounds/mip.js';
import type { CanonicalBox } from '../problem/types.js';
import type { Domain } from './domain.js';

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
  margin: number,
  timeLimitSeconds: number,
): Promise<LeafOutcome> {
  const net = box.net;
  const pre = { lower: domain.preLower!, upper: domain.preUpper! };
  const lp = await planetLp(net, domain.lower, domain.upper, pre.lower, pre.upper, { timeLimit: timeLimitSeconds });
  if (lp.status === 'infeasible') return { kind: 'closed' };
  for (let g = 0; g < domain.open.length; g++) {
    if (!domain.open[g]) continue;
    const rows = Array.from(box.rowGroup.keys()).filter((r) => box.rowGroup[r] === g);
    if (rows.some((r) => lp.rowLower[r] > margin)) continue;
    const exact =
      rows.length === 1
        ? { value: lp.lpValue[rows[0]], x: lp.argmin[rows[0]] }
        : await exactMinimum(net, domain.lower, domain.upper, rows, {
            preLower: pre.lower,
            preUpper: pre.upper,
            tighten: 'interval',
            timeLimit: timeLimitSeconds,
          });
    if (exact.value > margin) continue;
    if (exact.x.length > 0 && exact.value <= 0) {
      const cex = await check(exact.x);
      if (cex) return { kind: 'sat', counterexample: cex };
    }
    return { kind: 'undecided', reason: `leaf LP optimum ${exact.value} is not above the margin and gave no checked counterexample` };
  }
  return { kind: 'closed' };
}
