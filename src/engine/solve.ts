import type { Logger } from 'pino';
import { pgdAttack } from '../attack/pgd.js';
import { screenCandidates, type CandidateCheck } from '../attack/screen.js';
import { branchAndBound, type BabOutcome, type Branching } from '../bab/search.js';
import { bounderByName, type BounderName } from '../bounds/index.js';
import { pooledBounder } from '../bounds/pool.js';
import type { Bounder } from '../bounds/types.js';
import { hiddenSizes } from '../network/layered.js';
import { SOUNDNESS_MARGIN } from '../problem/margin.js';
import { disjunctLowerBounds, type CanonicalBox, type CanonicalProblem } from '../problem/types.js';
import type { Outcome } from '../report/verdict.js';
import { exactMipBox } from './exact-mip.js';
import { INPUT_SPLIT_MAX_DIM, resolveBounders, type EngineOptions } from './options.js';

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
  const boxes = problem.boxes;
  if (boxes.length === 0) return { verdict: 'unsat' };

  for (const box of boxes) {
    const attack = await pgdAttack(box, {
      seed: options.seed + box.index,
      // Restarts are targeted (one disjunct each): give every disjunct a few.
      restarts: box.net.inputDim <= INPUT_SPLIT_MAX_DIM ? 64 : Math.max(16, 4 * box.numDisjuncts),
      steps: box.net.inputDim <= INPUT_SPLIT_MAX_DIM ? 40 : 100,
      deadline: options.deadline,
      stopBelow: -1e-3,
    });
    log.debug({ box: box.index, objective: attack.value }, 'attack');
    if (attack.value <= 0) {
      const s = await screenCandidates(box, attack.x, 1, check(box.index));
      if (s.counterexample) return { verdict: 'sat', counterexample: s.counterexample };
    }
    if (performance.now() > options.deadline) return { verdict: 'timeout' };
  }

  if (options.mode === 'incomplete') return incomplete(boxes, bounderByName(resolveBounders(options, 'none').bounder), log);

  let timedOut = false;
  for (const box of boxes) {
    const result = await searchBox(box, check(box.index), options, log);
    log.info({ box: box.index, result: result.kind, ...result.stats }, 'branch and bound');
    if (result.kind === 'sat') return { verdict: 'sat', counterexample: result.counterexample };
    if (result.kind === 'timeout') timedOut = true;
    if (result.kind === 'unknown') return { verdict: 'unknown', reason: result.reason };
    if (timedOut) break;
  }
  return timedOut ? { verdict: 'timeout' } : { verdict: 'unsat' };
}

async function incomplete(boxes: readonly CanonicalBox[], bounder: Bounder, log: Logger): Promise<Outcome> {
  for (const box of boxes) {
    const res = await bounder.bound(box.net, { size: 1, lower: box.lower, upper: box.upper });
    const lbs = disjunctLowerBounds(res.rowLower, box.rowGroup, box.numDisjuncts);
    log.info({ box: box.index, bounder: bounder.name, disjunctLowerBounds: Array.from(lbs) }, 'bounds');
    if (lbs.some((v) => !(v > SOUNDNESS_MARGIN))) {
      return { verdict: 'unknown', reason: `${bounder.name} bound not positive on box ${box.index}` };
    }
  }
  return { verdict: 'unsat' };
}

async function searchBox(
  box: CanonicalBox,
  check: CandidateCheck,
  options: EngineOptions,
  log: Logger,
): Promise<BabOutcome> {
  const n0 = box.net.inputDim;
  const branching: Branching = options.branching === 'auto' ? (n0 <= INPUT_SPLIT_MAX_DIM ? 'input' : 'relu') : options.branching;
  const hidden = hiddenSizes(box.net);
  const neurons = hidden.reduce((a, b) => a + b, 0);
  const rows = box.net.outputDim;
  // Bytes kept per open domain: box, linear bound, row bounds, pre-activation
  // bounds, and in ReLU mode the split signs and the float32 dual parameters.
  const perDomain = 8 * (2 * n0 + rows * n0 + rows) + neurons * 16 + (branching === 'relu' ? neurons * (1 + 4 * rows) : 0) + 200;
  const maxDomains = Math.max(1000, Math.floor((options.memoryMb * 2 ** 20) / perDomain));
  const batchSize = options.batchSize || (branching === 'input' ? 256 : Math.max(8, Math.min(128, Math.floor(20000 / Math.max(1, neurons)) * 8)));
  if (options.bounder === 'mip' && options.mode === 'complete') {
    log.info({ box: box.index, method: 'exact MIP' }, 'exact MIP per disjunct');
    return exactMipBox(box, check, options.deadline, SOUNDNESS_MARGIN);
  }
  const { bounder, tight } = resolveBounders(options, branching);
  log.info({ box: box.index, branching, bounder, tight: tight ?? 'none', batchSize }, 'branch and bound starts');
  let lastLog = 0;
  const pools: ReturnType<typeof pooledBounder>[] = [];
  const make = (name: BounderName): Bounder => {
    if (options.threads <= 1) return bounderByName(name, 'bab');
    const pool = pooledBounder(name, options.threads, 'bab');
    pools.push(pool);
    return pool;
  };
  try {
    return await branchAndBound(box, {
      bounder: make(bounder),
      tightBounder: tight ? make(tight) : undefined,
      branching,
      batchSize,
      deadline: options.deadline,
      maxDomains,
      margin: SOUNDNESS_MARGIN,
      check,
      onProgress: (p) => {
        const now = performance.now();
        if (now - lastLog > 2000) {
          lastLog = now;
          log.debug({ box: box.index, ...p }, 'bab progress');
        }
      },
    });
  } finally {
    await Promise.all(pools.map((p) => p.close()));
  }
}
