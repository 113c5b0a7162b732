import type { Logger } from 'pino';
import type { CandidateCheck } from '../../attack/screen.js';
import type { Witness } from '../../attack/witness.js';
import type { BabOutcome, BabProgress } from '../../bab/search.js';
import type { CanonicalBox } from '../../problem/types.js';
import type { ProofTree } from '../../proof/recorder.js';
import type { EngineOptions } from '../options.js';

/** What a complete search of one canonical box is given. */
export interface StrategyContext {
  readonly box: CanonicalBox;
  readonly check: CandidateCheck;
  readonly options: EngineOptions;
  readonly log: Logger;
  /** Shared by every strategy of the run: the lowest-objective point any of them saw. */
  readonly witness: Witness;
  /** Aborted when another strategy decided: return `stopped` soon. */
  readonly signal?: AbortSignal;
  /** Where to record the search tree for a certificate (only one strategy per box records). */
  readonly proof?: ProofTree;
  /** Bounding threads this strategy may use. */
  readonly threads: number;
  readonly onProgress?: (p: BabProgress) => void;
}

/**
 * One way to decide a box (input splitting, ReLU splitting, the exact MIP):
 * the portfolio (../portfolio.ts) chooses, races and stops them by this
 * interface alone.
 */
export interface Strategy {
  readonly name: StrategyName;
  run(ctx: StrategyContext): Promise<BabOutcome>;
}

export type StrategyName = 'input-split' | 'relu-split' | 'exact-mip';
