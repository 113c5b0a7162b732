/**
 * Certificates for leaves where no ReLU is ambiguous: the network is affine
 * on the leaf, the leaf is the input box cut by the split constraints
 * s·xhat(x) >= 0, and a disjunct (AND of rows, i.e. max_r g_r) is closed by
 * the LP  min t  s.t.  t >= g_r(x),  s·xhat(x) >= 0,  x in the box.
 * Its optimal row duals are the certificate: weights w_r on the t-rows and
 * split multipliers beta on the split rows, since by LP duality
 * min_x [sum_r w_r g_r - sum beta s xhat] over the box equals the LP value.
 * An infeasible LP (the splits contradict each other) gives a Farkas ray,
 * turned into multipliers large enough to make the bound positive. Either
 * way the checker re-derives the bound; HiGHS is trusted for nothing.
 */
import { createModel, getHighs, LpBuilder } from '../bounds/highs-model.js';
import { matmul } from '../tensor/matmul.js';
import type { CheckNet } from './check/check-net.js';
import type { NodeState } from './check/rigorous-bounds.js';
import type { Closure, DualEntry } from './format.js';

/** True when every neuron of the node is stable (active, inactive or identity). */
export function isLinearLeaf(net: CheckNet, st: NodeState): boolean {
  return st.L.every((L, k) => {
    const id = net.layers[k].identity;
    for (let j = 0; j < L.length; j++) if (!(id && id[j]) && L[j] < 0 && st.Ub[k][j] > 0) return false;
    return true;
  });
}

/** Per hidden layer k: xhat_k = M_k x + c_k on the node (M_k is n_k x n_0), and the output y likewise. */
async function affineMaps(net: CheckNet, st: NodeState): Promise<{ M: Float64Array[]; c: Float64Array[] }> {
  const n0 = net.n0;
  const M: Float64Array[] = [];
  const c: Float64Array[] = [];
  // Rows of the current post-activation as affine functions of x: P (n x n0), q (n).
  let P = new Float64Array(n0 * n0);
  for (let i = 0; i < n0; i++) P[i * n0 + i] = 1;
  let q = new Float64Array(n0);
  for (let t = 0; t <= net.H; t++) {
    const layer = net.layers[t];
    const Mt = await matmul(layer.W, P, layer.outDim, layer.inDim, n0);
    const ct = Float64Array.from(layer.b);
    for (let o = 0; o < layer.outDim; o++) {
      let s = ct[o];
      for (let i = 0; i < layer.inDim; i++) s += layer.W[o * layer.inDim + i] * q[i];
      ct[o] = s;
    }
    M.push(Mt);
    c.push(ct);
    if (t === net.H) break;
    const id = layer.identity;
    const L = st.L[t];
    P = Mt.slice();
    q = ct.slice();
    for (let j = 0; j < layer.outDim; j++) {
      if ((id && id[j]) || L[j] >= 0) continue;
      P.fill(0, j * n0, (j + 1) * n0);
      q[j] = 0;
    }
  }
  return { M, c };
}

/**
 * A closure of disjunct `g` on a linear leaf from the LP's duals, or
 * undefined when HiGHS gives none (the checker would reject a bad one anyway).
 */
