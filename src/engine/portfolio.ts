/**
 * Which complete search decides a box, chosen per problem (issue 13). The
 * first choice follows the input dimension (input splitting for a few free
 * inputs, ReLU splitting otherwise); on small ReLU networks the exact MIP
 * races it from the start on the other core; and when the first choice
 * stalls (at its rate of closing the region it would not finish in the
 * budget), the other branching mode joins the race. The first `sat` or
 * `unsat` wins and the others are stopped; the log says which decided.
 *
 * A flag naming a branching mode or the MIP (`--branching`, `--bounder mip`)
 * runs that search alone.
 */
import type { Logger } from 'pino';
import type { CandidateCheck } from '../attack/screen.js';
import type { Witness } from '../attack/witness.js';
import type { BabOutcome, BabProgress } from '../bab/search.js';
import { hiddenNeuronCount, isReluNet } from '../network/layered.js';
import type { CanonicalBox } from '../problem/types.js';
import { exactMipBox } from './exact-mip.js';
import { INPUT_SPLIT_MAX_DIM, type EngineOptions } from './options.js';
import { strategyByName, type StrategyContext, type StrategyName } from './strategies/index.js';

/**
 * Hidden ReLUs up to which the exact MIP races branch and bound. The MIP is
 * exponential in the ambiguous ones; networks of the small class
 * (2-4 layers of 6-24 neurons, at most 96) take it well under a second to a
 * few seconds; ACAS Xu (300) is left to input splitting alone, which the
 * racing thread would slow by taking its second bounding thread.
 */
export const MIP_RACE_MAX_NEURONS = 128;

/** Free inputs up to which input splitting may join a ReLU-splitting search that stalls. */
const INPUT_FALLBACK_MAX_DIM = 2 * INPUT_SPLIT_MAX_DIM;

/** A stall is judged only after this share of the budget (and at least STALL_MIN_MS). */
const STALL_MIN_SHARE = 0.15;
const STALL_MIN_MS = 1000;

export interface SearchPlan {
  /** Started first, with the proof tree if one is recorded. */
  readonly primary: StrategyName;
  /** Started at once beside the primary. */
  readonly race: readonly StrategyName[];
  /** Started when the primary stalls. */
  readonly fallback?: StrategyName;
}

/** Inputs the box leaves free (lower < upper). */
export function freeInputs(box: CanonicalBox): number {
  let n = 0;
  for (let i = 0; i < box.lower.length; i++) if (box.upper[i] > box.lower[i]) n++;
  return n;
}

/** The rule's branching mode for the box: inputs the box fixes do not count (307 of MSCN's 308 inputs are fixed). */
export function defaultBranching(box: CanonicalBox): 'input' | 'relu' {
  return freeInputs(box) <= INPUT_SPLIT_MAX_DIM ? 'input' : 'relu';
}

export function planSearch(box: CanonicalBox, options: Pick<EngineOptions, 'branching' | 'bounder'>): SearchPlan {
  if (options.bounder === 'mip') return { primary: 'exact-mip', race: [] };
  if (options.branching !== 'auto') return { primary: options.branching === 'input' ? 'input-split' : 'relu-split', race: [] };
  const free = freeInputs(box);
  const primary: StrategyName = defaultBranching(box) === 'input' ? 'input-split' : 'relu-split';
  const fallback: StrategyName | undefined = primary === 'input-split' ? 'relu-split' : free <= INPUT_FALLBACK_MAX_DIM ? 'input-split' : undefined;
  // The MIP works on the box: regions cut by constraints over several inputs are left to branch and bound.
  const neurons = hiddenNeuronCount(box.net);
  const mip = isReluNet(box.net) && neurons <= MIP_RACE_MAX_NEURONS && !box.inputCuts && !box.inputSet;
  // Only the bounder the user named applies to branch and bound; the MIP race stays (it is no bounder).
  return { primary, race: mip ? ['exact-mip'] : [], fallback: options.bounder === 'auto' ? fallback : undefined };
}

