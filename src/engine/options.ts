import type { Branching } from '../bab/search.js';

export type { BounderName } from '../bounds/catalog.js';
export { BOUNDER_NAMES } from '../bounds/catalog.js';
import { unsupportedReason, type BounderName } from '../bounds/catalog.js';
import { hiddenNeuronCount, type LayeredNet } from '../network/layered.js';
import type { ProofLog } from '../proof/recorder.js';

/** The ReLU branching rules (src/bab/branching/index.ts has their code). */
export const RELU_RULE_NAMES = ['fsb', 'babsr'] as const;
export type ReluRuleName = (typeof RELU_RULE_NAMES)[number];

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
  /** Rule choosing the neuron of each ReLU split (fsb falls back to babsr on networks it cannot judge). */
  readonly reluBranching: ReluRuleName;
  /** Parents per branch-and-bound iteration; 0 = chosen from the network size. */
  readonly batchSize: number;
  /** Memory budget for open domains, in MiB. */
  readonly memoryMb: number;
  /** Threads that bound slices of each branch-and-bound batch (1 = the solver thread alone). */
  readonly threads: number;
  /** `sat` only with a float32 point inside the box (no nearest-float32 fallback for float32-free intervals). */
  readonly strictBox: boolean;
  /**
   * Share of the time left after the root's first bounds that ReLU splitting may spend proving intermediate
   * neurons stable by small searches of their own (src/bab/refine-neurons.ts); 0 turns it off.
   */
  readonly refineShare: number;
  /** Where branch and bound records its trees for an unsat certificate (src/proof); absent: nothing recorded. */
  readonly proofLog?: ProofLog;
}

export const DEFAULT_ENGINE_OPTIONS: Omit<EngineOptions, 'deadline'> = {
  seed: 0,
  mode: 'complete',
  bounder: 'auto',
  tightBounder: 'auto',
  branching: 'auto',
  // oval21 cifar_base img8095 (60 s, same load): BaBSR timed out after 1588 domains, FSB proved it with 18.
  reluBranching: 'fsb',
  batchSize: 0,
  memoryMb: 6144,
  // Measured on ACAS Xu (2 cores): a 27.6 s instance took 17.9 s with two
  // bounding threads; short instances are unchanged.
  threads: 2,
  strictBox: false,
  refineShare: 0.5,
};

/** Input splitting pays off only when the input has few dimensions (ACAS Xu has 5). */
export const INPUT_SPLIT_MAX_DIM = 16;

/** Hidden neurons beyond which input splitting uses symbolic bounds and no tight bounder. */
export const HUGE_NET_NEURONS = 20000;

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
  // Input splitting on networks of tens of thousands of neurons (cgan: 5 inputs, 54k ReLUs in CSR layers): CROWN's
  // intermediate bounds exceed their time budget and fall back to intervals, while forward symbolic bounds cost
  // the same for every neuron (measured on cgan 32x32 prop_3 after 113 domains: global bound -0.29 with symbolic,
  // -127 with crown). alpha as the tight bounder would cost as much again.
  const huge = net !== undefined && branching === 'input' && hiddenNeuronCount(net) > HUGE_NET_NEURONS;
  const bounder = options.bounder !== 'auto' ? options.bounder : branching === 'relu' ? 'beta' : branching === 'none' ? 'alpha' : huge ? 'symbolic' : 'crown';
  const tight =
    options.tightBounder === 'none'
      ? undefined
      : options.tightBounder !== 'auto'
        ? options.tightBounder
        : branching === 'input' && !huge
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
