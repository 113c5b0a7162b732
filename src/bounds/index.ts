/** The incomplete bounders over LayeredNet, behind the `Bounder` interface. */

export type { Bounder, BoundOptions, BoundResult, DomainBatch } from './types.js';
export { ibp, ibpPass, ibpAffine, applyDomainConstraints, postActivation, inputInfeasible, layerWT, emptinessContext } from './ibp.js';
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

export { BAB_DUAL_BUDGET, bounderByName } from './registry.js';
export type { BoundingPurpose } from './registry.js';
export { BOUNDERS, BOUNDER_NAMES, unsupportedReason } from './catalog.js';
export type { BounderName, BounderInfo } from './catalog.js';
