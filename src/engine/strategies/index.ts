import { inputSplitStrategy, reluSplitStrategy } from './branch-and-bound.js';
import { exactMipStrategy } from './exact-mip.js';
import type { Strategy, StrategyName } from './types.js';

export type { Strategy, StrategyContext, StrategyName } from './types.js';

const STRATEGIES: Record<StrategyName, Strategy> = {
  'input-split': inputSplitStrategy,
  'relu-split': reluSplitStrategy,
  'exact-mip': exactMipStrategy,
};

export function strategyByName(name: StrategyName): Strategy {
  return STRATEGIES[name];
}
