import { reluRuleFor } from '../../bab/branching/index.js';
import { branchAndBound, keepsLinearBounds, type BabOutcome, type Branching, type MidSearch, type MidSearchBounds } from '../../bab/search.js';
import { bounderByName, type BounderName } from '../../bounds/index.js';
import { pooledBounder } from '../../bounds/pool.js';
import type { Bounder } from '../../bounds/types.js';
import { hiddenNeuronCount } from '../../network/layered.js';
import { rowSeconds } from '../../network/linear.js';
import { optimisedIntermediates, type PreBounds, type RootIntermediates } from '../../bounds/root-intermediates.js';
import { resolveBounders } from '../options.js';
import { refineNeurons, type RefinePass } from '../../bab/refine/refine-neurons.js';
import { alphaCrown } from '../../bounds/alpha.js';
import { openDisjuncts } from '../../bab/domain.js';
import type { CanonicalBox } from '../../problem/types.js';
import type { Strategy, StrategyContext } from './types.js';

/**
 * Each neuron's search gets the refinement budget over this many neurons, within [MIN, MAX] seconds. On MNIST
 * 256x4 prop_4_0.05 every one of the first searched layer's 41 proofs took 0.05-1.3 s; with 3 s per neuron, the
 * searches that ran out of time took most of the budget (prop_7_0.05: 36 of 77) and 256x6 never reached its last
 * hidden layers.
 */
const REFINE_NEURONS_PER_BUDGET = 150;
const REFINE_NEURON_MIN_S = 0.25;
const REFINE_NEURON_MAX_S = 1.5;
/** Share of a ReLU-splitting search's time after which, still open, it refines neurons (options.refineShare). */
const REFINE_AFTER_SHARE = 0.1;
/**
 * Share after which it refines them sooner when no domain has closed yet. On MNIST 256x6 prop_1_0.03 (300 s) the
 * first 30 s of the search moved its bound from -384 to -339 without closing a domain. 256x4 prop_9_0.05 after
 * refinement from 9 s (3%) ended 5 s short of closing (0.4% of the region open), and closed in 175-180 s from 1%.
 * Instances that close in 1-4 s mostly close domains in their first batches; 256x6 prop_7_0.03 (120 s) once did not
 * and took 13.4 s instead of 3.9 s.
 */
const REFINE_STALLED_SHARE = 0.01;
/**
 * ... and after this many batches: 256x6 prop_1_0.05 (sat) has its counterexample among the root's first children;
 * refining before the first batch put it at 154 s instead of 1-2 s.
 */
const REFINE_STALLED_BATCHES = 2;
/**
 * Share of the time left after the first refinement pass that the search gets before the neurons whose searches
 * ran out of time are searched again, and the least time worth a second pass.
 */
const REFINE_AGAIN_AFTER_SHARE = 0.1;
const REFINE_AGAIN_MIN_S = 5;

/** Whether alpha-CROWN on the whole network, from these intermediate bounds, closes every disjunct of the box. */
async function rootCloses(box: CanonicalBox, pre: PreBounds, deadline: number): Promise<boolean> {
  const res = await alphaCrown().bound(box.net, { size: 1, lower: box.lower, upper: box.upper, preLower: pre.preLower, preUpper: pre.preUpper }, { deadline });
  return openDisjuncts(res.rowLower, 0, box.rowGroup, new Uint8Array(box.numDisjuncts).fill(1), box.margin).numOpen === 0;
}

