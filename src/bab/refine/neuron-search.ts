/**
 * One neuron's stability proof (refine-neurons.ts): a short descent for a point on the other side of 0, then a
 * ReLU-splitting search on the network cut after the neuron's layer with the one row s·x_j. Runs on any thread.
 */
import { pgdAttack } from '../../attack/pgd.js';
import { alphaBetaCrown } from '../../bounds/beta.js';
import type { PreBounds } from '../../bounds/root-intermediates.js';
import type { Bounder, IntermediateSlopes } from '../../bounds/types.js';
import { foldOutputRows, type LayeredNet } from '../../network/layered.js';
import { batchErrorScale, rowMargins } from '../../problem/rounding.js';
import type { CanonicalBox } from '../../problem/types.js';
import { fsb } from '../branching/fsb.js';
import { branchAndBound } from '../search.js';

/** What every neuron of one layer is searched on. */
export interface LayerProblem {
  /** The network cut after hidden layer k: its outputs are that layer's pre-activations. */
  readonly cut: LayeredNet;
  readonly lower: Float64Array;
  readonly upper: Float64Array;
  /** Bounds of the hidden layers below k, valid on the box. */
  readonly rootPre: PreBounds;
  /** Their rows' optimised slopes, reused by every domain of the searches. */
  readonly slopes?: IntermediateSlopes;
  /** Layer k's own bounds when its neurons' searches began (where a tightening starts from). */
  readonly own?: { readonly lower: Float64Array; readonly upper: Float64Array };
}

/**
 * Neuron j of the layer never below 0 (side +1) or never above 0 (side -1); with `tighten`, a neuron seen on both
 * sides of 0, whose bound on that side (the lower bound of side·x_j) is to be tightened instead.
 */
export interface NeuronTarget {
  readonly j: number;
  readonly side: 1 | -1;
  readonly tighten?: Tightening;
}

/**
 * A neuron's bound on one side tightened towards the lowest value of side·x_j seen (`seen`, a point's value, so
 * no valid bound): the search proves side·x_j >= theta, with theta `slack` of the way from the lowest value a
 * descent finds back to the neuron's bound (LayerProblem.own), or 0 where the descent never finds it below 0.
 * On MNIST 256x4 prop_6_0.03 after 120 s of refinement, the output rows' bound was -1.30 (alpha-CROWN); with
 * every neuron seen on both sides bounded by the range a descent found, -0.01; with the one-sided ones stable as
 * well, +0.84; with the one-sided ones stable alone, -0.97.
 */
export interface Tightening {
  readonly seen: number;
  readonly slack: number;
}

/** `at`: the level the search tried to prove side·x_j above (0 unless tightening). */
export type NeuronOutcome =
  /** The computed bound cleared the rounding margin on every leaf: side·x_j >= at (the neuron has the sign). */
  | { readonly kind: 'proved'; readonly at: number; readonly domains: number }
  /** A point below `at` (float64): the neuron is ambiguous, or reaches below the level tried. */
  | { readonly kind: 'ambiguous'; readonly domains: number }
  /** Out of time: the search's global lower bound of side·x_j - at, as computed (no rounding margin applied). */
  | { readonly kind: 'bound'; readonly at: number; readonly globalLb: number; readonly domains: number }
  | { readonly kind: 'none'; readonly domains: number };

/** Searches that need more than this many open domains are not worth their neuron. */
const MAX_DOMAINS = 20000;
const BATCH = 32;
/** The descent that looks for the other side before a search: random starts and steps. */
const PROBE_RESTARTS = 4;
const PROBE_STEPS = 20;

/**
 * The searches' bounder: 5 joint alpha-beta iterations per batch instead of 20 + 20. On eight stable neurons of
 * 256x4 prop_12_0.05's last hidden layer (727-3549 domains each) all eight proofs took 21.4 s in all against
 * 27.3 s, with 6% more domains.
 *
 * The layers between a split and the neuron keep the bounds they had (the layer's root bounds, clamped by the
 * domain's splits and IBP) instead of a CROWN pass per ambiguous neuron in every domain: those passes cost 2-4
 * times the rest of a domain's bound, and with beta carrying the splits into the row's own bound they made
 * nearly no tree smaller. On 30 stable neurons of 256x6 prop_13_0.05's fifth hidden layer (2 s each, one thread)
 * 29 proofs in 14.6 s against 25 in 32.3 s, with 7762 domains against 5560; the whole refinement then reached
 * the last hidden layer and closed the root (unsat at 140 s, where it timed out at 300 s).
 */
const neuronBounder = (): Bounder => alphaBetaCrown({ iterations: 5, alphaIterations: 0, intermediateLinear: false });

/** `signal`: the caller no longer needs the answer (the search returns `none` at its next batch). */
export async function searchNeuron(layer: LayerProblem, t: NeuronTarget, deadline: number, bounder: Bounder = neuronBounder(), signal?: AbortSignal): Promise<NeuronOutcome> {
  if (signal?.aborted) return { kind: 'none', domains: 0 };
  const { cut, lower, upper } = layer;
  const n = cut.outputDim;
  // The row side·x_j - at (at = 0: the sign).
  const boxAt = (at: number): CanonicalBox => {
    const C = new Float64Array(n);
    C[t.j] = t.side;
    const d = Float64Array.of(at);
    const folded = foldOutputRows(cut, C, d);
    return {
      index: 0,
      lower,
      upper,
      net: folded,
      unfolded: { net: cut, C, d },
      rowGroup: new Int32Array(1),
      numDisjuncts: 1,
      margin: rowMargins(batchErrorScale(folded, lower, upper, 1)),
    };
  };
  let at = 0;
  let box = boxAt(0);
  if (t.tighten) {
    // The lowest value a descent finds, and the level `slack` of the way back from it to the neuron's bound.
    const probe = await pgdAttack(box, { restarts: PROBE_RESTARTS, steps: PROBE_STEPS, seed: t.j, deadline });
    const low = Math.min(probe.value, t.tighten.seen);
    const own = layer.own;
    const from = own ? (t.side > 0 ? own.lower[t.j] : -own.upper[t.j]) : -Infinity;
    if (!(from < low)) return { kind: 'none', domains: 0 };
    // Never seen below 0 after all: the sign is the level to prove.
    at = low >= 0 ? 0 : low - t.tighten.slack * (low - from);
    box = boxAt(at);
  } else {
    // A neuron that does reach the other side would have its search spend the whole budget before stumbling on
    // such a point.
    const probe = await pgdAttack(box, { restarts: PROBE_RESTARTS, steps: PROBE_STEPS, seed: t.j, stopBelow: 0, deadline });
    if (probe.value <= 0) return { kind: 'ambiguous', domains: 0 };
  }
  const out = await branchAndBound(box, {
    bounder,
    branching: 'relu',
    reluRule: fsb,
    batchSize: BATCH,
    deadline,
    maxDomains: MAX_DOMAINS,
    // Any point below the level in float64 ends the search.
    check: async (x) => ({ x, outsideBox: 0, y: new Float64Array(0), region: 0, disjunct: 0 }),
    rootPre: layer.rootPre,
    rootSlopes: layer.slopes,
    signal,
  });
  const domains = out.stats.boundedDomains;
  switch (out.kind) {
    case 'unsat':
      return { kind: 'proved', at, domains };
    case 'sat':
      return { kind: 'ambiguous', domains };
    case 'timeout':
      // Every open leaf's bound is at least the global one, every closed leaf's above the margin.
      return { kind: 'bound', at, globalLb: out.stats.globalLb, domains };
    default:
      return { kind: 'none', domains };
  }
}
