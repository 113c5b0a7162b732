/**
 * What every simplex bounder shares ([Th3] B.5.2: "all the methods use the
 * same intermediate bounds"): pre-activation bounds over the input set,
 * their CROWN relaxations, simplex propagation and the hull rows.
 *
 * Intermediate bounds: layer 0 exactly (min of a linear function over the
 * set); layer i >= 1 the tightest of IBP and CROWN backward passes whose
 * input coefficients are concretised over the set and, as well, over its
 * bounding box (both valid; the max is never worse than CROWN on the box).
 * The thesis used Opt-LiRPA Planet (20 iterations) there; CROWN is what
 * fits a CPU budget (see the results file for the effect).
 *
 * One domain at a time; batching over domains is left to the bounders.
 */
import type { LayeredNet } from '../../network/layered.js';
import { weightRow } from '../../network/linear.js';
import { boundingBox, inputDim, minLinear, minLinearRows, type InputSet } from '../../problem/input-set.js';
import { backwardPass, relaxLayer, type BackwardOptions, type LayerRelax } from '../crown.js';
import { ibpAffine, postActivation } from '../ibp.js';
import type { BoundResult, DomainBatch } from '../types.js';
import { hullRows, requirePlainRelu, simplexRows, simplexScales, type HullRows } from './hull.js';

export interface SimplexRelaxation {
  readonly set: InputSet;
  /** The smallest box holding the set: a second, independent concretisation. */
  readonly box: { readonly lower: Float64Array; readonly upper: Float64Array };
  /** Per hidden layer, CROWN's relaxation (adaptive lower slopes) of the shared pre-activation bounds. */
  readonly relax: LayerRelax[];
  /** Per hidden layer, the radius of its input's simplex (NaN for a box's layer 0) and alpha_k >= sum(x_k). */
  readonly inputScale: Float64Array;
  readonly alpha: Float64Array;
  /** Per hidden layer, the hull rows of its ambiguous neurons (undefined where the input has no simplex). */
  readonly hull: (HullRows | undefined)[];
}

/** Rows per backward chunk: about 2^21 doubles of input coefficients. */
const CHUNK = 1 << 21;

/**
 * For R rows with linear objectives on x_from (Lam, c0): lower bounds
 * valid over the set, the max of the set's and the box's concretisation.
 */
export async function boundRows(
  net: LayeredNet,
  ctx: { set: InputSet; box: { lower: Float64Array; upper: Float64Array }; relax: readonly LayerRelax[] },
  from: number,
  Lam: Float64Array,
  c0: Float64Array,
  options: BackwardOptions = {},
): Promise<{ lb: Float64Array; A: Float64Array; c: Float64Array; lambdas?: Float64Array[] }> {
  const R = c0.length;
  const bw = await backwardPass(net, ctx.relax, from, Lam, c0, new Int32Array(R), ctx.box.lower, ctx.box.upper, { ...options, needA: true });
  const lb = minLinearRows(ctx.set, bw.A, bw.c, R);
  for (let r = 0; r < R; r++) if (bw.lb[r] > lb[r]) lb[r] = bw.lb[r];
  return { lb, A: bw.A, c: bw.c, lambdas: bw.lambdas };
}

