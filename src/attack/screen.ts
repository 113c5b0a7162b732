import { forwardBatch } from '../network/batch.js';
import type { CanonicalBox } from '../problem/types.js';
import { objective } from './objective.js';
import { projectIntoCuts } from '../problem/polytope.js';
import { pgdAttack } from './pgd.js';
import type { CheckedCounterexample } from './validate.js';

export type CandidateCheck = (x: Float64Array) => Promise<CheckedCounterexample | null>;

export interface ScreenResult {
  readonly counterexample: CheckedCounterexample | null;
  /** Lowest objective seen (an upper bound on the minimum); Infinity if no points. */
  readonly best: number;
  /** The point of `best` (null if no points). */
  readonly bestX: Float64Array | null;
  /** Objective at each point (empty if no points). */
  readonly values: Float64Array;
}

/**
 * Evaluate R stacked candidate points on our float64 network; those that
 * look unsafe go to the reference check. A point unsafe in float64 but not
 * for the float32 model gets a few PGD steps to push it deeper first.
 */
export async function screenCandidates(
  box: CanonicalBox,
  X: Float64Array,
  R: number,
  check: CandidateCheck,
  maxChecks = 4,
): Promise<ScreenResult> {
  if (R === 0) return { counterexample: null, best: Infinity, bestX: null, values: new Float64Array(0) };
  const n0 = box.net.inputDim;
  // A region cut by constraints over several inputs: candidates are moved into it.
  if (box.inputCuts) projectIntoCuts(box, (X = X.slice()), R);
  const fwd = await forwardBatch(box.net, X, R);
  const obj = objective(fwd.output, R, box.net.outputDim, box.rowGroup, box.numDisjuncts);
  let best = Infinity;
  let bestP = -1;
  const unsafe: number[] = [];
  for (let p = 0; p < R; p++) {
    if (obj.value[p] < best) {
      best = obj.value[p];
      bestP = p;
    }
    if (obj.value[p] <= 0) unsafe.push(p);
  }
  let bestX: Float64Array | null = bestP >= 0 ? X.slice(bestP * n0, (bestP + 1) * n0) : null;
  unsafe.sort((a, b) => obj.value[a] - obj.value[b]);
  for (const p of unsafe.slice(0, maxChecks)) {
    const x = X.slice(p * n0, (p + 1) * n0);
    const cex = await check(x);
    if (cex) return { counterexample: cex, best, bestX, values: obj.value };
    const pushed = await pgdAttack(box, { starts: [x], restarts: 0, steps: 20, stopBelow: -1e-3 });
    if (pushed.value < best) {
      best = pushed.value;
      bestX = pushed.x;
    }
    if (pushed.value <= 0) {
      const again = await check(pushed.x);
      if (again) return { counterexample: again, best, bestX, values: obj.value };
    }
  }
  return { counterexample: null, best, bestX, values: obj.value };
}
