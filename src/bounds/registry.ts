/**
 * Each bounder's factory, by the names of src/bounds/catalog.ts. Adding a
 * bounder: its module, a catalog line, and a line here.
 */
import { alphaCrown } from './alpha.js';
import { alphaBetaCrown } from './beta.js';
import type { BounderName } from './catalog.js';
import { crown } from './crown.js';
import { activeSet } from './dual/activeset.js';
import { bddPlus } from './dual/bddplus.js';
import { bigM } from './dual/bigm.js';
import { ibp } from './ibp.js';
import { mipBounder, planetLpBounder } from './lp-bounder.js';
import { symbolic } from './symbolic.js';
import type { Bounder } from './types.js';

/**
 * Where a bounder runs: one pass over a whole input set ('incomplete', the
 * default), or every batch of branch and bound ('bab'), where the iterative
 * dual methods get the short budgets of [Th2] (100-180 iterations there,
 * fewer here on CPU; children start from CROWN's multipliers).
 */
export type BoundingPurpose = 'incomplete' | 'bab';

/** Iteration budgets of the dual methods inside branch and bound. */
export const BAB_DUAL_BUDGET = {
  bigm: { iterations: 40 },
  activeset: { bigmIterations: 20, iterations: 30, omega: 15, maxCuts: 2 },
  bddplus: { iterations: 20 },
} as const;

/**
 * alpha-CROWN inside input-splitting branch and bound (batches without ReLU
 * splits): fewer, larger steps than the 20 at lr 0.1 of a single pass. The
 * bounds are a little looser, but each domain costs much less (ACAS Xu,
 * user CPU seconds, 20 iterations at 0.1 vs 6 at 0.2: 3_3 prop_2 39.9 vs
 * 27.0, 4_2 prop_2 37.9 vs 20.2 and 27.4, 1_1 prop_5 6.4 vs 5.6, 1_9 prop_7
 * 25.0 vs 24.2; 2 iterations at 0.5 timed out on 4_2 prop_2 at 116 s).
 */
export const BAB_ALPHA_UNSPLIT = { iterations: 6, lr: 0.2 } as const;

const FACTORIES: Record<BounderName, (purpose: BoundingPurpose) => Bounder> = {
  ibp: () => ibp,
  crown: () => crown(),
  alpha: (p) => alphaCrown(p === 'bab' ? { unsplit: BAB_ALPHA_UNSPLIT } : {}),
  beta: () => alphaBetaCrown(),
  symbolic: () => symbolic(),
  bigm: (p) => bigM(p === 'bab' ? BAB_DUAL_BUDGET.bigm : {}),
  activeset: (p) => activeSet(p === 'bab' ? BAB_DUAL_BUDGET.activeset : {}),
  bddplus: (p) => bddPlus(p === 'bab' ? BAB_DUAL_BUDGET.bddplus : {}),
  lp: () => planetLpBounder(),
  mip: () => mipBounder(),
};

/** A bounder with default options by name. */
export function bounderByName(name: BounderName, purpose: BoundingPurpose = 'incomplete'): Bounder {
  const make = FACTORIES[name];
  if (!make) throw new Error(`unknown bounder '${name as string}'`);
  return make(purpose);
}
