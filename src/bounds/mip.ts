/**
 * Exact minimum of max_{r in rows} g_r(x) over an input box: the Big-M MILP
 * (ALGORITHMS.md §3.2, Tjeng et al.) solved with HiGHS branch and cut.
 *
 * Pre-activation bounds come from an interval pass (own implementation, no other
 * bounder), optionally tightened by LP-ALL on the ambiguous neurons (the LP
 * bounds are rigorous, see lp.ts), and intersected with caller-given bounds
 * (branch-and-bound splits). The Big-M model is exact for any valid bounds.
 *
 * The ground-truth oracle for tests, a bounder for small nets, and the decision
 * procedure for a branch-and-bound leaf (with no ambiguous ReLU it is one LP).
 */
import { forward, hiddenNeuronCount, type LayeredNet } from '../network/layered.js';
import { batchErrorScale } from '../problem/rounding.js';
import { createModel, encodeNet, extractInput, forwardColumns, getHighs, intervalBounds, lastPostCols, reconcileBounds } from './highs-model.js';
import { planetLpIntermediate } from './lp.js';

export type MipStatus = 'optimal' | 'infeasible' | 'timeout';

export interface ExactMinimumOptions {
  /** Wall-clock limit in seconds (bound tightening included). Default: none. */
  readonly timeLimit?: number;
  /** Known per-hidden-layer pre-activation bounds (e.g. ReLU splits), intersected with the computed ones. */
  readonly preLower?: readonly Float64Array[];
  readonly preUpper?: readonly Float64Array[];
  /**
   * Bounds used for Big-M: 'interval' only, 'lp' (LP-ALL on neurons left ambiguous),
   * or 'auto' (LP when the net has at most 1000 hidden neurons). Default 'auto'.
   */
  readonly tighten?: 'interval' | 'lp' | 'auto';
  /** MIP gap tolerances (default 1e-9 both). */
  readonly relGap?: number;
  readonly absGap?: number;
}

export interface ExactMinimumResult {
  readonly status: MipStatus;
  /**
   * Objective of the best solution found: min over the box of max_{r in rows} g_r
   * when 'optimal' (up to the gap tolerances); +Infinity when infeasible or when a
   * timeout left no solution.
   */
  readonly value: number;
  /** Input attaining `value` (within solver tolerances); empty when none was found. */
  readonly x: Float64Array;
  /** max_{r in rows} g_r(x) by an exact float64 forward pass at `x` (NaN when x is empty). */
  readonly valueAtX: number;
  /** Proven lower bound (HiGHS dual bound); equals `value` up to the gap when optimal. */
  readonly lowerBound: number;
  /** Number of ambiguous neurons (= binaries) in the model. */
  readonly binaries: number;
  /** Branch-and-bound nodes explored by HiGHS. */
  readonly nodes: number;
  readonly seconds: number;
}

