/**
 * Input sets beyond the box (ALGORITHMS.md §1.5, §6.1; issue 16):
 *
 *   box:      lower <= x <= upper
 *   simplex:  x = x0 + M z,  z >= 0,  sum(z) <= r      (the image of r·Δ_m)
 *
 * optionally intersected with a clip box (pixel ranges). An ℓ1 ball
 * {‖x - x0‖_1 <= eps} is the simplex image with r = eps and the implicit
 * generators M = [e_1, -e_1, e_2, -e_2, ...] ([Th3] B.3, eq. B.5), which is
 * never materialised: a·M is just (a_1, -a_1, a_2, -a_2, ...).
 *
 * Every bounder ends in `minLinear`: min over the set of a·x + c. Bounders
 * that only understand boxes may use `boundingBox`, a superset, so their
 * bounds stay valid, only looser.
 */

/** Columns of M: explicit (n0 x m, row-major) or the ℓ1 pattern [e_1, -e_1, ...] (m = 2 n0). */
export type Generators = { readonly kind: 'dense'; readonly m: number; readonly M: Float64Array } | { readonly kind: 'signed-identity' };

export interface BoxSet {
  readonly kind: 'box';
  readonly lower: Float64Array;
  readonly upper: Float64Array;
}

export interface SimplexSet {
  readonly kind: 'simplex';
  readonly x0: Float64Array;
  readonly generators: Generators;
  /** Radius: sum(z) <= r, r >= 0. */
  readonly r: number;
  /**
   * Optional box the set is intersected with (x0 must lie in it). The
   * concretisation is exact with it for ℓ1 generators; for dense ones it
   * is ignored there (a superset: valid, looser) and used only by the LP.
   */
  readonly clip?: { readonly lower: Float64Array; readonly upper: Float64Array };
}

export type InputSet = BoxSet | SimplexSet;

export function inputDim(set: InputSet): number {
  return set.kind === 'box' ? set.lower.length : set.x0.length;
}

/** m, the number of simplex coordinates z. */
export function generatorCount(set: SimplexSet): number {
  return set.generators.kind === 'dense' ? set.generators.m : 2 * set.x0.length;
}

function checkFinite(v: ArrayLike<number>, what: string): void {
  for (let i = 0; i < v.length; i++) if (!Number.isFinite(v[i])) throw new Error(`${what}: entry ${i} is not finite`);
}

function checkRadius(r: number, what: string): void {
  // A negative radius is an empty set, which no caller means: refuse instead of proving anything about it.
  if (!(Number.isFinite(r) && r >= 0)) throw new Error(`${what}: radius must be finite and >= 0, got ${r}`);
}

function checkClip(x0: Float64Array, clip: SimplexSet['clip'], what: string): void {
  if (!clip) return;
  if (clip.lower.length !== x0.length || clip.upper.length !== x0.length) throw new Error(`${what}: clip box has the wrong dimension`);
  for (let i = 0; i < x0.length; i++) {
    // The greedy concretisation starts at x0: it must be a point of the set.
    if (!(clip.lower[i] <= x0[i] && x0[i] <= clip.upper[i])) throw new Error(`${what}: centre coordinate ${i} (${x0[i]}) lies outside the clip box`);
  }
}

/** {x : ‖x - x0‖_1 <= eps}, optionally ∩ [clip.lower, clip.upper]. */
export function l1Ball(x0: Float64Array, eps: number, clip?: SimplexSet['clip']): SimplexSet {
  checkFinite(x0, 'l1Ball centre');
  checkRadius(eps, 'l1Ball');
  checkClip(x0, clip, 'l1Ball');
  return { kind: 'simplex', x0, generators: { kind: 'signed-identity' }, r: eps, ...(clip ? { clip } : {}) };
}

/** {x0 + M z : z >= 0, sum z <= r}, M given n0 x m row-major. */
export function simplexImage(x0: Float64Array, M: Float64Array, m: number, r: number, clip?: SimplexSet['clip']): SimplexSet {
  if (!(Number.isInteger(m) && m >= 1) || M.length !== x0.length * m) throw new Error(`simplexImage: M has ${M.length} entries, expected ${x0.length} x ${m}`);
  checkFinite(x0, 'simplexImage centre');
  checkFinite(M, 'simplexImage generators');
  checkRadius(r, 'simplexImage');
  checkClip(x0, clip, 'simplexImage');
  return { kind: 'simplex', x0, generators: { kind: 'dense', m, M }, r, ...(clip ? { clip } : {}) };
}

