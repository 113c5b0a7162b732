/**
 * BDD+ ([LD]; Bunel et al., UAI 2020; ALGORITHMS.md §4.4-4.5) as a bounder:
 * proximal maximisation of the dual q(rho) of the layered Lagrangian
 * decomposition of the Planet relaxation (decomposition.ts), every output
 * row of every feasible domain at once, intermediate bounds held fixed.
 *
 * Outer iteration t: approximately solve the proximal problem
 * max_rho q(rho) - sum_k (eta_k/2) ||rho_k - rho^t_k||^2 by `innerSteps`
 * block-coordinate Frank-Wolfe sweeps (closed-form LMO and exact line
 * search, warm-started from the previous primal), set
 * rho^{t+1} = rho^t + r(x)/eta_k, and evaluate q(rho^{t+1}) by the
 * closed-form block minimisations: a valid bound for ANY rho (weak
 * duality), reported to onIterate and kept if best. Iterate 0 is rho^0
 * (CROWN's multipliers by default, so the bound starts at least at CROWN's).
 *
 * Proximal weight: eta_k = w_t x unit_k, with w_t linear from etaStart to
 * etaEnd over the iterations (a growing weight is a shrinking dual step, as
 * [Th2]'s MNIST schedule "1 -> 50") and unit_k = ||uhat_k - lhat_k|| /
 * ||rho_k|| at CROWN's multipliers, per layer and dual row (decomposition.ts, etaUnits), which
 * makes the weights transfer between networks of very different scales
 * (mnist_fc vs acasxu: raw weights good on one diverge on the other).
 */
import type { LayeredNet } from '../../network/layered.js';
import type { Bounder, BoundOptions, BoundResult, DomainBatch } from '../types.js';
import { PlanetDecomposition, type DecompositionInit, type PrimalInit } from './decomposition.js';
import { dualResult, dualSetup, type DualSetup, type IntermediateSource } from './setup.js';

export interface BddPlusOptions {
  /** Outer proximal iterations (default BDDPLUS_DEFAULTS.iterations); iterates 0..iterations are evaluated. */
  readonly iterations?: number;
  /** Block-coordinate Frank-Wolfe sweeps (over all blocks) per proximal problem (default BDDPLUS_DEFAULTS.innerSteps). */
  readonly innerSteps?: number;
  /** Proximal weight (in units of etaUnits), linear from etaStart at the first step to etaEnd at the last. */
  readonly etaStart?: number;
  readonly etaEnd?: number;
  /**
   * Units of the proximal weight (default 'layer'): ||uhat_k - lhat_k|| / ||rho_k||
   * with CROWN's multipliers rho (whatever `init`), per hidden layer and dual row, or over the whole network ('network'), or
   * none (etaStart/etaEnd are raw weights, as in the thesis).
   */
  readonly etaUnits?: 'layer' | 'network' | 'none';
  /** Starting multipliers (default 'crown': q(rho^0) >= CROWN with the same intermediate bounds). */
  readonly init?: DecompositionInit;
  /** First primal iterate of the inner solver (default 'forward'). */
  readonly primalInit?: PrimalInit;
  /** Intermediate bounds (default 'crown'). */
  readonly intermediate?: IntermediateSource;
  /**
   * Report max(CROWN, best dual iterate) per row (default true; only with
   * 'crown' intermediate bounds). false for pure-method comparisons.
   */
  readonly clampWithCrown?: boolean;
  /** Called with q(rho^t) of every outer iterate t = 0..iterations, per dual row (see DualSetup for the layout). */
  readonly onIterate?: (iter: number, rowBound: Float64Array) => void;
}

/**
 * Defaults measured against the exact Planet LP (same CROWN intermediate
 * bounds) on mnist_fc 256x2 / 256x4 / 256x6 and an acasxu property:
 * 4 sweeps per proximal step beat 2 or 3 (too inexact: the dual stalls or
 * drops far below CROWN) and 6 (fewer outer steps in equal work); a
 * dimensionless weight 0.3 -> 3 was best or near best on every net.
 */
export const BDDPLUS_DEFAULTS = {
  iterations: 200,
  innerSteps: 4,
  etaStart: 0.3,
  etaEnd: 3,
  etaUnits: 'layer',
  init: 'crown',
  primalInit: 'forward',
} as const;

export interface BddPlusResult {
  /** Best q over all evaluated iterates, per dual row. */
  readonly rowBest: Float64Array;
  /** Iterates evaluated (1 + proximal steps taken). */
  readonly evaluations: number;
  readonly timedOut: boolean;
  /** Final multipliers and primal iterate (e.g. for warm starts). */
  readonly state: PlanetDecomposition;
}

/** BDD+ iterations on a prepared setup; returns the best bound per dual row. */
export async function bddPlusSolve(
  net: LayeredNet,
  batch: DomainBatch,
  setup: DualSetup,
  options: BddPlusOptions = {},
  deadline?: number,
): Promise<BddPlusResult> {
  const d = BDDPLUS_DEFAULTS;
  const T = options.iterations ?? d.iterations;
  const inner = options.innerSteps ?? d.innerSteps;
  const e0 = options.etaStart ?? d.etaStart;
  const e1 = options.etaEnd ?? d.etaEnd;
  const state = new PlanetDecomposition(net, batch, setup);
  const { R, H } = state;
  const unitsMode = options.etaUnits ?? d.etaUnits;
  const init = options.init ?? d.init;
  // The units come from CROWN's multipliers whatever the starting point.
  if (init === 'crown' || unitsMode !== 'none') await state.initFromCrown();
  const units = unitsMode === 'none' ? state.hidden.map(() => new Float64Array(R).fill(1)) : state.etaUnits(unitsMode);
  if (init === 'zero') for (const rho of state.rho) rho.fill(0);
  const eta = units.map((u) => new Float64Array(u.length));
  const rowBest = new Float64Array(R).fill(-Infinity);
  let iter = 0;
  const record = (q: Float64Array) => {
    for (let r = 0; r < R; r++) if (q[r] > rowBest[r]) rowBest[r] = q[r];
    options.onIterate?.(iter, q);
    iter++;
  };
  const expired = () => deadline !== undefined && performance.now() > deadline;
  let timedOut = false;
  // Iterate 0; also seeds the primal iterate of the inner solver.
  record(await state.evaluate(options.primalInit ?? d.primalInit));
  if (H > 0) {
    for (let t = 0; t < T; t++) {
      if (expired()) {
        timedOut = true;
        break;
      }
      const w = T > 1 ? e0 + (t / (T - 1)) * (e1 - e0) : e0;
      for (let k = 0; k < H; k++) for (let r = 0; r < R; r++) eta[k][r] = w * units[k][r];
      await state.proximalStep(eta, inner);
      record(await state.evaluate());
    }
  }
  return { rowBest, evaluations: iter, timedOut, state };
}

/** BDD+ bounder ('bddplus'). */
export function bddPlus(options: BddPlusOptions = {}): Bounder {
  return {
    name: 'bddplus',
    async bound(net: LayeredNet, batch: DomainBatch, bo?: BoundOptions): Promise<BoundResult> {
      const setup = await dualSetup(net, batch, options.intermediate ?? 'crown');
      const clamp = options.clampWithCrown ?? true;
      if (setup.R === 0) return dualResult(setup, new Float64Array(0), clamp);
      const res = await bddPlusSolve(net, batch, setup, options, bo?.deadline);
      return dualResult(setup, res.rowBest, clamp);
    },
  };
}
