/**
 * Complete verification of one canonical box by exact Big-M MIP (HiGHS),
 * one MIP per disjunct: min over the box of max_{r in disjunct} g_r. For
 * small networks (the MIP is exponential in the ambiguous ReLUs), selected
 * with `--bounder mip`.
 *
 * Soundness: a disjunct is excluded only when HiGHS's dual bound, lowered
 * by MIP_SAFETY, clears the margin; `sat` only through the reference check
 * of the MIP's minimiser. Anything else is `unknown`, never a guess.
 */
import { screenCandidates, type CandidateCheck } from '../attack/screen.js';
import type { BabOutcome } from '../bab/search.js';
import { safeMipBound } from '../bounds/lp-bounder.js';
import { exactMinimum } from '../bounds/mip.js';
import type { CanonicalBox } from '../problem/types.js';
import type { Witness } from '../attack/witness.js';

export async function exactMipBox(box: CanonicalBox, check: CandidateCheck, deadline: number, witness: Witness): Promise<BabOutcome> {
  let solved = 0;
  let lowest = Infinity;
  const stats = () => ({ iterations: solved, openDomains: 0, boundedDomains: solved, tightBounded: 0, globalLb: lowest, bestObjective: NaN });
  let undecided = '';
  for (let d = 0; d < box.numDisjuncts; d++) {
    const rows: number[] = [];
    for (let r = 0; r < box.rowGroup.length; r++) if (box.rowGroup[r] === d) rows.push(r);
    const timeLimit = (deadline - performance.now()) / 1000;
    if (timeLimit <= 0) return { kind: 'timeout', stats: stats() };
    const res = await exactMinimum(box.net, box.lower, box.upper, rows, { timeLimit });
    if (res.status === 'infeasible') {
      undecided ||= `MIP reported disjunct ${d} infeasible (not certified)`;
      continue;
    }
    solved++;
    lowest = Math.min(lowest, safeMipBound(res.lowerBound));
    if (rows.every((r) => safeMipBound(res.lowerBound) > box.margin[r])) continue;
    if (res.x.length > 0) {
      const s = await screenCandidates(box, res.x, 1, check);
      witness.note(box.index, s.best, s.bestX, 'exact MIP minimiser');
      if (s.counterexample) return { kind: 'sat', counterexample: s.counterexample, stats: stats() };
    }
    if (res.status === 'timeout') return { kind: 'timeout', stats: stats() };
    undecided ||= `MIP minimum of disjunct ${d} is ${res.value.toExponential(3)}, within the soundness margin or not confirmed by onnxruntime`;
  }
  return undecided ? { kind: 'unknown', reason: undecided, stats: stats() } : { kind: 'unsat', stats: stats() };
}
