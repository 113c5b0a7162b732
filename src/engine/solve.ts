import type { Logger } from 'pino';
import { pgdAttack } from '../attack/pgd.js';
import { screenCandidates, type CandidateCheck } from '../attack/screen.js';
import { InconsistencyError, strictWitness, Witness } from '../attack/witness.js';
import { bounderByName } from '../bounds/index.js';
import type { Bounder } from '../bounds/types.js';
import { disjunctLowerBounds, type CanonicalBox, type CanonicalProblem } from '../problem/types.js';
import type { Outcome } from '../report/verdict.js';
import { simplexVerify } from '../bounds/simplex/simplex-verify.js';
import { deepPoint } from '../problem/polytope.js';
import { exactLinearLeq } from '../util/dyadic.js';
import { INPUT_SPLIT_MAX_DIM, resolveBounders, type EngineOptions } from './options.js';
import { freeInputs, searchBox } from './portfolio.js';
import { rowSeconds } from '../network/linear.js';

/**
 * Resolve a canonical problem: attacks on every box first (cheap sat), then
 * bounding, then branch and bound per box until decided or out of time.
 * `check` confirms a candidate on the original model; nothing else may
 * produce `sat`.
 */
export async function solveProblem(
  problem: CanonicalProblem,
  check: (box: number) => CandidateCheck,
  options: EngineOptions,
  log: Logger,
): Promise<Outcome> {
  // Points outside a region's constraints over several inputs are not the property's: the witness ignores them.
  const cuts = new Map(problem.boxes.filter((b) => b.inputCuts).map((b) => [b.index, b.inputCuts!]));
  const witness = new Witness(cuts.size === 0 ? undefined : (b, x) => cuts.get(b)?.every((q) => exactLinearLeq(q.coef, x, q.rhs)) ?? true);
  const outcome = await solveBoxes(problem, check, options, log, witness);
  return enforceWitnessInvariant(outcome, problem, check, witness, log);
}

/** Every verdict passes here: `unsat` while the witness violates the property is resolved by `resolveConflict`. */
export async function enforceWitnessInvariant(
  outcome: Outcome,
  problem: CanonicalProblem,
  check: (box: number) => CandidateCheck,
  witness: Witness,
  log: Logger,
): Promise<Outcome> {
  if (outcome.verdict === 'sat' && outcome.counterexample.outsideBox > 0) {
    log.info({ coordinates: outcome.counterexample.outsideBox }, 'counterexample: coordinates whose interval holds no float32 value are at the nearest float32 value outside it');
  }
  if (outcome.verdict !== 'unsat' || !witness.violating) return outcome;
  return resolveConflict(problem, check, witness, log);
}

/**
 * The witness invariant: bounds claimed every disjunct unreachable while we
 * hold a float64 point that reaches one. One of the two is wrong, so the
 * answer is never `unsat`: the point is checked once more as a
 * counterexample (`sat` if the original model confirms it), else `unknown`.
 */
async function resolveConflict(
  problem: CanonicalProblem,
  check: (box: number) => CandidateCheck,
  witness: Witness,
  log: Logger,
): Promise<Outcome> {
  witness.inconsistencies++;
  const detail = { box: witness.box, objective: witness.value, source: witness.source, inconsistencies: witness.inconsistencies };
  log.error(detail, 'internal inconsistency: bounds proved the property while a violating float64 point is held');
  const message = `internal inconsistency: unsat claimed while holding a point of objective ${witness.value} (box ${witness.box}, from ${witness.source})`;
  if (strictWitness()) throw new InconsistencyError(message);
  const box = problem.boxes[witness.box];
  const s = await screenCandidates(box, witness.x!, 1, check(witness.box));
  if (s.counterexample) return { verdict: 'sat', counterexample: s.counterexample };
  return { verdict: 'unknown', reason: message };
}