/** out[0..m) = a·M (the coefficients of a·x on z). */
export function generatorsTimes(set: SimplexSet, a: ArrayLike<number>, out: Float64Array = new Float64Array(generatorCount(set))): Float64Array {
  const n0 = set.x0.length;
  const g = set.generators;
  if (g.kind === 'signed-identity') {
    for (let i = 0; i < n0; i++) {
      out[2 * i] = a[i];
      out[2 * i + 1] = -a[i];
    }
    return out;
  }
  const { m, M } = g;
  out.fill(0, 0, m);
  for (let i = 0; i < n0; i++) {
    const ai = a[i];
    if (ai === 0) continue;
    const off = i * m;
    for (let j = 0; j < m; j++) out[j] += ai * M[off + j];
  }
  return out;
}

/** Column j of M (a generator) into out[0..n0). */
export function generator(set: SimplexSet, j: number, out: Float64Array = new Float64Array(set.x0.length)): Float64Array {
  const n0 = set.x0.length;
  const g = set.generators;
  if (g.kind === 'signed-identity') {
    out.fill(0, 0, n0);
    out[j >> 1] = j & 1 ? -1 : 1;
    return out;
  }
  for (let i = 0; i < n0; i++) out[i] = g.M[i * g.m + j];
  return out;
}

/** x0 + M z. */
export function pointAt(set: SimplexSet, z: ArrayLike<number>): Float64Array {
  const x = Float64Array.from(set.x0);
  const col = new Float64Array(x.length);
  for (let j = 0; j < z.length; j++) {
    if (z[j] === 0) continue;
    generator(set, j, col);
    for (let i = 0; i < x.length; i++) x[i] += z[j] * col[i];
  }
  return x;
}

/**
 * min over the set of a·x + c. Over a simplex image: a·x0 + c + r·min(0,
 * min_j (aM)_j), the minimum of a linear function over r·Δ being at the
 * vertex 0 or at some r·e_j. Sign care: the vertex 0 always counts (all
 * coefficients positive gives a·x0 + c, not more); r = 0 adds nothing even
 * for infinite coefficients (0·∞ would be NaN); a NaN coefficient gives
 * -Infinity, never a number that could prove something.
 */
export function minLinear(set: InputSet, a: ArrayLike<number>, c: number): number {
  if (set.kind === 'box') {
    let s = c;
    for (let i = 0; i < a.length; i++) {
      const ai = a[i];
      if (ai === 0) continue;
      s += ai > 0 ? ai * set.lower[i] : ai * set.upper[i];
    }
    return Number.isNaN(s) ? -Infinity : s;
  }
  const n0 = set.x0.length;
  let s = c;
  for (let i = 0; i < n0; i++) s += a[i] * set.x0[i];
  if (Number.isNaN(s)) return -Infinity;
  if (set.r === 0) return s;
  if (set.generators.kind === 'signed-identity' && !set.clip) {
    // min_j over (a_i, -a_i) = -max_i |a_i|, without forming aM.
    let mx = 0;
    for (let i = 0; i < n0; i++) {
      const v = Math.abs(a[i]);
      if (!(v <= mx)) mx = v; // NaN takes the branch and makes the result NaN below
    }
    const out = s - set.r * mx;
    return Number.isNaN(out) ? -Infinity : out;
  }
  return minOverZ(set, generatorsTimes(set, a), s);
}

/**
 * Per simplex coordinate, how far z_j may go. Unclipped: r (the simplex
 * alone). ℓ1 ∩ clip box: z_{2i} (moving x_i up) at most upper_i - x0_i and
 * z_{2i+1} at most x0_i - lower_i. That is a subset of the z that map into
 * the set, but it holds the canonical z = ([δ]_+, [δ]_-) of every point of
 * it, so a minimum over it of any relaxation valid on all of r·Δ is a lower
 * bound over the set. Dense generators ignore the clip (a superset).
 */
export function zCap(set: SimplexSet, j: number): number {
  if (!set.clip || set.generators.kind !== 'signed-identity') return set.r;
  const i = j >> 1;
  return Math.min(set.r, j & 1 ? set.x0[i] - set.clip.lower[i] : set.clip.upper[i] - set.x0[i]);
}

/**
 * min over z of h·z + c, z >= 0, sum z <= r, z_j <= cap_j: a fractional
 * knapsack, so spending the budget on the most negative h_j first is exact
 * (without caps: r·min(0, min_j h_j)). `zOut`, when given, receives the
 * minimiser.
 */