/** Would the search, closing the region at its rate so far, miss the deadline? */
export function stalled(p: BabProgress, startMs: number, nowMs: number, deadline: number): boolean {
  const spent = nowMs - startMs;
  const budget = deadline - startMs;
  if (spent < Math.max(STALL_MIN_MS, STALL_MIN_SHARE * budget)) return false;
  const closed = 1 - p.openMass;
  return !(closed > 0) || spent / closed > budget;
}

export type SearchOutcome = BabOutcome & { readonly strategy: StrategyName };

/** Decide one box by the plan's strategies; the first `sat` or `unsat` wins. */
export async function searchBox(box: CanonicalBox, check: CandidateCheck, options: EngineOptions, log: Logger, witness: Witness): Promise<SearchOutcome> {
  const plan = planSearch(box, options);
  const proof = options.proofLog?.tree(box.index);
  if (plan.primary === 'exact-mip') {
    log.info({ box: box.index, method: 'exact MIP' }, 'exact MIP per disjunct');
    return { ...(await exactMipBox(box, check, options.deadline, witness)), strategy: 'exact-mip' };
  }
  if (plan.race.length === 0 && !plan.fallback) {
    return { ...(await strategyByName(plan.primary).run({ box, check, options, log, witness, proof, threads: options.threads })), strategy: plan.primary };
  }
  log.info({ box: box.index, ...plan }, 'portfolio');

  const controller = new AbortController();
  const finished: SearchOutcome[] = [];
  let running = 0;
  let wake: () => void = () => undefined;
  const base: Omit<StrategyContext, 'threads'> = { box, check, options, log, witness, signal: controller.signal };
  // A racing MIP thread takes one core: branch and bound keeps the rest.
  const babThreads = plan.race.length > 0 ? Math.max(1, options.threads - 1) : options.threads;
  const start = (name: StrategyName, extra: Partial<StrategyContext> = {}) => {
    running++;
    const threads = name === 'exact-mip' ? 1 : babThreads;
    strategyByName(name)
      .run({ ...base, threads, ...extra })
      .catch((e: unknown): BabOutcome => ({ kind: 'unknown', reason: `${name}: ${e instanceof Error ? e.message : String(e)}`, stats: emptyStats() }))
      .then((outcome) => {
        running--;
        finished.push({ ...outcome, strategy: name });
        wake();
      });
  };
  const t0 = performance.now();
  let fallbackStarted = false;
  start(plan.primary, {
    proof,
    onProgress: (p) => {
      if (fallbackStarted || !plan.fallback || controller.signal.aborted) return;
      if (!stalled(p, t0, performance.now(), options.deadline)) return;
      fallbackStarted = true;
      log.info({ box: box.index, strategy: plan.fallback, after: Math.round(performance.now() - t0), openMass: p.openMass, globalLb: p.globalLb }, 'portfolio: first choice stalls, second joins');
      start(plan.fallback);
    },
  });
  for (const name of plan.race) start(name);

  let winner: SearchOutcome | undefined;
  while (!winner) {
    winner = finished.find((o) => o.kind === 'sat' || o.kind === 'unsat');
    if (winner || running === 0) break;
    await new Promise<void>((r) => (wake = r));
  }
  controller.abort();
  if (winner) {
    log.info({ box: box.index, strategy: winner.strategy, result: winner.kind, seconds: (performance.now() - t0) / 1000 }, 'portfolio decided');
    // Only the primary records a tree; a certificate for another's answer starts from the root.
    if (winner.strategy !== plan.primary) options.proofLog?.trees.delete(box.index);
    return winner;
  }
  options.proofLog?.trees.delete(box.index);
  return finished.find((o) => o.kind === 'unknown') ?? finished.find((o) => o.kind === 'timeout') ?? finished[0];
}

function emptyStats(): BabProgress {
  return { iterations: 0, openDomains: 0, boundedDomains: 0, tightBounded: 0, globalLb: -Infinity, bestObjective: Infinity, openMass: 1 };
}
