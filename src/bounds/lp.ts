/**
 * Exact Planet LP (ALGORITHMS.md §3.1, §3.4) over one input box, solved with HiGHS.
 *
 * Returned lower bounds are rigorous: they come from the LP's row duals through
 * `safeDualBound` (weak duality evaluated in float64 on our own copy of the
 * model), not from the solver's primal objective, so solver tolerances cannot
 * make them unsound. Infeasibility is reported only when HiGHS's dual ray
 * verifies as a Farkas certificate.
 */
import type { LayeredNet } from '../network/layered.js';
import { batchErrorScale } from '../problem/rounding.js';
import { activateInterval, affineInterval } from '../network/interval.js';
import {
  affineObjective,
  createModel,
  encodeNet,
  extractInput,
  getHighs,
  lastPostCols,
  reconcileBounds,
  safeDualBound,
  setObjective,
  verifyInfeasibility,
  type HighsModel,
  type NetEncoding,
} from './highs-model.js';

export type LpStatus = 'optimal' | 'infeasible' | 'timeout' | 'error';

export interface PlanetLpOptions {
  /** Output rows to bound (default: all). Rows not listed get rowLower -Infinity and an empty argmin. */
  readonly rows?: readonly number[];
  /** Wall-clock limit in seconds for all rows together. */
  readonly timeLimit?: number;
  /**
   * True when the pre-activation bounds carry split constraints, so that an
   * infeasible LP proves the domain empty. Otherwise (default) infeasibility
   * can only be numerical: it is reported as 'error' with no bound.
   */
  readonly mayBeEmpty?: boolean;
}

export interface PlanetLpResult {
  /** Rigorous lower bound of min g_r over the Planet relaxation, per output row; +Infinity when infeasible. */
  readonly rowLower: Float64Array;
  /** LP objective as reported by HiGHS (approximately equal to rowLower; not a rigorous bound). */
  readonly lpValue: Float64Array;
  /** Input point of the LP optimum, per output row (empty when not solved / infeasible). */
  readonly argmin: Float64Array[];
  /** 'optimal' when every requested row solved; 'infeasible' when the relaxation (hence the domain) is empty. */
  readonly status: LpStatus;
}

const EMPTY = new Float64Array(0);

/**
 * The models are re-solved with warm start after each objective change; presolve
 * would redo its work each time (3x slower on 5x50x50x50 intermediate bounds) and
 * brings nothing on the first solve of a 784x256x256 Planet LP either.
 */
const LP_OPTIONS = { presolve: 'off' } as const;

/**
 * For each output row r: min g_r(x) over the Planet relaxation of `net` on
 * [lower, upper], with the given per-hidden-layer pre-activation bounds (one
 * domain). Stable neurons are exact, identity neurons pass through.
 */
export async function planetLp(
  net: LayeredNet,
  lower: Float64Array,
  upper: Float64Array,
  preLower: readonly Float64Array[],
  preUpper: readonly Float64Array[],
  opts: PlanetLpOptions = {},
): Promise<PlanetLpResult> {
  const highs = await getHighs();
  const m = net.outputDim;
  const rows = opts.rows ?? Array.from({ length: m }, (_, r) => r);
  const rowLower = new Float64Array(m).fill(-Infinity);
  const lpValue = new Float64Array(m).fill(NaN);
  const argmin: Float64Array[] = Array.from({ length: m }, () => EMPTY);
  const enc = encodeNet(net, lower, upper, preLower, preUpper, 'planet');
  if (enc.emptyBounds) {
    return opts.mayBeEmpty ? { rowLower: rowLower.fill(Infinity), lpValue, argmin, status: 'infeasible' } : { rowLower, lpValue, argmin, status: 'error' };
  }
  const last = net.layers[net.layers.length - 1];
  const prevCols = lastPostCols(enc);
  const start = performance.now();
  const model = createModel(highs, enc.builder, LP_OPTIONS);
  let status: LpStatus = 'optimal';
  try {
    for (const r of rows) {
      const { cost, offset } = affineObjective(enc.builder.numCols, prevCols, last.W, last.b, last.inDim, r);
      const out = solveMin(model, enc, cost, offset, opts.timeLimit, start);
      if (out.kind === 'infeasible') {
        if (!opts.mayBeEmpty) return { rowLower: rowLower.fill(-Infinity), lpValue, argmin: argmin.map(() => EMPTY), status: 'error' };
        rowLower.fill(Infinity);
        return { rowLower, lpValue, argmin: argmin.map(() => EMPTY), status: 'infeasible' };
      }
      rowLower[r] = out.bound;
      lpValue[r] = out.value;
      if (out.x) argmin[r] = out.x;
      if (out.kind !== 'optimal') status = out.kind;
      if (out.kind === 'timeout') break;
    }
  } finally {
    model.dispose();
  }
  return { rowLower, lpValue, argmin, status };
}

