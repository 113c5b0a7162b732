/**
 * Encoding of a LayeredNet over an input box as an LP (Planet relaxation) or a
 * MILP (Big-M), solved with HiGHS (npm `highs`, HiGHS compiled to WebAssembly).
 *
 * The model is handed to HiGHS as sparse CSR arrays through the persistent
 * `createModel` API, not as CPLEX LP text: float64 values go in bit-exact (no
 * number formatting, no 'e' exponents, no line-length limits, no variable
 * naming), big nets avoid a text round trip, and one model is re-solved with
 * warm start when only the objective changes.
 *
 * Columns:
 *   x0[i]    in [lower_i, upper_i]                    input
 *   xhat_k[j] in [lhat_kj, uhat_kj]                   pre-activation, with row  xhat - W_k x_{k-1} = b_k
 *   x_k[j]:  blocking (uhat <= 0, not identity): constant 0, no column
 *            passing (lhat >= 0) or identity:        the xhat column itself
 *            ambiguous (lhat < 0 < uhat):            a new column in [0, uhat] with
 *              planet: x >= xhat, x - s xhat <= -s lhat  (s = uhat/(uhat-lhat))
 *              bigm:   z in {0,1}, x >= xhat, x - uhat z <= 0, x - xhat - lhat z <= -lhat
 *
 * Every column has finite bounds, so any row-dual vector y yields a rigorous
 * lower bound (see `safeDualBound`): LP bounds returned to the verifier do not
 * rely on the solver's tolerances.
 */
import highsModule from 'highs';
import type { Highs } from 'highs';
import { batchErrorScale } from '../problem/rounding.js';
import type { LayeredNet } from '../network/layered.js';
import { activateInterval, affineInterval } from '../network/interval.js';

type HighsLoader = () => Promise<Highs>;
// `highs` ships CommonJS typings; under node ESM the import resolves to its .mjs build,
// whose default export is the loader itself. Accept both shapes.
const highsExport = highsModule as unknown as HighsLoader | { default: HighsLoader };
const loadHighs: HighsLoader = typeof highsExport === 'function' ? highsExport : highsExport.default;

let highsPromise: Promise<Highs> | undefined;

/** The HiGHS WASM runtime, loaded once per process (the instance is cached). */
export function getHighs(): Promise<Highs> {
  if (!highsPromise) highsPromise = loadHighs();
  return highsPromise;
}

export type HighsModel = ReturnType<Highs['createModel']>;

/** Options applied to every model (quiet, tight tolerances). */
export const BASE_OPTIONS: Readonly<Record<string, string | number | boolean>> = {
  output_flag: false,
  primal_feasibility_tolerance: 1e-9,
  dual_feasibility_tolerance: 1e-9,
  small_matrix_value: 1e-12,
};

/** Growable sparse model in CSR form. */
export class LpBuilder {
  colLower: number[] = [];
  colUpper: number[] = [];
  colCost: number[] = [];
  integrality: number[] = [];
  rowLower: number[] = [];
  rowUpper: number[] = [];
  starts: number[] = [0];
  indices: number[] = [];
  values: number[] = [];
  offset = 0;

  get numCols(): number {
    return this.colLower.length;
  }
  get numRows(): number {
    return this.rowLower.length;
  }

  addCol(lo: number, hi: number, integer = false): number {
    this.colLower.push(lo);
    this.colUpper.push(hi);
    this.colCost.push(0);
    this.integrality.push(integer ? 1 : 0);
    return this.colLower.length - 1;
  }

  /** Row lo <= sum vals[t] * x[idx[t]] <= hi. Indices must be distinct. */
  addRow(lo: number, hi: number, idx: readonly number[], vals: readonly number[]): number {
    for (let t = 0; t < idx.length; t++) {
      if (vals[t] === 0) continue;
      this.indices.push(idx[t]);
      this.values.push(vals[t]);
    }
    this.rowLower.push(lo);
    this.rowUpper.push(hi);
    this.starts.push(this.indices.length);
    return this.rowLower.length - 1;
  }

