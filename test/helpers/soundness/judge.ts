/**
 * Judging one verifier answer against the exact truth. The verifier's own
 * counterexample check is not trusted: every `sat` is re-checked here, by a
 * separate onnxruntime session on the original model and our own evaluation
 * of the property's atoms.
 *
 * Wrong answers:
 * - `unsat` while the MIP holds a witness with margin < -epsSat;
 * - `sat` whose counterexample does not re-check;
 * - `sat` with a re-checked counterexample while the MIP proves the margin
 *   above the float32 band: impossible unless the harness (truth, lowering
 *   or re-check) is broken, so it is reported as a harness bug.
 */
import type { ReferenceModel } from '../../../src/onnx/reference.js';
import type { Outcome } from '../../../src/report/verdict.js';
import { ulp32, type InputBox } from './boxes.js';
import { reachedDisjunct, type Property } from './property.js';
import type { Truth } from './truth.js';

/** VNN-COMP's tolerance on counterexamples outside the box. */
export const BOX_TOLERANCE = 1e-4;

export type Status = 'correct' | 'wrong' | 'ambiguous' | 'undecided' | 'float32-sat' | 'error';

export interface Judgement {
  readonly status: Status;
  /** Short class of the failure, for tallies: e.g. 'unsat-on-sat', 'bad-counterexample'. */
  readonly category?: string;
  readonly detail?: string;
}

export interface Recheck {
  readonly ok: boolean;
  readonly reason?: string;
  /** The reported outputs differ from the re-run's (the formula was checked on the re-run's). */
  readonly outputsDiffer?: boolean;
}

/** Is x_i in [lower, upper], or within one float32 ulp and BOX_TOLERANCE of it? */
function nearBox(v: number, lower: number, upper: number): boolean {
  if (v >= lower && v <= upper) return true;
  const dist = v < lower ? lower - v : v - upper;
  return dist <= BOX_TOLERANCE && dist <= ulp32(v);
}

/** Re-run the original model at the counterexample and evaluate the property afresh. */
export async function recheckCounterexample(
  model: ReferenceModel,
  box: InputBox,
  p: Property,
  cex: { readonly x: ArrayLike<number>; readonly y: ArrayLike<number> },
): Promise<Recheck> {
  const x = Float64Array.from(cex.x);
  if (x.length !== box.lower.length) return { ok: false, reason: `counterexample has ${x.length} inputs, the box ${box.lower.length}` };
  for (let i = 0; i < x.length; i++) {
    if (!Number.isFinite(x[i])) return { ok: false, reason: `X_${i} = ${x[i]}` };
    // The model reads float32: any other value is not the point it is run at.
    if (Math.fround(x[i]) !== x[i]) return { ok: false, reason: `X_${i} = ${x[i]} is not a float32` };
    if (!nearBox(x[i], box.lower[i], box.upper[i])) {
      return { ok: false, reason: `X_${i} = ${x[i]} outside [${box.lower[i]}, ${box.upper[i]}] by more than one ulp or ${BOX_TOLERANCE}` };
    }
  }
  const y = await model.run(x);
  const outputsDiffer = y.length !== cex.y.length || y.some((v, j) => v !== cex.y[j]);
  if (reachedDisjunct(p, y) < 0) {
    return { ok: false, reason: `onnxruntime outputs [${Array.from(y).join(', ')}] reach no disjunct`, outputsDiffer };
  }
  return { ok: true, outputsDiffer };
}

/** Classify one answer; `recheck` is called only for `sat`. */
export async function judge(truth: Truth, outcome: Outcome, recheck: (cex: { x: Float64Array; y: Float64Array }) => Promise<Recheck>): Promise<Judgement> {
  switch (outcome.verdict) {
    case 'error':
      return { status: 'error', category: 'error', detail: outcome.message };
    case 'timeout':
    case 'unknown':
      return { status: 'undecided' };
    case 'unsat':
      if (truth.kind === 'sat') {
        return { status: 'wrong', category: 'unsat-on-sat', detail: `exact witness margin ${truth.witnessMargin}` };
      }
      return truth.kind === 'unsat' ? { status: 'correct' } : { status: 'ambiguous' };
    case 'sat': {
      const r = await recheck(outcome.counterexample);
      if (!r.ok) return { status: 'wrong', category: 'bad-counterexample', detail: r.reason };
      if (truth.kind === 'unsat') {
        return truth.lowerBound > truth.tolerances.float32Band
          ? { status: 'wrong', category: 'harness-bug', detail: `re-checked sat, but the MIP proves margin >= ${truth.lowerBound}` }
          : { status: 'float32-sat', detail: `real margin >= ${truth.lowerBound}, float32 model violates` };
      }
      return truth.kind === 'sat' ? { status: 'correct' } : { status: 'ambiguous' };
    }
  }
}