export interface IntermediateOptions {
  /** Known pre-activation bounds (e.g. from splits), intersected with the computed ones. */
  readonly preLower?: readonly Float64Array[];
  readonly preUpper?: readonly Float64Array[];
  /**
   * Solve LPs only for neurons that interval propagation (from the LP-tight bounds of
   * the previous layer) leaves ambiguous; stable neurons keep their interval bounds,
   * which does not change any later Planet relaxation. Default false (LP-tight everywhere).
   */
  readonly onlyAmbiguous?: boolean;
  /** Wall-clock limit in seconds; on expiry the remaining neurons keep their interval bounds. */
  readonly timeLimit?: number;
}

export interface IntermediateResult {
  readonly preLower: Float64Array[];
  readonly preUpper: Float64Array[];
  /** 'infeasible' when some layer's relaxation is empty (only possible with given preLower/preUpper). */
  readonly status: LpStatus;
  /** Number of LPs solved. */
  readonly lpCount: number;
}

/**
 * LP-ALL (ALGORITHMS.md §2.2, §3.4 [SAL]): pre-activation bounds of every hidden
 * layer, layer by layer, each neuron's min and max over the Planet relaxation of
 * the earlier layers with their LP-tight bounds. Layer 1 is exact by interval
 * arithmetic. 2 * sum n_k LPs: for small nets.
 */
export async function planetLpIntermediate(
  net: LayeredNet,
  lower: Float64Array,
  upper: Float64Array,
  opts: IntermediateOptions = {},
): Promise<IntermediateResult> {
  const highs = await getHighs();
  const start = performance.now();
  const preLower: Float64Array[] = [];
  const preUpper: Float64Array[] = [];
  let l: Float64Array = lower;
  let u: Float64Array = upper;
  let lpCount = 0;
  let status: LpStatus = 'optimal';
  const nHidden = net.layers.length - 1;
  const anyGiven = opts.preLower !== undefined || opts.preUpper !== undefined;
  for (let k = 0; k < nHidden; k++) {
    const { lo, hi } = affineInterval(net, k, l, u);
    intersect(lo, hi, opts.preLower?.[k], opts.preUpper?.[k]);
    const expired = opts.timeLimit !== undefined && (performance.now() - start) / 1000 >= opts.timeLimit;
    if (k > 0 && !expired && status === 'optimal') {
      const enc = encodeNet(net, lower, upper, preLower, preUpper, 'planet', k);
      if (enc.emptyBounds && anyGiven) return infeasibleResult(net, lpCount);
      const layer = net.layers[k];
      const prevCols = lastPostCols(enc);
      const id = layer.identity;
      const model = createModel(highs, enc.builder, LP_OPTIONS);
      try {
        for (let j = 0; j < layer.outDim; j++) {
          if (opts.onlyAmbiguous && !(id && id[j]) && (lo[j] >= 0 || hi[j] <= 0)) continue;
          for (const sign of [1, -1]) {
            const { cost, offset } = affineObjective(enc.builder.numCols, prevCols, layer.W, layer.b, layer.inDim, j, sign);
            const out = solveMin(model, enc, cost, offset, opts.timeLimit, start, false);
            lpCount++;
            if (out.kind === 'infeasible') {
              if (anyGiven) return infeasibleResult(net, lpCount);
              // Numerical: a box is never empty. Keep the interval bounds.
              status = 'error';
              break;
            }
            if (out.kind !== 'optimal') status = out.kind;
            if (sign === 1) lo[j] = Math.max(lo[j], out.bound);
            else hi[j] = Math.min(hi[j], -out.bound);
            if (out.kind === 'timeout') break;
          }
          if (status !== 'optimal') break;
        }
      } finally {
        model.dispose();
      }
    }
    preLower.push(lo);
    preUpper.push(hi);
    const given = opts.preLower?.[k] !== undefined || opts.preUpper?.[k] !== undefined;
    if (reconcileBounds(lo, hi, batchErrorScale(net, lower, upper, 1).hidden[k], given)) return infeasibleResult(net, lpCount);
    ({ l, u } = activateInterval(net, k, lo, hi));
  }
  return { preLower, preUpper, status, lpCount };
}