  get hasIntegers(): boolean {
    return this.integrality.some((v) => v !== 0);
  }

  /** Plain data for `highs.createModel` (infinite bounds are passed as +-Infinity). */
  toModelData(): Parameters<Highs['createModel']>[0] & object {
    const numCols = this.numCols;
    const numRows = this.numRows;
    return {
      numCols,
      numRows,
      offset: this.offset,
      colCost: Float64Array.from(this.colCost),
      colLower: Float64Array.from(this.colLower),
      colUpper: Float64Array.from(this.colUpper),
      rowLower: Float64Array.from(this.rowLower),
      rowUpper: Float64Array.from(this.rowUpper),
      matrix: {
        format: 'csr',
        numRows,
        numCols,
        starts: Int32Array.from(this.starts),
        indices: Int32Array.from(this.indices),
        values: Float64Array.from(this.values),
      },
      ...(this.hasIntegers ? { integrality: Int32Array.from(this.integrality) } : {}),
    };
  }
}

export type Relaxation = 'planet' | 'bigm';

/** Narrowest pre-activation column and smallest relaxation bound, relative to the bounds' magnitude (see encodeNet). */
export const MIN_RELATIVE_WIDENING = 1e-7;

export interface NetEncoding {
  readonly builder: LpBuilder;
  /** Column of each input coordinate. */
  readonly inputCols: Int32Array;
  /** Per encoded hidden layer: column of xhat_k[j]. */
  readonly preCols: Int32Array[];
  /** Per encoded hidden layer: column of x_k[j], -1 when x_k[j] is the constant 0. */
  readonly postCols: Int32Array[];
  /** Binary columns of ambiguous neurons (bigm only), -1 elsewhere. */
  readonly zCols: Int32Array[];
  /** True when some pre-activation interval is empty (lhat > uhat): the domain is infeasible. */
  readonly emptyBounds: boolean;
}

/**
 * Encode input box and hidden layers 1..numHidden (default: all hidden layers)
 * with the given per-hidden-layer pre-activation bounds (single domain).
 */
