/**
 * The single-neuron convex hull over a simplex and simplex propagation
 * ([Th3] Theorem 2, §3.4.1, B.3; ALGORITHMS.md §6.2-6.4).
 *
 * Every hidden layer k reads an input u >= 0 with sum(u) <= s_k (a scaled
 * simplex s_k·Δ): layer 0 reads the simplex coordinates z of the input set
 * (x = x0 + M z, s_0 = r), layer k >= 1 reads x_{k-1} with s_k = alpha_{k-1}
 * from simplex propagation. Instead of rescaling the network (the thesis's
 * conditioning, `conditionNet`, kept for the tests), the hull is written
 * in the unscaled u: for y = relu(w·u + b) over u in s·Δ,
 *
 *   y <= relu(b) + sum_i u_i (relu(b + s w_i) - relu(b)) / s,
 *
 * which is Theorem 2 after the change of variables u = s·ũ.
 */
import type { AffineLayer, LayeredNet } from '../../network/layered.js';
import { forEachWeight, forwardProduct } from '../../network/linear.js';
import { generatorCount, generatorsTimes, type InputSet, type SimplexSet } from '../../problem/input-set.js';

const relu = (v: number) => (v > 0 ? v : 0);

/** Theorem 2 for one neuron y = relu(w·u + b), u in s·Δ: y <= base + V·u. */
export function hullUpper(w: ArrayLike<number>, b: number, s: number): { base: number; V: Float64Array } {
  const V = new Float64Array(w.length);
  const base = relu(b);
  // s = 0: u is the single point 0, where y = relu(b) exactly.
  if (s > 0) for (let i = 0; i < w.length; i++) V[i] = (relu(b + s * w[i]) - base) / s;
  return { base, V };
}

/**
 * Planet's upper line for the same neuron with the simplex's exact
 * pre-activation bounds (ALGORITHMS.md §6.1: the vertex 0 counts),
 * lhat = b + s·min(0, min w), uhat = b + s·max(0, max w), written the same
 * way: y <= base + V·u.
 */
export function planetUpper(w: ArrayLike<number>, b: number, s: number): { base: number; V: Float64Array; lower: number; upper: number } {
  let mn = 0;
  let mx = 0;
  for (let i = 0; i < w.length; i++) {
    mn = Math.min(mn, w[i]);
    mx = Math.max(mx, w[i]);
  }
  const lower = b + s * mn;
  const upper = b + s * mx;
  if (upper <= 0) return { base: 0, V: new Float64Array(w.length), lower, upper };
  if (lower >= 0) return { base: b, V: Float64Array.from(w), lower, upper };
  const theta = upper / (upper - lower);
  return { base: theta * (b - lower), V: Float64Array.from(w, (v) => theta * v), lower, upper };
}

/** True when every hidden neuron is a plain ReLU: the hull and simplex propagation need u = x_{k-1} >= 0. */
export function isPlainReluNet(net: LayeredNet): boolean {
  return net.layers.slice(0, -1).every((l) => !l.act && !(l.identity && l.identity.some((v) => v !== 0)));
}

export function requirePlainRelu(net: LayeredNet, who: string): void {
  if (!isPlainReluNet(net)) throw new Error(`${who}: simplex relaxations need a network whose hidden neurons are all ReLU (no identity or other activations)`);
}

/**
 * Layer k in its simplex coordinates u: the bias b^u and a walk over the
 * nonzero entries of each row of W^u. Layer 0 of a simplex set: W^u = W_0 M,
 * b^u = W_0 x0 + b_0 (B.6). Layer 0 of a box has no simplex coordinates.
 */
export interface SimplexRows {
  readonly inDim: number;
  readonly bias: Float64Array;
  forEachEntry(j: number, f: (i: number, w: number) => void): void;
}

export async function simplexRows(net: LayeredNet, set: InputSet, k: number): Promise<SimplexRows | undefined> {
  const layer = net.layers[k];
  if (k > 0) return { inDim: layer.inDim, bias: layer.b, forEachEntry: (j, f) => forEachWeight(layer, j, f) };
  if (set.kind === 'box') return undefined;
  const bias = await biasAtCentre(layer, set);
  if (set.generators.kind === 'signed-identity') {
    return {
      inDim: 2 * layer.inDim,
      bias,
      forEachEntry: (j, f) =>
        forEachWeight(layer, j, (i, w) => {
          if (w === 0) return;
          f(2 * i, w);
          f(2 * i + 1, -w);
        }),
    };
  }
  const m = generatorCount(set);
  const row = new Float64Array(layer.inDim);
  const h = new Float64Array(m);
  return {
    inDim: m,
    bias,
    forEachEntry: (j, f) => {
      row.fill(0);
      forEachWeight(layer, j, (i, w) => {
        row[i] = w;
      });
      generatorsTimes(set, row, h);
      for (let i = 0; i < m; i++) if (h[i] !== 0) f(i, h[i]);
    },
  };
}

async function biasAtCentre(layer: AffineLayer, set: SimplexSet): Promise<Float64Array> {
  const out = Float64Array.from(await forwardProduct(layer, set.x0, 1));
  for (let j = 0; j < out.length; j++) out[j] += layer.b[j];
  return out;
}

