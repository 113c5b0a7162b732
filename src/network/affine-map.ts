/**
 * An affine function of the current layer's variables, one row per element
 * of a tensor value: value = M v + b. Two forms:
 *  - selection: row i = scale[i] * v[sel[i]] (sel[i] = -1: zero row), which is
 *    what inputs and ReLU outputs are and what index maps and elementwise
 *    scalings preserve, so reshapes and permutations stay O(n);
 *  - dense: M as a rows x cols row-major matrix.
 */
export interface AffineMap {
  readonly rows: number;
  readonly cols: number;
  readonly b: Float64Array;
  readonly sel?: Int32Array;
  readonly scale?: Float64Array;
  readonly W?: Float64Array;
}

/**
 * Entries of the largest dense matrix lowering builds: 2^28 float64 (2 GiB).
 * A bigger layer (a huge input, a wide convolution materialised) is reported
 * as too large for this verifier instead of failing inside the allocator.
 */
export const MAX_DENSE_ENTRIES = 2 ** 28;

/** The input needs more memory than this verifier allows itself: an input error (exit 2), not a crash. */
export class TooLargeError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'TooLargeError';
  }
}

export function denseMatrix(rows: number, cols: number): Float64Array {
  if (!(rows * cols <= MAX_DENSE_ENTRIES)) {
    throw new TooLargeError(`a ${rows} x ${cols} dense matrix (${rows * cols} entries, ${((rows * cols * 8) / 2 ** 30).toFixed(1)} GiB) is too large for this verifier (limit ${MAX_DENSE_ENTRIES} entries)`);
  }
  return new Float64Array(rows * cols);
}

export function selectionMap(cols: number, sel: Int32Array, scale?: Float64Array, b?: Float64Array): AffineMap {
  return { rows: sel.length, cols, sel, scale: scale ?? new Float64Array(sel.length).fill(1), b: b ?? new Float64Array(sel.length) };
}

export function identityMap(n: number, offset = 0, cols = n): AffineMap {
  return selectionMap(cols, Int32Array.from({ length: n }, (_, i) => i + offset));
}

/** A constant as a map with no dependence on the variables. */
export function constantMap(cols: number, data: Float64Array): AffineMap {
  return selectionMap(cols, new Int32Array(data.length).fill(-1), new Float64Array(data.length), Float64Array.from(data));
}

export function toDense(m: AffineMap): Float64Array {
  if (m.W) return m.W;
  const W = denseMatrix(m.rows, m.cols);
  const { sel, scale } = m as Required<AffineMap>;
  for (let i = 0; i < m.rows; i++) if (sel[i] >= 0) W[i * m.cols + sel[i]] += scale[i];
  return W;
}

/** Rows idx[0], idx[1], ... of m (an index map applied to the value). */
export function gatherRows(m: AffineMap, idx: Int32Array): AffineMap {
  const n = idx.length;
  const b = new Float64Array(n);
  for (let i = 0; i < n; i++) b[i] = m.b[idx[i]];
  if (m.sel && m.scale) {
    const sel = new Int32Array(n);
    const scale = new Float64Array(n);
    for (let i = 0; i < n; i++) {
      sel[i] = m.sel[idx[i]];
      scale[i] = m.scale[idx[i]];
    }
    return { rows: n, cols: m.cols, sel, scale, b };
  }
  const src = m.W as Float64Array;
  const W = denseMatrix(n, m.cols);
  for (let i = 0; i < n; i++) W.set(src.subarray(idx[i] * m.cols, (idx[i] + 1) * m.cols), i * m.cols);
  return { rows: n, cols: m.cols, W, b };
}

/** Row i -> a[i] * row i + c[i]. */
export function scaleShift(m: AffineMap, a: Float64Array | number, c?: Float64Array): AffineMap {
  const n = m.rows;
  const ai = (i: number) => (typeof a === 'number' ? a : a[i]);
  const b = new Float64Array(n);
  for (let i = 0; i < n; i++) b[i] = ai(i) * m.b[i] + (c ? c[i] : 0);
  if (m.sel && m.scale) {
    const scale = new Float64Array(n);
    for (let i = 0; i < n; i++) scale[i] = ai(i) * m.scale[i];
    return { rows: n, cols: m.cols, sel: m.sel, scale, b };
  }
  const src = m.W as Float64Array;
  const W = new Float64Array(src.length);
  for (let i = 0; i < n; i++) {
    const s = ai(i);
    const off = i * m.cols;
    for (let j = 0; j < m.cols; j++) W[off + j] = s * src[off + j];
  }
  return { rows: n, cols: m.cols, W, b };
}

