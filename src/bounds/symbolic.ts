/**
 * Forward symbolic bounds (ReluVal / Neurify / DeepPoly forward mode) for
 * intermediate layers, then CROWN's backward pass for the output rows only.
 *
 * Every neuron carries a lower and an upper linear function of the n_0
 * inputs. Pushing them through a layer costs O(n_k n_{k-1} n_0) per domain,
 * against O(ambiguous_k · sum_{i<k} n_i n_{i-1}) for backward intermediate
 * bounds: for low-dimensional inputs (ACAS Xu, n_0 = 5) this is many times
 * cheaper and, with input splitting, nearly as tight. Bounds are intersected
 * with IBP, inherited bounds and splits at every layer.
 *
 * Layout: the functions of all B domains sit side by side, a matrix of
 * n_k rows x B(n_0+1) columns (column b(n_0+1)+n_0 is the constant), so a
 * layer is crossed by two products with the shared W and |W|, in
 * centre/radius form: mid = W (L+U)/2, rad = |W| (U-L)/2.
 */
import type { AffineLayer, LayeredNet } from '../network/layered.js';
import type { RelaxLines } from '../network/activations/activation.js';
import { matmul } from '../tensor/matmul.js';
import { absCsr, csrTimesDense, weightRow } from '../network/linear.js';
import { crown, type CrownOptions } from './crown.js';
import { applyDomainConstraints, emptinessContext, ibpAffine, inputInfeasible, postActivation } from './ibp.js';
import type { Bounder, BoundOptions, BoundResult, DomainBatch } from './types.js';

const lines: RelaxLines = { lowSlope: 0, lowIntercept: 0, upSlope: 0, upIntercept: 0 };
const absCache = new WeakMap<AffineLayer, Float64Array>();
function absW(layer: AffineLayer): Float64Array {
  let a = absCache.get(layer);
  if (!a) {
    a = Float64Array.from(layer.W, Math.abs);
    absCache.set(layer, a);
  }
  return a;
}

export interface SymbolicBounds {
  readonly preLower: Float64Array[];
  readonly preUpper: Float64Array[];
  readonly infeasible: Uint8Array;
}

