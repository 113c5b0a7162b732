/**
 * The ReLU branching rules by name (`--relu-branching`; the names live in
 * src/engine/options.ts so that the CLI loads none of the rules). Adding
 * one: its module, its name there, a line here (the Record type makes a
 * missing one a compile error).
 */
import type { ReluRuleName } from '../../engine/options.js';
import type { LayeredNet } from '../../network/layered.js';
import { babsr } from './babsr.js';
import { fsb } from './fsb.js';
import type { ReluBranchingRule } from './relu-rule.js';

export type { ReluBranchingRule };

const RULES: Record<ReluRuleName, ReluBranchingRule> = { fsb, babsr };

/** The named rule, or BaBSR where that rule cannot judge the network's neurons. */
export function reluRuleFor(name: ReluRuleName, net: LayeredNet): ReluBranchingRule {
  const rule = RULES[name];
  return rule.applies(net) ? rule : babsr;
}
