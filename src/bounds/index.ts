/** The incomplete bounders over LayeredNet, behind the `Bounder` interface. */
import { alphaCrown } from './alpha.js';
import { alphaBetaCrown } from './beta.js';
import { crown } from './crown.js';
import { activeSet } from './dual/activeset.js';
import { bigM } from './dual/bigm.js';
import { ibp } from './ibp.js';
import { mipBounder, planetLpBounder } from './lp-bounder.js';
import { symbolic } from './symbolic.js';
import type { Bounder } from './types.js';

export type { Bounder, BoundOptions, BoundResult, DomainBatch } from './types.js';
export { ibp, ibpPass, ibpAffine, applyDomainConstraints, postActivation, inputInfeasible, layerWT, layerAbsWT, INFEASIBLE_TOL } from './ibp.js';
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
export type { ActiveSetOptions } from './dual/activeset.js';

export type BounderName = 'ibp' | 'crown' | 'alpha' | 'beta' | 'symbolic' | 'bigm' | 'activeset' | 'lp' | 'mip';

/** A bounder with default options by name. */
export function bounderByName(name: BounderName): Bounder {
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
      return bigM();
    case 'activeset':
      return activeSet();
    case 'lp':
      return planetLpBounder();
    case 'mip':
      return mipBounder();
    default:
      throw new Error(`unknown bounder '${name as string}'`);
  }
}