export function encodeNet(
  net: LayeredNet,
  lower: Float64Array,
  upper: Float64Array,
  preLower: readonly Float64Array[],
  preUpper: readonly Float64Array[],
  relaxation: Relaxation,
  numHidden = net.layers.length - 1,
): NetEncoding {
  const B = new LpBuilder();
  let emptyBounds = false;
  const n0 = net.inputDim;
  if (lower.length !== n0 || upper.length !== n0) throw new Error(`encodeNet: box has ${lower.length}/${upper.length} entries, expected ${n0}`);
  // Column bounds of pre-activations are widened by their rounding error
  // bound: the computed bounds may miss the true values by that much, and an
  // equality row xhat = W x + b with xhat pinned to a rounded value would
  // make the LP infeasible for the wrong reason (degenerate boxes). Phases
  // (active/inactive/ambiguous) still follow the bounds as given.
  const tol = batchErrorScale(net, lower, upper, 1).hidden;
  const inputCols = new Int32Array(n0);
  for (let i = 0; i < n0; i++) {
    if (!(lower[i] <= upper[i])) emptyBounds = true;
    if (!Number.isFinite(lower[i]) || !Number.isFinite(upper[i])) throw new Error('encodeNet: input box must be finite');
    inputCols[i] = B.addCol(lower[i], Math.max(lower[i], upper[i]));
  }
  const preCols: Int32Array[] = [];
  const postCols: Int32Array[] = [];
  const zCols: Int32Array[] = [];
  let prev = inputCols;
  const idx: number[] = [];
  const vals: number[] = [];
  for (let k = 0; k < numHidden; k++) {
    const layer = net.layers[k];
    const lo = preLower[k];
    const hi = preUpper[k];
    if (!lo || !hi || lo.length !== layer.outDim || hi.length !== layer.outDim) {
      throw new Error(`encodeNet: missing or mis-sized pre-activation bounds for hidden layer ${k}`);
    }
    const pc = new Int32Array(layer.outDim);
    const xc = new Int32Array(layer.outDim).fill(-1);
    const zc = new Int32Array(layer.outDim).fill(-1);
    const { W, b, inDim } = layer;
    const id = layer.identity;
    for (let j = 0; j < layer.outDim; j++) {
      const l = lo[j];
      const u = hi[j];
      if (!Number.isFinite(l) || !Number.isFinite(u)) throw new Error(`encodeNet: non-finite pre-activation bound at layer ${k} neuron ${j}`);
      // A column narrower than HiGHS resolves (~1e-9 relative: degenerate or
      // sub-ulp boxes) is widened to MIN_RELATIVE_WIDENING: measured, a
      // width of 1e-11 made a MIP return a minimum of 1.32 where the true one
      // is -0.23, while exactly fixed or 1e-9-wide columns were right.
      const scale = 1 + Math.abs(l) + Math.abs(u);
      const t = Math.abs(u - l) + 2 * tol[k][j] < MIN_RELATIVE_WIDENING * scale ? Math.max(tol[k][j], MIN_RELATIVE_WIDENING * scale) : tol[k][j];
      if (l - u > 2 * t) emptyBounds = true;
      const h = B.addCol(Math.min(l, u) - t, Math.max(l, u) + t);
      pc[j] = h;
      // xhat - W x_{k-1} = b
      idx.length = 0;
      vals.length = 0;
      idx.push(h);
      vals.push(1);
      const off = j * inDim;
      for (let i = 0; i < inDim; i++) {
        const w = W[off + i];
        if (w === 0 || prev[i] < 0) continue;
        idx.push(prev[i]);
        vals.push(-w);
      }
      B.addRow(b[j], b[j], idx, vals);
      if (id && id[j]) {
        xc[j] = h;
      } else if (l >= 0) {
        xc[j] = h;
      } else if (u <= 0) {
        xc[j] = -1;
      } else {
        // The relaxation of [l - t, u + t]: valid for every value the column
        // allows. Each side also stays MIN_RELATIVE_WIDENING away from zero,
        // since HiGHS drops matrix coefficients below 1e-9 and these bounds
        // are big-M/triangle coefficients.
        const floor = MIN_RELATIVE_WIDENING * scale;
        const lw = Math.min(l - t, -floor);
        const uw = Math.max(u + t, floor);
        const x = B.addCol(0, uw);
        xc[j] = x;
        B.addRow(0, Infinity, [x, h], [1, -1]); // x >= xhat
        if (relaxation === 'planet') {
          const s = uw / (uw - lw);
          B.addRow(-Infinity, -s * lw, [x, h], [1, -s]); // x <= s (xhat - l)
        } else {
          const z = B.addCol(0, 1, true);
          zc[j] = z;
          B.addRow(-Infinity, 0, [x, z], [1, -uw]); // x <= u z
          B.addRow(-Infinity, -lw, [x, h, z], [1, -1, -lw]); // x <= xhat - l (1 - z)
        }
      }
    }
    preCols.push(pc);
    postCols.push(xc);
    zCols.push(zc);
    prev = xc;
  }
  return { builder: B, inputCols, preCols, postCols, zCols, emptyBounds };
}

/** Columns of x_{numHidden} (the input of layer numHidden), -1 for constant 0. */
export function lastPostCols(enc: NetEncoding): Int32Array {
  return enc.postCols.length ? enc.postCols[enc.postCols.length - 1] : enc.inputCols;
}

/**
 * Dense cost vector (length numCols) and constant for the affine form
 * sign * (W[row] x_prev + b[row]) of layer `layerIdx`, whose input columns are `prevCols`.
 */