async function solveBoxes(
  problem: CanonicalProblem,
  check: (box: number) => CandidateCheck,
  options: EngineOptions,
  log: Logger,
  witness: Witness,
): Promise<Outcome> {
  if (problem.boxes.length === 0) return { verdict: 'unsat' };
  // General polytope regions: a point deep inside, for candidates to move towards.
  problem = { ...problem, boxes: await Promise.all(problem.boxes.map(async (b) => (b.inputCuts && !b.cutInterior ? { ...b, cutInterior: (await deepPoint(b.inputCuts, b.lower, b.upper)) ?? undefined } : b))) };
  // Regions cut to a simplex: Simplex Verify over the set first, before any attack has noted a point
  // of the bounding box that lies outside the set. What it proves is done; the rest is searched over
  // the bounding box (bounds there are valid for the set; counterexamples are checked against the cut).
  const proved = await provedOverSets(problem.boxes, options, log);
  const boxes = problem.boxes.filter((b) => !proved.has(b.index));
  if (boxes.length === 0) return { verdict: 'unsat' };

  for (const box of boxes) {
    // Restarts are targeted (one disjunct each): give every disjunct a few;
    // on networks where one forward-backward row is expensive (tens of
    // millions of weights), as many as fit about a second per step.
    const fewInputs = freeInputs(box) <= INPUT_SPLIT_MAX_DIM;
    const restarts = Math.min(fewInputs ? 64 : Math.max(16, 4 * box.numDisjuncts), Math.max(4, Math.floor(0.5 / rowSeconds(box.net))));
    const now = performance.now();
    const attack = await pgdAttack(box, {
      seed: options.seed + box.index,
      restarts,
      // 20 steps for few inputs (was 40): on the 186 ACAS Xu instances 10, 20 and 40 steps reach objective <= 0
      // on the same 35 of the 47 sat ones (none on the others); a cold 40-step attack took 0.3-0.8 s of each
      // instance on the loaded 2-core machine (ACAS Xu issue 13 measurements, results/acasxu-speed-2026-12-06.md).
      steps: fewInputs ? 20 : 100,
      // The attack gets at most a fifth of the time left (it stops between steps).
      deadline: Math.min(options.deadline, now + Math.max(1000, 0.2 * (options.deadline - now))),
      stopBelow: -1e-3,
    });
    log.debug({ box: box.index, objective: attack.value }, 'attack');
    witness.note(box.index, attack.value, attack.x, 'attack');
    if (attack.value <= 0) {
      const s = await screenCandidates(box, attack.x, 1, check(box.index));
      witness.note(box.index, s.best, s.bestX, 'attack');
      if (s.counterexample) return { verdict: 'sat', counterexample: s.counterexample };
    }
    if (performance.now() > options.deadline) return { verdict: 'timeout' };
  }

  if (options.mode === 'incomplete') return incomplete(boxes, bounderByName(resolveBounders(options, 'none', boxes[0]?.net).bounder), log);

  let timedOut = false;
  for (const box of boxes) {
    const result = await searchBox(box, check(box.index), options, log, witness);
    log.info({ box: box.index, result: result.kind, strategy: result.strategy, ...result.stats }, 'branch and bound');
    if (result.kind === 'sat') return { verdict: 'sat', counterexample: result.counterexample };
    if (result.kind === 'timeout') timedOut = true;
    if (result.kind === 'unknown') return { verdict: 'unknown', reason: result.reason };
    if (timedOut) break;
  }
  return timedOut ? { verdict: 'timeout' } : { verdict: 'unsat' };
}

async function provedOverSets(boxes: readonly CanonicalBox[], options: EngineOptions, log: Logger): Promise<Set<number>> {
  const proved = new Set<number>();
  for (const box of boxes) {
    if (!box.inputSet) continue;
    const res = await simplexVerify({ deadline: options.deadline }).bound(box.net, { size: 1, lower: box.lower, upper: box.upper, inputSets: [box.inputSet] });
    const lbs = disjunctLowerBounds(res.rowLower, box.rowGroup, box.numDisjuncts);
    log.info({ box: box.index, bounder: 'simplex-verify', disjunctLowerBounds: Array.from(lbs) }, 'bounds over the input set');
    if (provedAll(res.rowLower, box)) proved.add(box.index);
  }
  return proved;
}

async function incomplete(boxes: readonly CanonicalBox[], bounder: Bounder, log: Logger): Promise<Outcome> {
  for (const box of boxes) {
    const res = await bounder.bound(box.net, { size: 1, lower: box.lower, upper: box.upper });
    const lbs = disjunctLowerBounds(res.rowLower, box.rowGroup, box.numDisjuncts);
    log.info({ box: box.index, bounder: bounder.name, disjunctLowerBounds: Array.from(lbs) }, 'bounds');
    if (!provedAll(res.rowLower, box)) {
      return { verdict: 'unknown', reason: `${bounder.name} bound not positive on box ${box.index}` };
    }
  }
  return { verdict: 'unsat' };
}

/** True when every disjunct of the box has a row whose lower bound clears that row's margin. */
function provedAll(rowLower: Float64Array, box: CanonicalBox): boolean {
  const closed = new Uint8Array(box.numDisjuncts);
  box.rowGroup.forEach((g, r) => {
    if (rowLower[r] > box.margin[r]) closed[g] = 1;
  });
  return closed.every((c) => c === 1);
}