/** Shared intermediate bounds, relaxations, simplex scales and hull rows of `net` over `set`. */
export async function simplexRelaxation(net: LayeredNet, set: InputSet, who = 'simplex bounder'): Promise<SimplexRelaxation> {
  requirePlainRelu(net, who);
  const n0 = net.inputDim;
  if (inputDim(set) !== n0) throw new Error(`${who}: input set has dimension ${inputDim(set)}, network input ${n0}`);
  const box = boundingBox(set);
  const H = net.layers.length - 1;
  const relax: LayerRelax[] = [];
  let postLo = box.lower;
  let postHi = box.upper;
  for (let i = 0; i < H; i++) {
    const layer = net.layers[i];
    const n = layer.outDim;
    const { lower, upper } = await ibpAffine(layer, postLo, postHi, 1);
    const row = new Float64Array(layer.inDim);
    if (i === 0) {
      // Exact over the set: one linear minimisation per side.
      for (let j = 0; j < n; j++) {
        weightRow(layer, j, row);
        lower[j] = Math.max(lower[j], minLinear(set, row, layer.b[j]));
        for (let p = 0; p < row.length; p++) row[p] = -row[p];
        upper[j] = Math.min(upper[j], -minLinear(set, row, -layer.b[j]));
      }
    } else {
      const targets: number[] = [];
      for (let j = 0; j < n; j++) if (lower[j] < 0 && upper[j] > 0) targets.push(j);
      const pairs = Math.max(16, Math.floor(CHUNK / (2 * Math.max(n0, layer.inDim))));
      for (let q0 = 0; q0 < targets.length; q0 += pairs) {
        const q1 = Math.min(targets.length, q0 + pairs);
        const R = 2 * (q1 - q0);
        const Lam = new Float64Array(R * layer.inDim);
        const c0 = new Float64Array(R);
        for (let q = q0, r = 0; q < q1; q++, r += 2) {
          const j = targets[q];
          weightRow(layer, j, Lam.subarray(r * layer.inDim, (r + 1) * layer.inDim));
          weightRow(layer, j, Lam.subarray((r + 1) * layer.inDim, (r + 2) * layer.inDim), -1);
          c0[r] = layer.b[j];
          c0[r + 1] = -layer.b[j];
        }
        const { lb } = await boundRows(net, { set, box, relax }, i - 1, Lam, c0);
        for (let q = q0, r = 0; q < q1; q++, r += 2) {
          const j = targets[q];
          if (lb[r] > lower[j]) lower[j] = lb[r];
          if (-lb[r + 1] < upper[j]) upper[j] = -lb[r + 1];
        }
      }
    }
    for (let j = 0; j < n; j++) {
      // Rounding can cross bounds of a neuron that is constant on the set.
      if (lower[j] > upper[j]) {
        const t = lower[j];
        lower[j] = upper[j];
        upper[j] = t;
      }
    }
    relax.push(relaxLayer(lower, upper, 1, n, layer, 'adaptive'));
    ({ lower: postLo, upper: postHi } = postActivation(lower, upper, layer));
  }
  const { inputScale, alpha } = await simplexScales(
    net,
    set,
    relax.map((r) => r.upper),
  );
  const hull: (HullRows | undefined)[] = [];
  for (let k = 0; k < H; k++) {
    const rows = Number.isFinite(inputScale[k]) ? await simplexRows(net, set, k) : undefined;
    hull.push(rows ? hullRows(rows, inputScale[k], relax[k].ambiguous) : undefined);
  }
  return { set, box, relax, inputScale, alpha, hull };
}

/** Domain b's input set: batch.inputSets[b], else its box. */
export function domainSet(batch: DomainBatch, b: number, n0: number): InputSet {
  const s = batch.inputSets?.[b];
  if (s) return s;
  return { kind: 'box', lower: batch.lower.slice(b * n0, (b + 1) * n0), upper: batch.upper.slice(b * n0, (b + 1) * n0) };
}

/** The output rows' objective on x_{H-1}: W_H and b_H. */
export function outputObjective(net: LayeredNet): { Lam: Float64Array; c0: Float64Array } {
  const last = net.layers[net.layers.length - 1];
  const Lam = new Float64Array(last.outDim * last.inDim);
  for (let o = 0; o < last.outDim; o++) weightRow(last, o, Lam.subarray(o * last.inDim, (o + 1) * last.inDim));
  return { Lam, c0: Float64Array.from(last.b) };
}

/** One domain's output-row bounds and the linear bounds behind them (A: m x n_0). */
export interface DomainBound {
  readonly rowLower: Float64Array;
  readonly A: Float64Array;
  readonly c: Float64Array;
}

/**
 * A BoundResult from one call per domain. Split decisions and inherited
 * bounds of the batch are not used: the bounds hold over the whole set, a
 * superset of a split domain, so they stay valid there (only looser).
 */
export async function perDomain(
  net: LayeredNet,
  batch: DomainBatch,
  who: string,
  f: (ctx: SimplexRelaxation) => Promise<DomainBound>,
): Promise<BoundResult> {
  const B = batch.size;
  const n0 = net.inputDim;
  const m = net.outputDim;
  const H = net.layers.length - 1;
  const rowLower = new Float64Array(B * m);
  const A = new Float64Array(B * m * n0);
  const c = new Float64Array(B * m);
  const preLower = net.layers.slice(0, H).map((l) => new Float64Array(B * l.outDim));
  const preUpper = net.layers.slice(0, H).map((l) => new Float64Array(B * l.outDim));
  for (let b = 0; b < B; b++) {
    const ctx = await simplexRelaxation(net, domainSet(batch, b, n0), who);
    const out = await f(ctx);
    rowLower.set(out.rowLower, b * m);
    A.set(out.A, b * m * n0);
    c.set(out.c, b * m);
    for (let k = 0; k < H; k++) {
      preLower[k].set(ctx.relax[k].lower, b * ctx.relax[k].n);
      preUpper[k].set(ctx.relax[k].upper, b * ctx.relax[k].n);
    }
  }
  return { rowLower, preLower, preUpper, linear: { A, c } };
}