export function minOverZ(set: SimplexSet, h: ArrayLike<number>, c: number, zOut?: Float64Array): number {
  const m = h.length;
  if (zOut) zOut.fill(0, 0, m);
  if (Number.isNaN(c)) return -Infinity;
  if (set.r === 0) return c;
  const capped = set.clip !== undefined && set.generators.kind === 'signed-identity';
  if (!capped) {
    let mn = 0;
    let at = -1;
    for (let j = 0; j < m; j++) {
      const v = h[j];
      if (Number.isNaN(v)) return -Infinity;
      if (v < mn) {
        mn = v;
        at = j;
      }
    }
    if (zOut && at >= 0) zOut[at] = set.r;
    return c + set.r * mn;
  }
  const order: number[] = [];
  for (let j = 0; j < m; j++) {
    if (Number.isNaN(h[j])) return -Infinity;
    if (h[j] < 0) order.push(j);
  }
  order.sort((p, q) => h[p] - h[q]);
  let budget = set.r;
  let s = c;
  for (const j of order) {
    if (budget <= 0) break;
    const step = Math.min(zCap(set, j), budget);
    if (step <= 0) continue;
    s += h[j] * step;
    budget -= step;
    if (zOut) zOut[j] = step;
  }
  return s;
}

/** A point of the set attaining minLinear(set, a, ·). */
export function argminLinear(set: InputSet, a: ArrayLike<number>): Float64Array {
  if (set.kind === 'box') return Float64Array.from(set.lower, (l, i) => (a[i] >= 0 ? l : set.upper[i]));
  const z = new Float64Array(generatorCount(set));
  minOverZ(set, generatorsTimes(set, a), 0, z);
  return pointAt(set, z);
}

/** lb[r] = minLinear(set, A_r, c_r) for R rows of A (R x n0). */
export function minLinearRows(set: InputSet, A: Float64Array, c: ArrayLike<number>, R: number, out: Float64Array = new Float64Array(R)): Float64Array {
  const n0 = inputDim(set);
  for (let r = 0; r < R; r++) out[r] = minLinear(set, A.subarray(r * n0, (r + 1) * n0), c[r]);
  return out;
}

/** The smallest box containing the set (per coordinate: minLinear of ±e_i, clip included). */
export function boundingBox(set: InputSet): { lower: Float64Array; upper: Float64Array } {
  if (set.kind === 'box') return { lower: Float64Array.from(set.lower), upper: Float64Array.from(set.upper) };
  const n0 = set.x0.length;
  const lower = new Float64Array(n0);
  const upper = new Float64Array(n0);
  const g = set.generators;
  for (let i = 0; i < n0; i++) {
    let lo = 0;
    let hi = 0;
    if (g.kind === 'signed-identity') {
      lo = -1;
      hi = 1;
    } else {
      for (let j = 0; j < g.m; j++) {
        const v = g.M[i * g.m + j];
        if (v < lo) lo = v;
        if (v > hi) hi = v;
      }
    }
    lower[i] = set.x0[i] + set.r * lo;
    upper[i] = set.x0[i] + set.r * hi;
    if (set.clip) {
      lower[i] = Math.max(lower[i], set.clip.lower[i]);
      upper[i] = Math.min(upper[i], set.clip.upper[i]);
    }
  }
  return { lower, upper };
}

/** The vertices x0 and x0 + r M e_j of an unclipped simplex image (for tests and starting points). */
export function simplexVertices(set: SimplexSet): Float64Array[] {
  const m = generatorCount(set);
  const out = [Float64Array.from(set.x0)];
  const col = new Float64Array(set.x0.length);
  for (let j = 0; j < m; j++) {
    generator(set, j, col);
    const v = Float64Array.from(set.x0);
    for (let i = 0; i < v.length; i++) v[i] += set.r * col[i];
    out.push(v);
  }
  return out;
}

/** A random point of the set: z uniform on r·Δ_m (sorted-uniform spacings), then clipped if there is a clip box (which keeps it in the set only for ℓ1 generators: moving a coordinate towards x0 shortens δ). */
export function samplePoint(set: SimplexSet, rng: () => number): Float64Array {
  const m = generatorCount(set);
  // m+1 spacings of m sorted uniforms: (z, slack) uniform on the standard simplex.
  const u = Array.from({ length: m }, () => rng()).sort((p, q) => p - q);
  const z = new Float64Array(m);
  let prev = 0;
  for (let j = 0; j < m; j++) {
    z[j] = set.r * (u[j] - prev);
    prev = u[j];
  }
  const x = pointAt(set, z);
  if (set.clip) {
    if (set.generators.kind !== 'signed-identity') throw new Error('samplePoint: clipping keeps points in the set only for l1 generators');
    for (let i = 0; i < x.length; i++) x[i] = Math.min(set.clip.upper[i], Math.max(set.clip.lower[i], x[i]));
  }
  return x;
}
