import type { Branching } from '../bab/search.js';

export type { BounderName } from '../bounds/catalog.js';
export { BOUNDER_NAMES } from '../bounds/catalog.js';
import { unsupportedReason, type BounderName } from '../bounds/catalog.js';
import type { LayeredNet } from '../network/layered.js';

export interface EngineOptions {
  /** performance.now() by which a verdict must be returned. */
  readonly deadline: number;
  readonly seed: number;
  /** complete: branch and bound until decided; incomplete: one bounding pass plus attacks. */
  readonly mode: 'complete' | 'incomplete';
  /** 'auto': chosen by the branching mode (see resolveBounders). */
  readonly bounder: BounderName | 'auto';
  /** Tight bounder of stratified bounding in branch and bound ('none' disables it). */
  readonly tightBounder: BounderName | 'none' | 'auto';
  readonly branching: Branching | 'auto';
  /** Parents per branch-and-bound iteration; 0 = chosen from the network size. */
  readonly batchSize: number;
  /** Memory budget for open domains, in MiB. */
  readonly memoryMb: number;
  /** Threads that bound slices of each branch-and-bound batch (1 = the solver thread alone). */
  readonly threads: number;
  /** `sat` only with a float32 point inside the box (no nearest-float32 fallback for float32-free intervals). */
  readonly strictBox: boolean;
}

export const DEFAULT_ENGINE_OPTIONS: Omit<EngineOptions, 'deadline'> = {
  seed: 0,
  mode: 'complete',
  bounder: 'auto',
  tightBounder: 'auto',
  branching: 'auto',
  batchSize: 0,
  memoryMb: 6144,
  // Measured on ACAS Xu (2 cores): a 27.6 s instance took 17.9 s with two
  // bounding threads; short instances are unchanged.
  threads: 2,
  strictBox: false,
};

/** Input splitting pays off only when the input has few dimensions (ACAS Xu has 5). */
export const INPUT_SPLIT_MAX_DIM = 16;

/** A flag names a bounder that cannot take this network (by name: no import of the CLI here). */
export class UnsupportedBounderError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UsageError';
  }
}

/**
 * Defaults per branching mode. Input splitting: CROWN everywhere, alpha for
 * the sub-problems stratified bounding marks difficult. ReLU splitting:
 * beta-CROWN, because CROWN and alpha see a split only through clamped
 * bounds and barely improve with depth (measured: a 5x10x10x10x2 net
 * proved in 0.3 s with beta, not in 60 s with crown + alpha).
 * With `net`, a bounder the user named that cannot take the network
 * (`unsupportedReason`) is an error; automatic choices all take any network.
 */
export function resolveBounders(
  options: Pick<EngineOptions, 'bounder' | 'tightBounder'>,
  branching: 'input' | 'relu' | 'none',
  net?: LayeredNet,
): { bounder: BounderName; tight: BounderName | undefined } {
  const bounder = options.bounder !== 'auto' ? options.bounder : branching === 'relu' ? 'beta' : branching === 'none' ? 'alpha' : 'crown';
  const tight =
    options.tightBounder === 'none'
      ? undefined
      : options.tightBounder !== 'auto'
        ? options.tightBounder
        : branching === 'input'
          ? 'alpha'
          : undefined;
  if (net) {
    for (const name of [bounder, tight]) {
      const reason = name && unsupportedReason(name, net);
      if (reason) throw new UnsupportedBounderError(reason);
    }
  }
  return { bounder, tight };
}