/** p + sign * q, rows aligned. */
export function addMaps(p: AffineMap, q: AffineMap, sign: 1 | -1): AffineMap {
  const n = p.rows;
  const b = new Float64Array(n);
  for (let i = 0; i < n; i++) b[i] = p.b[i] + sign * q.b[i];
  if (p.sel && q.sel && p.scale && q.scale && p.sel.every((s, i) => s === q.sel![i] || s < 0 || q.sel![i] < 0)) {
    const sel = new Int32Array(n);
    const scale = new Float64Array(n);
    for (let i = 0; i < n; i++) {
      sel[i] = p.sel[i] >= 0 ? p.sel[i] : q.sel[i];
      scale[i] = (p.sel[i] >= 0 ? p.scale[i] : 0) + sign * (q.sel[i] >= 0 ? q.scale[i] : 0);
    }
    return { rows: n, cols: p.cols, sel, scale, b };
  }
  const W = Float64Array.from(toDense(p));
  const Q = toDense(q);
  for (let k = 0; k < W.length; k++) W[k] += sign * Q[k];
  return { rows: n, cols: p.cols, W, b };
}

/** Rows of several maps stacked (same columns). */
export function stackMaps(maps: readonly AffineMap[]): AffineMap {
  if (maps.length === 1) return maps[0];
  const cols = maps[0].cols;
  const rows = maps.reduce((s, m) => s + m.rows, 0);
  const b = new Float64Array(rows);
  let off = 0;
  for (const m of maps) {
    b.set(m.b, off);
    off += m.rows;
  }
  if (maps.every((m) => m.sel)) {
    const sel = new Int32Array(rows);
    const scale = new Float64Array(rows);
    off = 0;
    for (const m of maps) {
      sel.set(m.sel!, off);
      scale.set(m.scale!, off);
      off += m.rows;
    }
    return { rows, cols, sel, scale, b };
  }
  const W = denseMatrix(rows, cols);
  off = 0;
  for (const m of maps) {
    W.set(toDense(m), off * cols);
    off += m.rows;
  }
  return { rows, cols, W, b };
}

/**
 * A map whose rows are linear combinations of m's rows plus `bias`:
 * `build(add)` calls add(o, j, coef) for out[o] += coef * m[j].
 * Selection inputs cost O(1) per term, dense ones O(cols) per term.
 */
export function combineRows(
  m: AffineMap,
  rows: number,
  bias: Float64Array,
  build: (add: (o: number, j: number, coef: number) => void) => void,
): AffineMap {
  const cols = m.cols;
  const W = denseMatrix(rows, cols);
  const b = Float64Array.from(bias);
  const mb = m.b;
  if (m.sel && m.scale) {
    const { sel, scale } = m;
    build((o, j, coef) => {
      b[o] += coef * mb[j];
      if (sel[j] >= 0) W[o * cols + sel[j]] += coef * scale[j];
    });
  } else {
    const src = m.W as Float64Array;
    build((o, j, coef) => {
      if (coef === 0) return;
      b[o] += coef * mb[j];
      const dst = o * cols;
      const from = j * cols;
      for (let k = 0; k < cols; k++) W[dst + k] += coef * src[from + k];
    });
  }
  return { rows, cols, W, b };
}

/** Express m (over `cols` variables) over a new base in which those variables sit at [offset, offset+cols). */
export function shiftColumns(m: AffineMap, newCols: number, offset: number): AffineMap {
  if (m.sel && m.scale) {
    const sel = Int32Array.from(m.sel, (s) => (s >= 0 ? s + offset : -1));
    return { rows: m.rows, cols: newCols, sel, scale: m.scale, b: m.b };
  }
  const src = m.W as Float64Array;
  const W = denseMatrix(m.rows, newCols);
  for (let i = 0; i < m.rows; i++) W.set(src.subarray(i * m.cols, (i + 1) * m.cols), i * newCols + offset);
  return { rows: m.rows, cols: newCols, W, b: m.b };
}