export function affineObjective(
  numCols: number,
  prevCols: Int32Array,
  W: Float64Array,
  b: Float64Array,
  inDim: number,
  row: number,
  sign = 1,
): { cost: Float64Array; offset: number } {
  const cost = new Float64Array(numCols);
  const off = row * inDim;
  for (let i = 0; i < inDim; i++) {
    const c = prevCols[i];
    if (c < 0) continue;
    cost[c] += sign * W[off + i];
  }
  return { cost, offset: sign * b[row] };
}

/**
 * Rigorous lower bound of min cost.x + offset over {colLower <= x <= colUpper,
 * rowLower <= Ax <= rowUpper} from any row multipliers y (HiGHS convention:
 * reduced cost = c - A^T y): for every feasible x,
 *   c.x = (c - A^T y).x + y.(Ax) >= sum_j min_{x_j} r_j x_j + sum_i min_{t_i} y_i t_i.
 * Multipliers whose needed row side is infinite are dropped (set to 0), which keeps
 * the bound valid. Only float64 rounding in this sum separates it from exact.
 */
export function safeDualBound(B: LpBuilder, cost: Float64Array, offset: number, rowDual: Float64Array): number {
  const r = Float64Array.from(cost);
  let total = offset;
  for (let i = 0; i < B.numRows; i++) {
    let y = rowDual[i];
    if (y > 0 && !Number.isFinite(B.rowLower[i])) y = 0;
    if (y < 0 && !Number.isFinite(B.rowUpper[i])) y = 0;
    if (y === 0 || Number.isNaN(y)) continue;
    total += y > 0 ? y * B.rowLower[i] : y * B.rowUpper[i];
    for (let t = B.starts[i]; t < B.starts[i + 1]; t++) r[B.indices[t]] -= y * B.values[t];
  }
  for (let j = 0; j < r.length; j++) {
    const rj = r[j];
    if (rj === 0) continue;
    const v = rj > 0 ? rj * B.colLower[j] : rj * B.colUpper[j];
    if (!Number.isFinite(v)) return -Infinity;
    total += v;
  }
  return total;
}

/**
 * Check a Farkas certificate (a dual ray y, either sign) that the rows and
 * column bounds of B admit no point: sup_{x in box} (A^T y).x < inf_{t in [L,U]} y.t.
 */
export function verifyInfeasibility(B: LpBuilder, ray: Float64Array): boolean {
  for (const sign of [1, -1]) {
    const a = new Float64Array(B.numCols);
    let inf = 0;
    for (let i = 0; i < B.numRows; i++) {
      const y = sign * ray[i];
      if (y === 0) continue;
      inf += y > 0 ? y * B.rowLower[i] : y * B.rowUpper[i];
      for (let t = B.starts[i]; t < B.starts[i + 1]; t++) a[B.indices[t]] += y * B.values[t];
    }
    let sup = 0;
    for (let j = 0; j < a.length; j++) {
      if (a[j] !== 0) sup += a[j] > 0 ? a[j] * B.colUpper[j] : a[j] * B.colLower[j];
    }
    if (Number.isFinite(inf) && sup < inf - 1e-9 * (1 + Math.abs(inf))) return true;
  }
  return false;
}

/** Input-box point from a solution vector, clamped into the box. */
export function extractInput(enc: NetEncoding, colValue: Float64Array): Float64Array {
  const B = enc.builder;
  const x = new Float64Array(enc.inputCols.length);
  for (let i = 0; i < x.length; i++) {
    const c = enc.inputCols[i];
    x[i] = Math.min(B.colUpper[c], Math.max(B.colLower[c], colValue[c]));
  }
  return x;
}