function intersect(lo: Float64Array, hi: Float64Array, gl?: Float64Array, gu?: Float64Array): void {
  if (gl) for (let j = 0; j < lo.length; j++) lo[j] = Math.max(lo[j], gl[j]);
  if (gu) for (let j = 0; j < hi.length; j++) hi[j] = Math.min(hi[j], gu[j]);
}

function infeasibleResult(net: LayeredNet, lpCount: number): IntermediateResult {
  const hidden = net.layers.slice(0, -1);
  return {
    preLower: hidden.map((L) => new Float64Array(L.outDim).fill(Infinity)),
    preUpper: hidden.map((L) => new Float64Array(L.outDim).fill(-Infinity)),
    status: 'infeasible',
    lpCount,
  };
}

type SolveOutcome =
  | { kind: 'infeasible' }
  | { kind: 'optimal' | 'timeout' | 'error'; bound: number; value: number; x?: Float64Array };

/** Minimise cost.x + offset on a persistent LP model (warm-started from its last basis). */
function solveMin(
  model: HighsModel,
  enc: NetEncoding,
  cost: Float64Array,
  offset: number,
  timeLimit: number | undefined,
  start: number,
  wantX = true,
): SolveOutcome {
  setObjective(model, cost, offset);
  if (timeLimit !== undefined) {
    const left = Math.max(0, timeLimit - (performance.now() - start) / 1000);
    model.options.set('time_limit', left);
  }
  let st: number;
  try {
    st = model.run().modelStatus;
  } catch {
    return { kind: 'error', bound: -Infinity, value: NaN };
  }
  const S = { optimal: 7, infeasible: 8, unboundedOrInfeasible: 9, timeLimit: 13, iterationLimit: 14, interrupted: 17 } as const;
  if (st === S.infeasible || st === S.unboundedOrInfeasible) {
    const ray = model.getDualRay();
    if (ray && verifyInfeasibility(enc.builder, ray.values as Float64Array)) return { kind: 'infeasible' };
    return { kind: 'error', bound: -Infinity, value: NaN };
  }
  const kind = st === S.optimal ? 'optimal' : st === S.timeLimit || st === S.interrupted || st === S.iterationLimit ? 'timeout' : 'error';
  let sol;
  try {
    sol = model.getSolution();
  } catch {
    return { kind: kind === 'optimal' ? 'error' : kind, bound: -Infinity, value: NaN };
  }
  const bound = safeDualBound(enc.builder, cost, offset, sol.rowDual);
  const value = kind === 'optimal' ? model.getObjectiveValue() : NaN;
  return { kind, bound: Math.min(bound, kind === 'optimal' ? value + 1e-9 * (1 + Math.abs(value)) : bound), value, x: wantX ? extractInput(enc, sol.colValue) : undefined };
}