/**
 * Simplex propagation (3.6): an upper bound alpha_k on sum(x_k) for every
 * hidden layer. 1·relu(W^u u + b^u) is convex in u, so over s_k·Δ it is
 * largest at a vertex: 0 or s_k e_i. Only the entries where W^u is nonzero
 * change a vertex's value, so the vertices cost one pass over the nonzeros.
 * With `preUpper`, alpha_k is also capped by sum(relu(uhat_k)) (valid, and
 * the only bound available for a box's first layer). Returns s_k (the
 * radius of layer k's input simplex, NaN for a box's layer 0) and alpha_k.
 */
export async function simplexScales(
  net: LayeredNet,
  set: InputSet,
  preUpper?: readonly Float64Array[],
): Promise<{ inputScale: Float64Array; alpha: Float64Array }> {
  const H = net.layers.length - 1;
  const inputScale = new Float64Array(H);
  const alpha = new Float64Array(H);
  let s = set.kind === 'box' ? NaN : set.r;
  for (let k = 0; k < H; k++) {
    inputScale[k] = s;
    let a = Infinity;
    const rows = Number.isFinite(s) ? await simplexRows(net, set, k) : undefined;
    if (rows) {
      const n = net.layers[k].outDim;
      let base = 0;
      for (let j = 0; j < n; j++) base += relu(rows.bias[j]);
      const delta = new Float64Array(rows.inDim);
      for (let j = 0; j < n; j++) {
        const bj = rows.bias[j];
        const rb = relu(bj);
        rows.forEachEntry(j, (i, w) => {
          delta[i] += relu(bj + s * w) - rb;
        });
      }
      let mx = 0;
      for (let i = 0; i < delta.length; i++) if (delta[i] > mx) mx = delta[i];
      a = base + mx;
    }
    if (preUpper) {
      let cap = 0;
      for (const u of preUpper[k]) cap += relu(u);
      a = Math.min(a, cap);
    }
    alpha[k] = a;
    s = a;
  }
  return { inputScale, alpha };
}

/** Hull rows of layer k's ambiguous neurons in CSR over its simplex coordinates. */
export interface HullRows {
  readonly inDim: number;
  /** Per neuron, its row in ptr, or -1 (not ambiguous: no hull needed). */
  readonly rowOf: Int32Array;
  readonly ptr: Int32Array;
  readonly col: Int32Array;
  readonly val: Float64Array;
  /** relu(b^u_j): the hull's value at u = 0. */
  readonly base: Float64Array;
}

/** The hull upper bound (Theorem 2) of every neuron with ambiguous[j] of layer k. */
export function hullRows(rows: SimplexRows, s: number, ambiguous: ArrayLike<number>): HullRows {
  const n = ambiguous.length;
  const rowOf = new Int32Array(n).fill(-1);
  const ptr: number[] = [0];
  const col: number[] = [];
  const val: number[] = [];
  const base = new Float64Array(n);
  for (let j = 0; j < n; j++) {
    const bj = rows.bias[j];
    base[j] = relu(bj);
    if (!ambiguous[j]) continue;
    rowOf[j] = ptr.length - 1;
    if (s > 0 && Number.isFinite(s)) {
      rows.forEachEntry(j, (i, w) => {
        const v = (relu(bj + s * w) - base[j]) / s;
        if (v !== 0) {
          col.push(i);
          val.push(v);
        }
      });
    }
    ptr.push(col.length);
  }
  return { inDim: rows.inDim, rowOf, ptr: Int32Array.from(ptr), col: Int32Array.from(col), val: Float64Array.from(val), base };
}

/**
 * The thesis's conditioning (B.3) made explicit, for small networks and
 * tests: a network on the unit simplex ũ in Δ_m whose hidden layers'
 * outputs all lie in Δ, with the same outputs: f(x0 + r M ũ) = g(ũ).
 * Layer 0 becomes r·W_0 M, W_0 x0 + b_0; each hidden layer is divided by
 * its alpha_k and the next layer's weights multiplied by it.
 */
export async function conditionNet(net: LayeredNet, set: SimplexSet): Promise<{ net: LayeredNet; alpha: Float64Array }> {
  const { alpha } = await simplexScales(net, set);
  const H = net.layers.length - 1;
  const layers: AffineLayer[] = [];
  for (let k = 0; k <= H; k++) {
    const layer = net.layers[k];
    const rows = k === 0 ? ((await simplexRows(net, set, 0)) as SimplexRows) : undefined;
    const inDim = rows ? rows.inDim : layer.inDim;
    const W = new Float64Array(layer.outDim * inDim);
    const b = Float64Array.from(rows ? rows.bias : layer.b);
    const inScale = k === 0 ? set.r : alpha[k - 1] > 0 ? alpha[k - 1] : 1;
    const outScale = k < H && alpha[k] > 0 ? alpha[k] : 1;
    for (let j = 0; j < layer.outDim; j++) {
      const put = (i: number, w: number) => {
        W[j * inDim + i] = (w * inScale) / outScale;
      };
      if (rows) rows.forEachEntry(j, put);
      else forEachWeight(layer, j, put);
      b[j] /= outScale;
    }
    layers.push({ inDim, outDim: layer.outDim, W, b });
  }
  const m = layers[0].inDim;
  return { net: { inputShape: [1, m], inputDim: m, outputDim: net.outputDim, layers }, alpha };
}
