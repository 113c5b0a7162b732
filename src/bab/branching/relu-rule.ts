/**
 * The ReLU-splitting branching rules behind one interface: BaBSR (babsr.ts)
 * and filtered smart branching (fsb.ts). The search asks the rule for one
 * neuron per parent; a rule that cannot judge a network's neurons says so
 * and BaBSR decides there.
 */
import type { LayeredNet } from '../../network/layered.js';
import type { Domain } from '../domain.js';
import type { ReluChoice } from './babsr.js';

export type { ReluChoice };

export interface ReluBranchingRule {
  readonly name: string;
  /** False where the rule cannot judge this network's neurons. */
  applies(net: LayeredNet): boolean;
  /**
   * One neuron per parent (null: nothing left to split). preLower/preUpper:
   * the parents' pre-activation bounds stacked per hidden layer (B x n_k);
   * rows[b]: the output row parent b's split should improve.
   */
  choose(net: LayeredNet, parents: readonly Domain[], preLower: Float64Array[], preUpper: Float64Array[], rows: Int32Array): Promise<(ReluChoice | null)[]>;
}