export async function linearLeafClosure(net: CheckNet, st: NodeState, g: number): Promise<Closure | undefined> {
  const n0 = net.n0;
  const { M, c } = await affineMaps(net, st);
  const m = net.layers[net.H].outDim;
  const rows = Array.from(net.rowGroup.keys()).filter((r) => net.rowGroup[r] === g);
  const B = new LpBuilder();
  for (let i = 0; i < n0; i++) B.addCol(st.lower[i], st.upper[i]);
  const tCol = B.addCol(-Infinity, Infinity);
  B.colCost[tCol] = 1;
  const idx = [...Array.from({ length: n0 }, (_, i) => i), tCol];
  // t - a_r·x >= e_r, with g_r(x) = a_r·x + e_r = C_r (M_H x + c_H) - d_r.
  const My = M[net.H];
  const cy = c[net.H];
  for (const r of rows) {
    const a = new Array<number>(n0).fill(0);
    let e = -net.d[r];
    for (let o = 0; o < m; o++) {
      const w = net.C[r * m + o];
      if (w === 0) continue;
      e += w * cy[o];
      for (let i = 0; i < n0; i++) a[i] += w * My[o * n0 + i];
    }
    B.addRow(e, Infinity, idx, [...a.map((v) => -v), 1]);
  }
  // s·(M_k[j]·x + c_k[j]) >= 0.
  const splitRows: [number, number][] = [];
  st.splits.forEach((sp, k) => {
    const id = net.layers[k].identity;
    for (let j = 0; j < sp.length; j++) {
      if (sp[j] === 0 || (id && id[j])) continue;
      const s = sp[j];
      const a = Array.from(M[k].subarray(j * n0, (j + 1) * n0), (v) => s * v);
      B.addRow(-s * c[k][j], Infinity, idx.slice(0, n0), a);
      splitRows.push([k, j]);
    }
  });
  const highs = await getHighs();
  const model = createModel(highs, B);
  try {
    const status = model.run().modelStatus;
    const OPTIMAL = 7;
    const INFEASIBLE = [8, 9];
    if (status === OPTIMAL) {
      const dual = model.getSolution().rowDual as Float64Array;
      const w = rows.map((r, q): [number, number] => [r, Math.max(0, dual[q])]);
      if (!w.some(([, v]) => v > 0)) w.forEach((x) => (x[1] = 1 / rows.length));
      const beta: DualEntry[] = [];
      splitRows.forEach(([k, j], q) => {
        const v = dual[rows.length + q];
        if (v > 0) beta.push([k, j, v]);
      });
      return { disjunct: g, rows: w, beta };
    }
    if (INFEASIBLE.includes(status)) {
      const ray = model.getDualRay();
      if (!ray) return undefined;
      return farkasClosure(net, st, g, rows[0], ray.values as Float64Array, rows.length, splitRows, M, c);
    }
    return undefined;
  } catch {
    return undefined;
  } finally {
    model.dispose();
  }
}

/**
 * An infeasible leaf: with y >= 0 on the split rows, sum y s xhat(x) < 0 on
 * the whole box contradicts s·xhat >= 0; scaled by lambda, the multipliers
 * outweigh any value of one row g_r0 and close the disjunct.
 */
function farkasClosure(
  net: CheckNet,
  st: NodeState,
  g: number,
  r0: number,
  ray: Float64Array,
  tRows: number,
  splitRows: readonly [number, number][],
  M: readonly Float64Array[],
  c: readonly Float64Array[],
): Closure | undefined {
  const n0 = net.n0;
  const y = splitRows.map((_, q) => Math.abs(ray[tRows + q]));
  // max over the box of sum_q y_q s_q xhat_q(x): must be negative.
  const a = new Float64Array(n0);
  let e = 0;
  splitRows.forEach(([k, j], q) => {
    const s = st.splits[k][j];
    e += y[q] * s * c[k][j];
    for (let i = 0; i < n0; i++) a[i] += y[q] * s * M[k][j * n0 + i];
  });
  let mx = e;
  for (let i = 0; i < n0; i++) mx += a[i] >= 0 ? a[i] * st.upper[i] : a[i] * st.lower[i];
  if (!(mx < 0)) return undefined;
  // A crude lower bound of g_r0 over the box: the interval of the output row.
  const m = net.layers[net.H].outDim;
  let gmin = -net.d[r0];
  for (let o = 0; o < m; o++) {
    const w = net.C[r0 * m + o];
    let lo = c[net.H][o];
    let hi = c[net.H][o];
    for (let i = 0; i < n0; i++) {
      const v = M[net.H][o * n0 + i];
      lo += v >= 0 ? v * st.lower[i] : v * st.upper[i];
      hi += v >= 0 ? v * st.upper[i] : v * st.lower[i];
    }
    gmin += w >= 0 ? w * lo : w * hi;
  }
  const lambda = (2 * (Math.abs(gmin) + 1)) / -mx;
  const beta: DualEntry[] = [];
  splitRows.forEach(([k, j], q) => {
    if (y[q] > 0) beta.push([k, j, lambda * y[q]]);
  });
  return { disjunct: g, rows: [[r0, 1]], beta };
}
