import type { Branching } from '../bab/search.js';

export type { BounderName } from '../bounds/index.js';
import type { BounderName } from '../bounds/index.js';
export const BOUNDER_NAMES: readonly BounderName[] = ['ibp', 'crown', 'alpha', 'symbolic'];

export interface EngineOptions {
  /** performance.now() by which a verdict must be returned. */
  readonly deadline: number;
  readonly seed: number;
  /** complete: branch and bound until decided; incomplete: one bounding pass plus attacks. */
  readonly mode: 'complete' | 'incomplete';
  readonly bounder: BounderName;
  /** Tight bounder of stratified bounding in branch and bound ('none' disables it). */
  readonly tightBounder: BounderName | 'none';
  readonly branching: Branching | 'auto';
  /** Parents per branch-and-bound iteration; 0 = chosen from the network size. */
  readonly batchSize: number;
  /** Memory budget for open domains, in MiB. */
  readonly memoryMb: number;
}

export const DEFAULT_ENGINE_OPTIONS: Omit<EngineOptions, 'deadline'> = {
  seed: 0,
  mode: 'complete',
  bounder: 'crown',
  tightBounder: 'alpha',
  branching: 'auto',
  batchSize: 0,
  memoryMb: 6144,
};

/** Input splitting pays off only when the input has few dimensions (ACAS Xu has 5). */
export const INPUT_SPLIT_MAX_DIM = 16;