/** Exact min over [lower, upper] of max_{r in rows} g_r(x) by Big-M MILP. */
export async function exactMinimum(
  net: LayeredNet,
  lower: Float64Array,
  upper: Float64Array,
  rows: readonly number[] | 'all',
  opts: ExactMinimumOptions = {},
): Promise<ExactMinimumResult> {
  const t0 = performance.now();
  const elapsed = () => (performance.now() - t0) / 1000;
  const rowList = rows === 'all' ? Array.from({ length: net.outputDim }, (_, r) => r) : [...rows];
  if (rowList.length === 0) throw new Error('exactMinimum: no rows');
  for (const r of rowList) if (!(r >= 0 && r < net.outputDim)) throw new Error(`exactMinimum: row ${r} out of range`);
  const highs = await getHighs();
  const none = (status: MipStatus, lowerBound: number, binaries = 0): ExactMinimumResult => ({
    status,
    value: Infinity,
    x: new Float64Array(0),
    valueAtX: NaN,
    lowerBound,
    binaries,
    nodes: 0,
    seconds: elapsed(),
  });
  for (let i = 0; i < lower.length; i++) if (!(lower[i] <= upper[i])) return none('infeasible', Infinity);

  // Pre-activation bounds.
  let { preLower, preUpper } = intervalBounds(net, lower, upper, opts.preLower, opts.preUpper);
  const hiddenCount = hiddenNeuronCount(net);
  const tighten = opts.tighten ?? 'auto';
  if (tighten === 'lp' || (tighten === 'auto' && hiddenCount <= 1000)) {
    const tl = opts.timeLimit !== undefined ? opts.timeLimit / 2 : undefined;
    const t = await planetLpIntermediate(net, lower, upper, { preLower: opts.preLower, preUpper: opts.preUpper, onlyAmbiguous: true, timeLimit: tl });
    if (t.status === 'infeasible') return none('infeasible', Infinity);
    preLower = t.preLower;
    preUpper = t.preUpper;
  }
  const tol = batchErrorScale(net, lower, upper, 1).hidden;
  const given = opts.preLower !== undefined || opts.preUpper !== undefined;
  for (let k = 0; k < preLower.length; k++) {
    if (reconcileBounds(preLower[k], preUpper[k], tol[k], given)) return none('infeasible', Infinity);
  }

  const enc = encodeNet(net, lower, upper, preLower, preUpper, 'bigm');
  if (enc.emptyBounds) return none('infeasible', Infinity);
  const B = enc.builder;
  const binaries = enc.zCols.reduce((s, z) => s + z.reduce((c, v) => c + (v >= 0 ? 1 : 0), 0), 0);
  const last = net.layers[net.layers.length - 1];
  const prevCols = lastPostCols(enc);
  let tCol = -1;
  const idx: number[] = [];
  const vals: number[] = [];
  if (rowList.length === 1) {
    const r = rowList[0];
    for (let i = 0; i < last.inDim; i++) if (prevCols[i] >= 0) B.colCost[prevCols[i]] += last.W[r * last.inDim + i];
    B.offset = last.b[r];
  } else {
    // min t  s.t.  t >= g_r(x) for every r.
    const t = B.addCol(-Infinity, Infinity);
    tCol = t;
    B.colCost[t] = 1;
    for (const r of rowList) {
      idx.length = 0;
      vals.length = 0;
      idx.push(t);
      vals.push(1);
      for (let i = 0; i < last.inDim; i++) {
        const w = last.W[r * last.inDim + i];
        if (w !== 0 && prevCols[i] >= 0) {
          idx.push(prevCols[i]);
          vals.push(-w);
        }
      }
      B.addRow(last.b[r], Infinity, idx, vals);
    }
  }

  const remaining = opts.timeLimit !== undefined ? Math.max(0, opts.timeLimit - elapsed()) : Infinity;
  const model = createModel(highs, B, {
    mip_rel_gap: opts.relGap ?? 1e-9,
    mip_abs_gap: opts.absGap ?? 1e-9,
    mip_feasibility_tolerance: 1e-9,
    // The sub-MIP heuristics dominate the run time on these models (10-50x on small nets).
    mip_heuristic_run_rins: false,
    mip_heuristic_run_rens: false,
    ...(Number.isFinite(remaining) ? { time_limit: remaining } : {}),
  });
  try {
    // MIP start: the best of the box centre and a few seeded samples that respect the bounds.
    const start = bestStart(net, lower, upper, rowList, preLower, preUpper);
    if (start) {
      const v = forwardColumns(enc, net, start.x);
      if (tCol >= 0) v[tCol] = start.value;
      try {
        model.setSolution({ colValue: v });
      } catch {
        /* a rejected start only costs the incumbent */
      }
    }
    const st = model.run().modelStatus;
    const info = (name: string): number => {
      try {
        return Number(model.info.get(name));
      } catch {
        return NaN;
      }
    };
    const nodes = info('mip_node_count');
    if (st === 8 /* infeasible */) return { ...none('infeasible', Infinity, binaries), nodes };
    let status: MipStatus;
    if (st === 7 /* optimal */) status = 'optimal';
    else if (st === 13 || st === 14 || st === 17 || st === 16 || st === 11 || st === 12) status = 'timeout';
    else throw new Error(`exactMinimum: HiGHS ended with model status ${st}`);
    let dual = binaries > 0 ? info('mip_dual_bound') : NaN;
    const hasPrimal = info('primal_solution_status') === 2;
    if (!hasPrimal) return { ...none(status, Number.isFinite(dual) ? dual : -Infinity, binaries), nodes };
    const value = model.getObjectiveValue();
    if (!Number.isFinite(dual)) dual = status === 'optimal' ? value : -Infinity;
    const x = extractInput(enc, model.getSolution().colValue);
    const y = forward(net, x);
    let valueAtX = -Infinity;
    for (const r of rowList) valueAtX = Math.max(valueAtX, y[r]);
    return { status, value, x, valueAtX, lowerBound: Math.min(dual, value), binaries, nodes: Number.isFinite(nodes) ? nodes : 0, seconds: elapsed() };
  } finally {
    model.dispose();
  }
}

/** Best (lowest max_r g_r) of the box centre and 31 seeded samples whose pre-activations respect the bounds. */
function bestStart(
  net: LayeredNet,
  lower: Float64Array,
  upper: Float64Array,
  rows: readonly number[],
  preLower: readonly Float64Array[],
  preUpper: readonly Float64Array[],
): { x: Float64Array; value: number } | undefined {
  let seed = 0x9e3779b9;
  const rand = () => {
    seed = (Math.imul(seed, 1664525) + 1013904223) >>> 0;
    return seed / 4294967296;
  };
  let best: { x: Float64Array; value: number } | undefined;
  for (let s = 0; s < 32; s++) {
    const x = new Float64Array(lower.length);
    for (let i = 0; i < x.length; i++) x[i] = s === 0 ? 0.5 * (lower[i] + upper[i]) : lower[i] + (upper[i] - lower[i]) * rand();
    // forward pass checking the pre-activation bounds
    let cur: Float64Array = x;
    let ok = true;
    for (let k = 0; k < net.layers.length && ok; k++) {
      const { W, b, inDim, outDim, identity } = net.layers[k];
      const out = new Float64Array(outDim);
      for (let j = 0; j < outDim; j++) {
        let a = b[j];
        const off = j * inDim;
        for (let i = 0; i < inDim; i++) a += W[off + i] * cur[i];
        if (k < net.layers.length - 1) {
          if (a < preLower[k][j] || a > preUpper[k][j]) {
            ok = false;
            break;
          }
          if (!(identity && identity[j]) && a < 0) a = 0;
        }
        out[j] = a;
      }
      cur = out;
    }
    if (!ok) continue;
    let value = -Infinity;
    for (const r of rows) value = Math.max(value, cur[r]);
    if (!best || value < best.value) best = { x, value };
  }
  return best;
}
