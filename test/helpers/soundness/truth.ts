/**
 * Ground truth of a fuzz instance: the exact minimum over the box of the
 * property's margin, min_disjunct min_x max_atom slack(x), by the Big-M MIP
 * (HiGHS) on the lowered network, in float64 (real-number semantics of the
 * model's float32 weights).
 *
 * The two sides are decided differently:
 * - `sat` needs a witness: a point of the box (the MIP minimiser) whose
 *   margin, recomputed by a plain forward pass and our own atom evaluation,
 *   is below -epsSat. Only float64 rounding of one forward pass stands
 *   between that and a real counterexample, so epsSat is tiny.
 * - `unsat` needs HiGHS's proven lower bound above epsUnsat, which covers
 *   the solver's feasibility and gap tolerances (1e-9, scaled by the
 *   coefficients).
 * Anything between is `ambiguous`; a MIP that did not finish is `undecided`.
 *
 * Sampled points of the box (corners included) are witnesses too, so a MIP
 * that fails on exactly the boxes that break the verifier (it shares the
 * interval and LP code) still leaves a `sat` truth; a sampled witness below a
 * proven MIP bound is recorded as a conflict, a bug of the oracle itself.
 */
import { mulberry32 } from '../../../src/attack/rng.js';
import { exactMinimum } from '../../../src/bounds/mip.js';
import { foldOutputRows, forward, type LayeredNet } from '../../../src/network/layered.js';
import type { InputBox } from './boxes.js';
import { disjunctRows, disjunctSlack, shiftProperty, type Property } from './property.js';

export interface Tolerances {
  readonly epsSat: number;
  readonly epsUnsat: number;
  /**
   * How far above zero a margin may be while the float32 model still
   * violates the property (float32 rounding of a forward pass, and the one
   * ulp a counterexample may sit outside a box with no float32 point): a
   * checked `sat` there is float32 truth, not a wrong answer.
   */
  readonly float32Band: number;
}

/** Tolerances relative to the output scale (max |y| at the box centre, at least 1). */
export function tolerances(scale: number): Tolerances {
  const s = 1 + Math.abs(scale);
  return { epsSat: 1e-9 * s, epsUnsat: 1e-7 * s, float32Band: 1e-4 * s };
}

export type TruthKind = 'sat' | 'unsat' | 'ambiguous' | 'undecided';

export interface Truth {
  readonly kind: TruthKind;
  /** A sampled point beats the MIP's proven lower bound: the oracle is wrong on this instance. */
  readonly conflict?: string;
  /** Lowest margin at a MIP minimiser (an upper bound on the exact margin; Infinity if none). */
  readonly witnessMargin: number;
  /** Proven lower bound on the exact margin. */
  readonly lowerBound: number;
  /** The minimiser attaining witnessMargin (inside the box). */
  readonly witness?: Float64Array;
  readonly tolerances: Tolerances;
  readonly seconds: number;
}

interface DisjunctMinimum {
  readonly status: 'optimal' | 'infeasible' | 'timeout';
  readonly lowerBound: number;
  readonly x: Float64Array;
  /** Margin at x by our own forward pass and atom slacks; Infinity without x. */
  readonly margin: number;
  /** HiGHS's objective value. */
  readonly value: number;
}

function inBox(x: Float64Array, box: InputBox): boolean {
  for (let i = 0; i < x.length; i++) if (!(x[i] >= box.lower[i] && x[i] <= box.upper[i])) return false;
  return true;
}

async function disjunctMinimum(net: LayeredNet, box: InputBox, p: Property, g: number, timeLimit: number): Promise<DisjunctMinimum> {
  const rows = disjunctRows(p.disjuncts[g], p.numOutputs);
  const folded = foldOutputRows(net, rows.C, rows.d);
  const res = await exactMinimum(folded, box.lower, box.upper, 'all', { timeLimit });
  const ok = res.x.length === net.inputDim && inBox(res.x, box);
  const margin = ok ? disjunctSlack(p.disjuncts[g], forward(net, res.x)) : Infinity;
  return { status: res.status, lowerBound: res.lowerBound, x: res.x, margin, value: res.value };
}

/** Lowest margin over seeded samples of the box (a quarter of them corners), and its point. */
function sampledWitness(net: LayeredNet, box: InputBox, p: Property, samples: number): { margin: number; x: Float64Array } {
  const rng = mulberry32(0x5eed);
  let best = { margin: Infinity, x: new Float64Array(0) };
  for (let s = 0; s < samples; s++) {
    const corner = s % 4 === 0;
    const x = Float64Array.from(box.lower, (l, i) => (corner ? (rng() < 0.5 ? l : box.upper[i]) : l + (box.upper[i] - l) * rng()));
    for (let i = 0; i < x.length; i++) x[i] = Math.min(box.upper[i], Math.max(box.lower[i], x[i]));
    const y = forward(net, x);
    const margin = Math.min(...p.disjuncts.map((d) => disjunctSlack(d, y)));
    if (margin < best.margin) best = { margin, x };
  }
  return best;
}

/** Exact truth of the property on the box; `timeLimit` seconds per disjunct. */
export async function exactTruth(net: LayeredNet, box: InputBox, p: Property, scale: number, timeLimit = 10): Promise<Truth> {
  const t0 = performance.now();
  const tol = tolerances(scale);
  let witnessMargin = Infinity;
  let witness: Float64Array | undefined;
  let lowerBound = Infinity;
  let finished = true;
  for (let g = 0; g < p.disjuncts.length; g++) {
    const r = await disjunctMinimum(net, box, p, g, timeLimit);
    // A non-empty box cannot make the MIP infeasible: treat it as unfinished.
    if (r.status !== 'optimal') finished = false;
    lowerBound = Math.min(lowerBound, r.status === 'infeasible' ? -Infinity : r.lowerBound);
    if (r.margin < witnessMargin) {
      witnessMargin = r.margin;
      witness = r.x;
    }
  }
  const sampled = sampledWitness(net, box, p, 256);
  const conflict =
    finished && sampled.margin < lowerBound - tol.epsUnsat ? `sampled margin ${sampled.margin} below the MIP bound ${lowerBound}` : undefined;
  if (sampled.margin < witnessMargin) {
    witnessMargin = sampled.margin;
    witness = sampled.x;
  }
  const kind: TruthKind =
    witnessMargin < -tol.epsSat ? 'sat' : finished && lowerBound > tol.epsUnsat ? 'unsat' : finished ? 'ambiguous' : 'undecided';
  return { kind, conflict, witnessMargin, lowerBound, witness, tolerances: tol, seconds: (performance.now() - t0) / 1000 };
}

/**
 * The property shifted so that its exact margin is `target`: the MIP's
 * optimum M of the unshifted property, then every atom moved by M - target.
 * The caller decides truth afresh on the result (exactTruth), not from M.
 */
export async function tuneProperty(net: LayeredNet, box: InputBox, p: Property, target: number, timeLimit = 10): Promise<Property | undefined> {
  let M = Infinity;
  for (let g = 0; g < p.disjuncts.length; g++) {
    const r = await disjunctMinimum(net, box, p, g, timeLimit);
    if (r.status !== 'optimal') return undefined;
    M = Math.min(M, r.value);
  }
  return shiftProperty(p, M - target);
}
