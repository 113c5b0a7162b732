/**
 * Big-M dual solver ([Th2] Alg. 5, ALGORITHMS.md §4.2) as a bounder:
 * projected Adam supergradient ascent on the dual of the Big-M relaxation
 * (= the Planet LP) of every output row of every domain, intermediate bounds
 * held fixed. Every iterate is a valid bound; the best per row is reported.
 */
import type { LayeredNet } from '../../network/layered.js';
import type { Bounder, BoundOptions, BoundResult, DomainBatch } from '../types.js';
import { AndersonDual, runDualLoop, type DualInit, type DualLoopResult } from './lagrangian.js';
import { dualResult, dualSetup, type DualSetup, type IntermediateSource } from './setup.js';

/** Options shared by the Big-M and Active Set bounders. */
export interface DualBounderOptions {
  /** Intermediate bounds (default 'crown'). */
  readonly intermediate?: IntermediateSource;
  /**
   * Report max(CROWN, best dual iterate) per row (default true; only with
   * 'crown' intermediate bounds). false for pure-method comparisons.
   */
  readonly clampWithCrown?: boolean;
  /** Starting multipliers (default 'crown': iterate 0 is the CROWN bound with the same intermediate bounds). */
  readonly init?: DualInit;
  /**
   * Step size per dual row and layer: 'crown' (default) multiplies the step
   * by the largest multiplier of the CROWN-equivalent duals of that row and
   * layer (invariant to the scale of spec rows and of layers); 'none' uses
   * the step sizes as given for every multiplier, as [Th2] does.
   */
  readonly stepScale?: 'crown' | 'none';
  /** Adam moments (default 0.9, 0.999). */
  readonly adamBeta1?: number;
  readonly adamBeta2?: number;
  /**
   * Called with the bound of every iterate, per dual row (see DualSetup for
   * the row layout). The array is reused between calls: copy it to keep it.
   */
  readonly onIterate?: (iter: number, rowBound: Float64Array) => void;
}

export interface BigMOptions extends DualBounderOptions {
  /** Supergradient steps (default BIGM_DEFAULTS.iterations). */
  readonly iterations?: number;
  /** Adam step size, decreased linearly from stepStart to stepEnd. */
  readonly stepStart?: number;
  readonly stepEnd?: number;
}

/**
 * Defaults, measured with CROWN intermediate bounds (gap = Planet LP - Big-M,
 * mean over the 9 rows; time per iteration for one domain, 9 dual rows, on
 * a shared 2-core machine): mnist-net_256x2 prop_1_0.05 (179 ambiguous
 * ReLUs): CROWN gap 1.54, 200 iterations gap 0.021 (500: 0.010), about
 * 1-2 ms per iteration; mnist-net_256x4 prop_2_0.03: gap 0.013; ACAS Xu
 * 1_1 prop_2 (bounds around -300): gap 1.6. Step sizes 0.02-0.05 (with
 * the 'crown' step scale) were within a factor 1.5 of each other; [Th2]'s
 * unscaled 1e-2 -> 1e-4 was 4x worse on ACAS Xu and no better on MNIST.
 */
export const BIGM_DEFAULTS = {
  iterations: 200,
  stepStart: 3e-2,
  stepEnd: 3e-5,
} as const;

/** A dual state for a setup, with its starting multipliers and step scales. */
export async function initialDual(
  net: LayeredNet,
  batch: DomainBatch,
  setup: DualSetup,
  options: Pick<DualBounderOptions, 'init' | 'stepScale'> = {},
): Promise<AndersonDual> {
  const state = new AndersonDual(net, batch, setup);
  const init = options.init ?? 'crown';
  if (init === 'crown') await state.initFromCrown();
  if ((options.stepScale ?? 'crown') === 'crown') await state.setCrownStepScale(init === 'crown');
  return state;
}

/** Big-M dual iterations on a prepared setup; returns the best bound per dual row. */
export async function bigMSolve(
  net: LayeredNet,
  batch: DomainBatch,
  setup: DualSetup,
  options: BigMOptions = {},
  deadline?: number,
): Promise<DualLoopResult & { state: AndersonDual }> {
  const state = await initialDual(net, batch, setup, options);
  const res = await runDualLoop(state, {
    bigmIterations: options.iterations ?? BIGM_DEFAULTS.iterations,
    bigmStepStart: options.stepStart ?? BIGM_DEFAULTS.stepStart,
    bigmStepEnd: options.stepEnd ?? BIGM_DEFAULTS.stepEnd,
    activeIterations: 0,
    activeStepStart: 0,
    activeStepEnd: 0,
    omega: 1,
    cutsPerPhase: 0,
    maxCuts: 0,
    adam: { beta1: options.adamBeta1 ?? 0.9, beta2: options.adamBeta2 ?? 0.999 },
    onIterate: options.onIterate,
    deadline,
  });
  return { ...res, state };
}

/** Big-M dual bounder ('bigm'). */
export function bigM(options: BigMOptions = {}): Bounder {
  return {
    name: 'bigm',
    async bound(net: LayeredNet, batch: DomainBatch, bo?: BoundOptions): Promise<BoundResult> {
      const setup = await dualSetup(net, batch, options.intermediate ?? 'crown');
      const clamp = options.clampWithCrown ?? true;
      if (setup.R === 0) return dualResult(setup, new Float64Array(0), clamp);
      const res = await bigMSolve(net, batch, setup, options, bo?.deadline);
      return dualResult(setup, res.rowBest, clamp);
    },
  };
}