/** Pre-activation bounds of every hidden layer (B x n_k each) by forward symbolic propagation. */
export async function symbolicIntermediate(net: LayeredNet, batch: DomainBatch): Promise<SymbolicBounds> {
  const B = batch.size;
  const n0 = net.inputDim;
  const w = n0 + 1;
  const cols = B * w;
  const H = net.layers.length - 1;
  const infeasible = inputInfeasible(batch, n0);
  const ctx = emptinessContext(net, batch);
  const preLower: Float64Array[] = [];
  const preUpper: Float64Array[] = [];

  // Layer 0 is exact: both functions are W_1 x + b_1.
  let L: Float64Array = new Float64Array(0);
  let U: Float64Array = new Float64Array(0);
  let postLo = batch.lower;
  let postHi = batch.upper;
  for (let k = 0; k < H; k++) {
    const layer = net.layers[k];
    const n = layer.outDim;
    let mid: Float64Array;
    let rad: Float64Array | null;
    if (k === 0) {
      mid = new Float64Array(n * cols);
      for (let j = 0; j < n; j++) {
        const row = j * cols;
        for (let b = 0; b < B; b++) {
          const o = row + b * w;
          weightRow(layer, j, mid.subarray(o, o + n0));
          mid[o + n0] = layer.b[j];
        }
      }
      rad = null;
    } else {
      const half = new Float64Array(L.length);
      const diff = new Float64Array(L.length);
      for (let i = 0; i < L.length; i++) {
        half[i] = 0.5 * (L[i] + U[i]);
        diff[i] = 0.5 * (U[i] - L[i]);
      }
      if (layer.csr) {
        mid = csrTimesDense(layer.csr, half, n, cols);
        rad = csrTimesDense(absCsr(layer.csr), diff, n, cols);
      } else {
        [mid, rad] = await Promise.all([matmul(layer.W, half, n, layer.inDim, cols), matmul(absW(layer), diff, n, layer.inDim, cols)]);
      }
      for (let j = 0; j < n; j++) {
        const bj = layer.b[j];
        const row = j * cols;
        for (let b = 0; b < B; b++) mid[row + b * w + n0] += bj;
      }
    }

    // Concretise: lower of L = mid - rad, upper of U = mid + rad, over each domain's box.
    const ibpB = await ibpAffine(layer, postLo, postHi, B);
    const lower = ibpB.lower;
    const upper = ibpB.upper;
    for (let j = 0; j < n; j++) {
      const row = j * cols;
      for (let b = 0; b < B; b++) {
        const o = row + b * w;
        const lo = batch.lower;
        const hi = batch.upper;
        const io = b * n0;
        let vl = mid[o + n0] - (rad ? rad[o + n0] : 0);
        let vu = mid[o + n0] + (rad ? rad[o + n0] : 0);
        for (let c = 0; c < n0; c++) {
          const m = mid[o + c];
          const r = rad ? rad[o + c] : 0;
          const al = m - r;
          const au = m + r;
          vl += al > 0 ? al * lo[io + c] : al * hi[io + c];
          vu += au > 0 ? au * hi[io + c] : au * lo[io + c];
        }
        const t = b * n + j;
        if (vl > lower[t]) lower[t] = vl;
        if (vu < upper[t]) upper[t] = vu;
      }
    }
    applyDomainConstraints(batch, k, n, layer.identity, lower, upper, infeasible, ctx.tol[k], ctx.splitDomain);
    preLower.push(lower);
    preUpper.push(upper);
    ({ lower: postLo, upper: postHi } = postActivation(lower, upper, layer));
    if (k === H - 1) break;

    // Relax: passing/identity keep both functions, blocking drop them,
    // ambiguous: upper s(U - l), lower alpha L (adaptive alpha in {0,1}).
    L = new Float64Array(n * cols);
    U = new Float64Array(n * cols);
    const id = layer.identity;
    const act = layer.act;
    for (let j = 0; j < n; j++) {
      const row = j * cols;
      const general = act && !act.kinds[act.kindOf[j]].piecewiseLinear ? act.kinds[act.kindOf[j]] : undefined;
      for (let b = 0; b < B; b++) {
        const t = b * n + j;
        const l = lower[t];
        const u = upper[t];
        const o = row + b * w;
        if (general) {
          // Any activation: its lines applied to the lower or upper function by the sign of each slope.
          general.relax(l, u, lines);
          const { lowSlope: a, lowIntercept: c, upSlope: e, upIntercept: d } = lines;
          for (let q = 0; q < w; q++) {
            const m = mid[o + q];
            const r = rad ? rad[o + q] : 0;
            L[o + q] = a >= 0 ? a * (m - r) : a * (m + r);
            U[o + q] = e >= 0 ? e * (m + r) : e * (m - r);
          }
          L[o + n0] += c;
          U[o + n0] += d;
        } else if ((id && id[j]) || l >= 0) {
          for (let c = 0; c < w; c++) {
            const m = mid[o + c];
            const r = rad ? rad[o + c] : 0;
            L[o + c] = m - r;
            U[o + c] = m + r;
          }
        } else if (u > 0) {
          const s = u / (u - l);
          const alpha = u >= -l ? 1 : 0;
          for (let c = 0; c < w; c++) {
            const m = mid[o + c];
            const r = rad ? rad[o + c] : 0;
            L[o + c] = alpha * (m - r);
            U[o + c] = s * (m + r);
          }
          U[o + n0] -= s * l;
        }
      }
    }
  }
  return { preLower, preUpper, infeasible };
}

/**
 * Bounder: symbolic intermediate bounds, then CROWN from the output rows.
 * Meant for low-dimensional inputs; for wide inputs use `crown`.
 */
export function symbolic(options: Omit<CrownOptions, 'intermediateLinear'> = {}): Bounder {
  const output = crown({ ...options, intermediateLinear: false });
  return {
    name: 'symbolic',
    async bound(net: LayeredNet, batch: DomainBatch, opts?: BoundOptions): Promise<BoundResult> {
      const sym = await symbolicIntermediate(net, batch);
      const res = await output.bound(net, { ...batch, preLower: sym.preLower, preUpper: sym.preUpper }, opts);
      for (let b = 0; b < batch.size; b++) {
        if (sym.infeasible[b]) res.rowLower.fill(Infinity, b * net.outputDim, (b + 1) * net.outputDim);
      }
      return res;
    },
  };
}