/** Branch and bound on the box in one branching mode, bounders and batch sized for the network. */
export async function runBranchAndBound(branching: Branching, ctx: StrategyContext): Promise<BabOutcome> {
  const { box, options, log } = ctx;
  const n0 = box.net.inputDim;
  const neurons = hiddenNeuronCount(box.net);
  const rows = box.net.outputDim;
  // Bytes kept per open domain: box, linear bound (not kept by ReLU splitting on ReLU networks), row
  // bounds, pre-activation bounds, and in ReLU mode the split signs and the float32 dual parameters.
  const keepsLinear = keepsLinearBounds(branching, box.net);
  const perDomain = 8 * (2 * n0 + (keepsLinear ? rows * n0 : 0) + rows) + neurons * 16 + (branching === 'relu' ? neurons * (1 + 4 * rows) : 0) + 200;
  const maxDomains = Math.max(1000, Math.floor((options.memoryMb * 2 ** 20) / perDomain));
  // About a second of bounding per batch on networks where one domain is expensive.
  const affordable = Math.max(4, Math.floor(1 / (4 * rowSeconds(box.net))));
  const batchSize = options.batchSize || Math.min(affordable, branching === 'input' ? 256 : Math.max(8, Math.min(128, Math.floor(20000 / Math.max(1, neurons)) * 8)));
  const { bounder, tight } = resolveBounders(options, branching, box.net);
  const reluRule = reluRuleFor(options.reluBranching, box.net);
  log.info({ box: box.index, branching, ...(branching === 'relu' ? { reluBranching: reluRule.name } : {}), bounder, tight: tight ?? 'none', batchSize, threads: ctx.threads, bytesPerDomain: perDomain, maxDomains }, 'branch and bound starts');
  let lastLog = 0;
  const pools: ReturnType<typeof pooledBounder>[] = [];
  const make = (name: BounderName): Bounder => {
    if (ctx.threads <= 1) return bounderByName(name, 'bab');
    const pool = pooledBounder(name, ctx.threads, 'bab');
    pools.push(pool);
    return pool;
  };
  // A ReLU-splitting root its first bound leaves open is bounded again from optimised intermediate
  // bounds (a tenth of the time left at most).
  let rootPre: RootIntermediates | null = null;
  const refineRoot = async (first: PreBounds) => {
    rootPre = await optimisedIntermediates(box.net, box.lower, box.upper, performance.now() + 0.1 * (options.deadline - performance.now()), first);
    if (rootPre) log.info({ box: box.index, ambiguousBefore: rootPre.ambiguousBefore, ambiguousAfter: rootPre.ambiguousAfter }, 'optimised intermediate bounds at the root');
    return rootPre;
  };
  // A search still open after REFINE_AFTER_SHARE of its time (REFINE_STALLED_SHARE and REFINE_STALLED_BATCHES
  // while it has closed nothing) spends refineShare of the rest proving hidden neurons stable, and goes on from
  // the tightened bounds (searches decided sooner never pay for it).
  const t0 = performance.now();
  const refine = async (): Promise<MidSearchBounds | null> => {
    const start: RootIntermediates | null = rootPre;
    if (!start) return null;
    const t1 = performance.now();
    const budget = options.refineShare * (options.deadline - t1);
    const end = t1 + budget;
    const common = {
      threads: ctx.threads,
      perNeuronSeconds: Math.min(REFINE_NEURON_MAX_S, Math.max(REFINE_NEURON_MIN_S, budget / 1000 / REFINE_NEURONS_PER_BUDGET)),
      enough: (p: PreBounds) => rootCloses(box, p, options.deadline),
      onPass: (pass: RefinePass) => log.debug({ box: box.index, ...pass }, 'refinement pass'),
    };
    // The layers above the last refined one are still re-derived from it, within the time the search had anyway.
    const finishBy = () => end + 0.1 * (options.deadline - performance.now());
    const first = await refineNeurons(box.net, box.lower, box.upper, start, { ...common, deadline: end, finishBy: finishBy(), slopes: start.slopes, retry: false });
    log.info({ box: box.index, ...first.stats, seconds: (performance.now() - t1) / 1000 }, 'intermediate neurons refined by search');
    // The searches that ran out of time get a longer second one with what is left of the budget, once the search
    // has had a while with the tightened bounds: it may close without them (256x6 prop_4_0.05 closed 5 s after
    // the first pass).
    const at = performance.now() + REFINE_AGAIN_AFTER_SHARE * (options.deadline - performance.now());
    const again: MidSearch | undefined =
      first.timedOut.size > 0 && end - at >= 1000 * REFINE_AGAIN_MIN_S
        ? {
            at,
            run: async () => {
              const t2 = performance.now();
              const second = await refineNeurons(box.net, box.lower, box.upper, first.pre, { ...common, deadline: Math.max(end, t2), finishBy: finishBy(), slopes: first.slopes, again: first.timedOut });
              log.info({ box: box.index, ...second.stats, seconds: (performance.now() - t2) / 1000 }, 'intermediate neurons searched again');
              return { ...second.pre, slopes: second.slopes };
            },
          }
        : undefined;
    return { ...first.pre, slopes: first.slopes, next: again };
  };
  const midSearch =
    branching === 'relu' && options.refineShare > 0 && !ctx.proof
      ? { at: t0 + REFINE_AFTER_SHARE * (options.deadline - t0), stalled: { from: t0 + REFINE_STALLED_SHARE * (options.deadline - t0), afterBatches: REFINE_STALLED_BATCHES }, run: refine }
      : undefined;
  try {
    return await branchAndBound(box, {
      refineRoot: branching === 'relu' ? refineRoot : undefined,
      midSearch,
      bounder: make(bounder),
      tightBounder: tight ? make(tight) : undefined,
      branching,
      reluRule,
      batchSize,
      deadline: options.deadline,
      maxDomains,
      check: ctx.check,
      witness: ctx.witness,
      proof: ctx.proof,
      signal: ctx.signal,
      onProgress: (p) => {
        const now = performance.now();
        if (now - lastLog > 2000) {
          lastLog = now;
          log.debug({ box: box.index, branching, ...p }, 'bab progress');
        }
        ctx.onProgress?.(p);
      },
    });
  } finally {
    await Promise.all(pools.map((p) => p.close()));
  }
}

export const inputSplitStrategy: Strategy = { name: 'input-split', run: (ctx) => runBranchAndBound('input', ctx) };
export const reluSplitStrategy: Strategy = { name: 'relu-split', run: (ctx) => runBranchAndBound('relu', ctx) };
