/** The incomplete bounders over LayeredNet, behind the `Bounder` interface. */
import { alphaCrown } from './alpha.js';
import { alphaBetaCrown } from './beta.js';
import { crown } from './crown.js';
import { activeSet } from './dual/activeset.js';
import { bddPlus } from './dual/bddplus.js';
import { bigM } from './dual/bigm.js';
import { ibp } from './ibp.js';
import { mipBounder, planetLpBounder } from './lp-bounder.js';
import { symbolic } from './symbolic.js';
import type { Bounder } from './types.js';

export type { Bounder, BoundOptions, BoundResult, DomainBatch } from './types.js';
export { ibp, ibpPass, ibpAffine, applyDomainConstraints, postActivation, inputInfeasible, layerWT, layerAbsWT, emptinessContext } from './ibp.js';
export type { IbpPassResult } from './ibp.js';
export { crown, crownPass, intermediateBounds, backwardPass, relaxLayer, concretize, CHUNK_ELEMS } from './crown.js';
export type { SlopeRule, LayerRelax, BackwardOptions, BackwardResult, CrownOptions, CrownState } from './crown.js';
export { alphaCrown } from './alpha.js';
export { symbolic, symbolicIntermediate } from './symbolic.js';
export type { AlphaOptions } from './alpha.js';
export { alphaBetaCrown } from './beta.js';
export type { BetaOptions } from './beta.js';

export { planetLpBounder, mipBounder, safeMipBound, MIP_SAFETY } from './lp-bounder.js';

export { bigM } from './dual/bigm.js';
export type { BigMOptions, DualBounderOptions } from './dual/bigm.js';
export { activeSet } from './dual/activeset.js';
export { bddPlus } from './dual/bddplus.js';
export type { BddPlusOptions } from './dual/bddplus.js';
export type { ActiveSetOptions } from './dual/activeset.js';

export type BounderName = 'ibp' | 'crown' | 'alpha' | 'beta' | 'symbolic' | 'bigm' | 'activeset' | 'bddplus' | 'lp' | 'mip';

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

/** A bounder with default options by name. */
export function bounderByName(name: BounderName, purpose: BoundingPurpose = 'incomplete'): Bounder {
  const bab = purpose === 'bab';
  switch (name) {
    case 'ibp':
      return ibp;
    case 'crown':
      return crown();
    case 'alpha':
      return alphaCrown();
    case 'beta':
      return alphaBetaCrown();
    case 'symbolic':
      return symbolic();
    case 'bigm':
      return bigM(bab ? BAB_DUAL_BUDGET.bigm : {});
    case 'activeset':
      return activeSet(bab ? BAB_DUAL_BUDGET.activeset : {});
    case 'bddplus':
      return bddPlus(bab ? BAB_DUAL_BUDGET.bddplus : {});
    case 'lp':
      return planetLpBounder();
    case 'mip':
      return mipBounder();
    default:
      throw new Error(`unknown bounder '${name as string}'`);
  }
}