/** Plain interval propagation (IBP) of pre-activation bounds of every hidden layer. */
export function intervalBounds(
  net: LayeredNet,
  lower: Float64Array,
  upper: Float64Array,
  preLower?: readonly Float64Array[],
  preUpper?: readonly Float64Array[],
): { preLower: Float64Array[]; preUpper: Float64Array[] } {
  const pl: Float64Array[] = [];
  const pu: Float64Array[] = [];
  let l: Float64Array = lower;
  let u: Float64Array = upper;
  for (let k = 0; k < net.layers.length - 1; k++) {
    const { lo, hi } = affineInterval(net, k, l, u);
    if (preLower?.[k]) for (let j = 0; j < lo.length; j++) lo[j] = Math.max(lo[j], preLower[k][j]);
    if (preUpper?.[k]) for (let j = 0; j < hi.length; j++) hi[j] = Math.min(hi[j], preUpper[k][j]);
    pl.push(lo);
    pu.push(hi);
    ({ l, u } = activateInterval(net, k, lo, hi));
  }
  return { preLower: pl, preUpper: pu };
}

/**
 * In place: make lo <= hi where they cross by rounding. Returns true when the
 * crossing exceeds twice the rounding tolerance somewhere and `mayBeEmpty`
 * (the bounds carry the caller's split constraints): then the domain is
 * provably empty. Without constraints a box is never empty, whatever the
 * rounding. NaN becomes the infinite bound of its side.
 */
export function reconcileBounds(lo: Float64Array, hi: Float64Array, tol: Float64Array, mayBeEmpty: boolean): boolean {
  for (let j = 0; j < lo.length; j++) {
    if (Number.isNaN(lo[j])) lo[j] = -Infinity;
    if (Number.isNaN(hi[j])) hi[j] = Infinity;
    if (lo[j] > hi[j]) {
      if (mayBeEmpty && lo[j] - hi[j] > 2 * tol[j]) return true;
      const t = lo[j];
      lo[j] = hi[j];
      hi[j] = t;
    }
  }
  return false;
}


/** Create a HiGHS model from a builder with the base options (plus extra ones). */
export function createModel(highs: Highs, B: LpBuilder, extra: Readonly<Record<string, string | number | boolean>> = {}): HighsModel {
  const model = highs.createModel(B.toModelData());
  try {
    model.options.set({ ...BASE_OPTIONS, ...extra });
  } catch (e) {
    model.dispose();
    throw e;
  }
  return model;
}

/** Replace the objective (dense costs + constant) of a persistent model. */
export function setObjective(model: HighsModel, cost: Float64Array, offset: number): void {
  if (cost.length > 0) model.changeColsCost({ kind: 'range', from: 0, to: cost.length - 1 }, cost);
  model.changeObjectiveOffset(offset);
}

/**
 * Values of every encoded column at input x0 (forward pass): a feasible point of
 * the encoding whenever x0 is in the box and every xhat lies within the given
 * pre-activation bounds. Columns the encoding did not create stay 0.
 */
export function forwardColumns(enc: NetEncoding, net: LayeredNet, x0: Float64Array): Float64Array {
  const v = new Float64Array(enc.builder.numCols);
  for (let i = 0; i < x0.length; i++) v[enc.inputCols[i]] = x0[i];
  let cur: Float64Array = x0;
  for (let k = 0; k < enc.preCols.length; k++) {
    const { W, b, inDim, outDim } = net.layers[k];
    const id = net.layers[k].identity;
    const next = new Float64Array(outDim);
    for (let j = 0; j < outDim; j++) {
      let s = b[j];
      const off = j * inDim;
      for (let i = 0; i < inDim; i++) s += W[off + i] * cur[i];
      v[enc.preCols[k][j]] = s;
      const a = id && id[j] ? s : Math.max(s, 0);
      next[j] = a;
      const xc = enc.postCols[k][j];
      if (xc >= 0 && xc !== enc.preCols[k][j]) v[xc] = a;
      const zc = enc.zCols[k][j];
      if (zc >= 0) v[zc] = s > 0 ? 1 : 0;
    }
    cur = next;
  }
  return v;
}
