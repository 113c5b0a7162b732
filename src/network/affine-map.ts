/**
 * An affine function of the current layer's variables, one row per element
 * of a tensor value: value = M v + b. Three forms:
 *  - selection: row i = scale[i] * v[sel[i]] (sel[i] = -1: zero row), which is
 *    what inputs and ReLU outputs are and what index maps and elementwise
 *    scalings preserve, so reshapes and permutations stay O(n);
 *  - sparse: M in compressed sparse rows (`csr`, columns ascending within a
 *    row, no stored zeros), what convolutions and their compositions are;
 *  - dense: M as a rows x cols row-major matrix (`W`), what fully connected
 *    layers are.
 * Every operation accumulates each entry from the same terms in the same
 * order whatever the forms of its operands, so the forms give identical
 * numbers; the form of a result is chosen by its density (`DENSE_FRACTION`).
 */
import { countNonzeros, csrFromDense, type Csr } from '../tensor/matmul.js';

export type { Csr };

export interface AffineMap {
  readonly rows: number;
  readonly cols: number;
  readonly b: Float64Array;
  readonly sel?: Int32Array;
  readonly scale?: Float64Array;
  readonly W?: Float64Array;
  readonly csr?: Csr;
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

/**
 * Nonzeros of the largest sparse matrix lowering builds: 2^28 (3 GiB of
 * column indices and values).
 */
export const MAX_SPARSE_NNZ = 2 ** 28;

/** A result with at least this fraction of nonzero entries is held dense (when it fits), sparser ones in CSR. */
export const DENSE_FRACTION = 0.25;

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

function checkNnz(nnz: number, rows: number, cols: number): void {
  if (!(nnz <= MAX_SPARSE_NNZ)) {
    throw new TooLargeError(`a ${rows} x ${cols} sparse matrix with ${nnz} nonzeros (${((nnz * 12) / 2 ** 30).toFixed(1)} GiB) is too large for this verifier (limit ${MAX_SPARSE_NNZ} nonzeros)`);
  }
}

/** Stored entries of a map's matrix: nonzeros of a sparse one, rows x cols of a dense one, rows with a variable of a selection. */
export function mapEntries(m: AffineMap): number {
  if (m.csr) return m.csr.val.length;
  if (m.W) return m.W.length;
  let n = 0;
  for (let i = 0; i < m.rows; i++) if (m.sel![i] >= 0) n++;
  return n;
}

export function isSelection(m: AffineMap): m is AffineMap & { sel: Int32Array; scale: Float64Array } {
  return m.sel !== undefined && m.scale !== undefined;
}

/** Whether a rows x cols result with (about) nnz nonzeros is held dense. */
function wantsDense(rows: number, cols: number, nnz: number): boolean {
  const entries = rows * cols;
  return entries <= MAX_DENSE_ENTRIES && nnz >= DENSE_FRACTION * entries;
}

/**
 * Rows of a CSR matrix built one at a time: each row's entries accumulate in
 * a scratch row (first touch sets 0, then += in call order, as a dense
 * matrix would), and `endRow` stores its nonzeros with ascending columns.
 */
class RowAccumulator {
  readonly rowPtr: Int32Array;
  private col: Int32Array;
  private val: Float64Array;
  private nnz = 0;
  private row = 0;
  /** The scratch row, which columns it holds for which row, and the touched columns (the hot loop of combineRows uses them directly). */
  readonly acc: Float64Array;
  readonly mark: Int32Array;
  readonly touched: Int32Array;
  nt = 0;

  constructor(readonly rows: number, readonly cols: number, capacity: number) {
    this.rowPtr = new Int32Array(rows + 1);
    const cap = Math.max(16, Math.min(capacity, MAX_SPARSE_NNZ));
    this.col = new Int32Array(cap);
    this.val = new Float64Array(cap);
    this.acc = new Float64Array(cols);
    this.mark = new Int32Array(cols).fill(-1);
    this.touched = new Int32Array(cols);
  }

  add(c: number, v: number): void {
    if (this.mark[c] !== this.row) {
      this.mark[c] = this.row;
      this.acc[c] = 0;
      this.touched[this.nt++] = c;
    }
    this.acc[c] += v;
  }

  /** Close the current row: its nonzeros, columns ascending. */
  endRow(): void {
    const t = this.touched.subarray(0, this.nt);
    if (this.nt > 1) t.sort();
    const need = this.nnz + this.nt;
    if (need > this.col.length) {
      checkNnz(need, this.rows, this.cols);
      const cap = Math.min(MAX_SPARSE_NNZ, Math.max(need, Math.ceil(this.col.length * 1.5)));
      const col = new Int32Array(cap);
      col.set(this.col.subarray(0, this.nnz));
      const val = new Float64Array(cap);
      val.set(this.val.subarray(0, this.nnz));
      this.col = col;
      this.val = val;
    }
    for (let k = 0; k < this.nt; k++) {
      const c = t[k];
      const v = this.acc[c];
      if (v !== 0) {
        this.col[this.nnz] = c;
        this.val[this.nnz++] = v;
      }
    }
    this.nt = 0;
    this.rowPtr[++this.row] = this.nnz;
  }

  finish(): Csr {
    if (this.row !== this.rows) throw new Error(`internal: ${this.row} of ${this.rows} rows built`);
    const n = this.nnz;
    const fit = n === this.col.length;
    return { rowPtr: this.rowPtr, col: fit ? this.col : this.col.slice(0, n), val: fit ? this.val : this.val.slice(0, n) };
  }
}

/** The map of a CSR matrix, held dense instead when it is dense enough and fits. */
function fromCsr(rows: number, cols: number, csr: Csr, b: Float64Array): AffineMap {
  if (wantsDense(rows, cols, csr.val.length)) return { rows, cols, W: csrToDense(csr, rows, cols), b };
  return { rows, cols, csr, b };
}

function csrToDense(csr: Csr, rows: number, cols: number): Float64Array {
  const W = denseMatrix(rows, cols);
  const { rowPtr, col, val } = csr;
  for (let i = 0; i < rows; i++) for (let q = rowPtr[i]; q < rowPtr[i + 1]; q++) W[i * cols + col[q]] += val[q];
  return W;
}

/** The CSR of any map's matrix (shared, not copied, when it is already sparse). */
export function toCsr(m: AffineMap): Csr {
  if (m.csr) return m.csr;
  const { rows, cols } = m;
  if (m.W) {
    const nnz = countNonzeros(m.W);
    checkNnz(nnz, rows, cols);
    return csrFromDense(m.W, rows, cols, nnz);
  }
  const { sel, scale } = m as Required<AffineMap>;
  let nnz = 0;
  for (let i = 0; i < rows; i++) if (sel[i] >= 0 && scale[i] !== 0) nnz++;
  const rowPtr = new Int32Array(rows + 1);
  const col = new Int32Array(nnz);
  const val = new Float64Array(nnz);
  let q = 0;
  for (let i = 0; i < rows; i++) {
    if (sel[i] >= 0 && scale[i] !== 0) {
      col[q] = sel[i];
      val[q++] = scale[i];
    }
    rowPtr[i + 1] = q;
  }
  return { rowPtr, col, val };
}

/** A map held in CSR whatever its density (tests, and callers that know better). */
export function sparseMap(m: AffineMap): AffineMap {
  return { rows: m.rows, cols: m.cols, csr: toCsr(m), b: m.b };
}

/** A map held dense. */
export function denseMap(m: AffineMap): AffineMap {
  return { rows: m.rows, cols: m.cols, W: toDense(m), b: m.b };
}

export function toDense(m: AffineMap): Float64Array {
  if (m.W) return m.W;
  if (m.csr) return csrToDense(m.csr, m.rows, m.cols);
  const W = denseMatrix(m.rows, m.cols);
  const { sel, scale } = m as Required<AffineMap>;
  for (let i = 0; i < m.rows; i++) if (sel[i] >= 0) W[i * m.cols + sel[i]] += scale[i];
  return W;
}

/**
 * Rows idx[0], idx[1], ... of m (an index map applied to the value); a
 * negative index gives a zero row with zero offset.
 */
export function gatherRows(m: AffineMap, idx: Int32Array): AffineMap {
  const n = idx.length;
  const b = new Float64Array(n);
  for (let i = 0; i < n; i++) b[i] = idx[i] >= 0 ? m.b[idx[i]] : 0;
  if (isSelection(m)) {
    const sel = new Int32Array(n);
    const scale = new Float64Array(n);
    for (let i = 0; i < n; i++) {
      sel[i] = idx[i] >= 0 ? m.sel[idx[i]] : -1;
      scale[i] = idx[i] >= 0 ? m.scale[idx[i]] : 0;
    }
    return { rows: n, cols: m.cols, sel, scale, b };
  }
  if (m.csr) {
    const s = m.csr;
    const rowPtr = new Int32Array(n + 1);
    for (let i = 0; i < n; i++) rowPtr[i + 1] = rowPtr[i] + (idx[i] >= 0 ? s.rowPtr[idx[i] + 1] - s.rowPtr[idx[i]] : 0);
    checkNnz(rowPtr[n], n, m.cols);
    const col = new Int32Array(rowPtr[n]);
    const val = new Float64Array(rowPtr[n]);
    for (let i = 0; i < n; i++) {
      if (idx[i] < 0) continue;
      const [from, to] = [s.rowPtr[idx[i]], s.rowPtr[idx[i] + 1]];
      col.set(s.col.subarray(from, to), rowPtr[i]);
      val.set(s.val.subarray(from, to), rowPtr[i]);
    }
    return { rows: n, cols: m.cols, csr: { rowPtr, col, val }, b };
  }
  const src = m.W as Float64Array;
  if (n * m.cols > MAX_DENSE_ENTRIES) return gatherRows(sparseMap(m), idx);
  const W = denseMatrix(n, m.cols);
  for (let i = 0; i < n; i++) if (idx[i] >= 0) W.set(src.subarray(idx[i] * m.cols, (idx[i] + 1) * m.cols), i * m.cols);
  return { rows: n, cols: m.cols, W, b };
}

/** Row i -> a[i] * row i + c[i]. */
export function scaleShift(m: AffineMap, a: Float64Array | number, c?: Float64Array): AffineMap {
  const n = m.rows;
  const ai = (i: number) => (typeof a === 'number' ? a : a[i]);
  const b = new Float64Array(n);
  for (let i = 0; i < n; i++) b[i] = ai(i) * m.b[i] + (c ? c[i] : 0);
  if (isSelection(m)) {
    const scale = new Float64Array(n);
    for (let i = 0; i < n; i++) scale[i] = ai(i) * m.scale[i];
    return { rows: n, cols: m.cols, sel: m.sel, scale, b };
  }
  if (m.csr) {
    const { rowPtr, col, val } = m.csr;
    const v = new Float64Array(val.length);
    for (let i = 0; i < n; i++) {
      const s = ai(i);
      for (let q = rowPtr[i]; q < rowPtr[i + 1]; q++) v[q] = s * val[q];
    }
    return { rows: n, cols: m.cols, csr: { rowPtr, col, val: v }, b };
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

/** Calls f(col, value) for every stored entry of row i (a selection's zero-scale entry included). */
function forEachInRow(m: AffineMap, i: number, f: (c: number, v: number) => void): void {
  if (m.csr) {
    const { rowPtr, col, val } = m.csr;
    for (let q = rowPtr[i]; q < rowPtr[i + 1]; q++) f(col[q], val[q]);
  } else if (m.W) {
    const off = i * m.cols;
    for (let j = 0; j < m.cols; j++) if (m.W[off + j] !== 0) f(j, m.W[off + j]);
  } else if (m.sel![i] >= 0) {
    f(m.sel![i], m.scale![i]);
  }
}

/** p + sign * q, rows aligned. */
export function addMaps(p: AffineMap, q: AffineMap, sign: 1 | -1): AffineMap {
  const n = p.rows;
  const cols = p.cols;
  const b = new Float64Array(n);
  for (let i = 0; i < n; i++) b[i] = p.b[i] + sign * q.b[i];
  if (isSelection(p) && isSelection(q) && p.sel.every((s, i) => s === q.sel[i] || s < 0 || q.sel[i] < 0)) {
    const sel = new Int32Array(n);
    const scale = new Float64Array(n);
    for (let i = 0; i < n; i++) {
      sel[i] = p.sel[i] >= 0 ? p.sel[i] : q.sel[i];
      scale[i] = (p.sel[i] >= 0 ? p.scale[i] : 0) + sign * (q.sel[i] >= 0 ? q.scale[i] : 0);
    }
    return { rows: n, cols, sel, scale, b };
  }
  if (p.W || q.W) {
    // A dense operand: the sum is dense.
    const W = Float64Array.from(toDense(p));
    if (q.W) {
      const Q = q.W;
      for (let k = 0; k < W.length; k++) W[k] += sign * Q[k];
    } else {
      for (let i = 0; i < n; i++) forEachInRow(q, i, (c, v) => (W[i * cols + c] += sign * v));
    }
    return { rows: n, cols, W, b };
  }
  // Selections and sparse maps: merged row by row.
  const acc = new RowAccumulator(n, cols, mapEntries(p) + mapEntries(q));
  const addP = (c: number, v: number) => acc.add(c, v);
  const addQ = (c: number, v: number) => acc.add(c, sign * v);
  for (let i = 0; i < n; i++) {
    forEachInRow(p, i, addP);
    forEachInRow(q, i, addQ);
    acc.endRow();
  }
  return fromCsr(n, cols, acc.finish(), b);
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
  if (maps.every((m) => isSelection(m))) {
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
  if (maps.some((m) => m.csr) || rows * cols > MAX_DENSE_ENTRIES) {
    const parts = maps.map(toCsr);
    const nnz = parts.reduce((s, c) => s + c.val.length, 0);
    checkNnz(nnz, rows, cols);
    const rowPtr = new Int32Array(rows + 1);
    const col = new Int32Array(nnz);
    const val = new Float64Array(nnz);
    let r = 0;
    let q = 0;
    for (const c of parts) {
      const k = c.rowPtr.length - 1;
      for (let i = 0; i < k; i++) rowPtr[r + i + 1] = q + c.rowPtr[i + 1];
      col.set(c.col, q);
      val.set(c.val, q);
      r += k;
      q += c.val.length;
    }
    return fromCsr(rows, cols, { rowPtr, col, val }, b);
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
 * `build(add)` calls add(o, j, coef) for out[o] += coef * m[j] (in any
 * order; it is called twice, so it must make the same calls each time).
 * Each entry sums its terms in call order whatever the forms. A dense m
 * gives a dense result (O(cols) per term); a selection or sparse m gives a
 * sparse result (O(entries of row j) per term), held dense if dense enough.
 */
export function combineRows(
  m: AffineMap,
  rows: number,
  bias: Float64Array,
  build: (add: (o: number, j: number, coef: number) => void) => void,
): AffineMap {
  const cols = m.cols;
  const b = Float64Array.from(bias);
  const mb = m.b;
  if (m.W && rows * cols <= MAX_DENSE_ENTRIES) {
    const W = denseMatrix(rows, cols);
    const src = m.W;
    build((o, j, coef) => {
      if (coef === 0) return;
      b[o] += coef * mb[j];
      const dst = o * cols;
      const from = j * cols;
      for (let k = 0; k < cols; k++) W[dst + k] += coef * src[from + k];
    });
    return { rows, cols, W, b };
  }
  const sel = isSelection(m);
  const s: AffineMap = m.W ? sparseMap(m) : m;
  // Pass 1: the offsets (in call order), terms per output row, and an upper bound on the nonzeros.
  const count = new Int32Array(rows + 1);
  let bound = 0;
  if (sel) {
    const { sel: sl } = m;
    build((o, j, coef) => {
      b[o] += coef * mb[j];
      if (sl[j] >= 0) {
        count[o + 1]++;
        bound++;
      }
    });
  } else {
    const rp = (s.csr as Csr).rowPtr;
    build((o, j, coef) => {
      if (coef === 0) return;
      b[o] += coef * mb[j];
      count[o + 1]++;
      bound += rp[j + 1] - rp[j];
    });
  }
  // The terms are stored like nonzeros (and counted in 32 bits).
  let nTerms = 0;
  for (let o = 1; o <= rows; o++) nTerms += count[o];
  checkNnz(nTerms, rows, cols);
  if (sel && wantsDense(rows, cols, bound)) {
    // Selection source, about as many terms as entries (a fully connected layer of the inputs): dense directly.
    const W = denseMatrix(rows, cols);
    const { sel: sl, scale } = m;
    build((o, j, coef) => {
      if (sl[j] >= 0) W[o * cols + sl[j]] += coef * scale[j];
    });
    return { rows, cols, W, b };
  }
  // Pass 2: the terms bucketed by output row, call order kept within a row.
  for (let o = 0; o < rows; o++) count[o + 1] += count[o];
  const terms = count[rows];
  const tj = new Int32Array(terms);
  const tc = new Float64Array(terms);
  const fill = count.slice(0, rows);
  if (sel) {
    const { sel: sl } = m;
    build((o, j, coef) => {
      if (sl[j] < 0) return;
      const p = fill[o]++;
      tj[p] = j;
      tc[p] = coef;
    });
  } else {
    build((o, j, coef) => {
      if (coef === 0) return;
      const p = fill[o]++;
      tj[p] = j;
      tc[p] = coef;
    });
  }
  // Selection sources: at most one nonzero per term; sparse ones: start smaller and grow.
  const acc = new RowAccumulator(rows, cols, Math.min(bound, rows * cols, sel ? bound : 2 ** 23));
  if (sel) {
    const { sel: sl, scale } = m;
    for (let o = 0; o < rows; o++) {
      for (let p = count[o]; p < count[o + 1]; p++) acc.add(sl[tj[p]], tc[p] * scale[tj[p]]);
      acc.endRow();
    }
  } else {
    // Gustavson's row-by-row product, acc.add inlined: the hot loop of composing convolutions.
    const { rowPtr, col, val } = s.csr as Csr;
    const { acc: a, mark, touched } = acc;
    for (let o = 0; o < rows; o++) {
      let nt = 0;
      for (let p = count[o]; p < count[o + 1]; p++) {
        const j = tj[p];
        const coef = tc[p];
        for (let q = rowPtr[j], e = rowPtr[j + 1]; q < e; q++) {
          const c = col[q];
          if (mark[c] !== o) {
            mark[c] = o;
            a[c] = 0;
            touched[nt++] = c;
          }
          a[c] += coef * val[q];
        }
      }
      acc.nt = nt;
      acc.endRow();
    }
  }
  return fromCsr(rows, cols, acc.finish(), b);
}

/** Express m (over `cols` variables) over a new base in which those variables sit at [offset, offset+cols). */
export function shiftColumns(m: AffineMap, newCols: number, offset: number): AffineMap {
  if (isSelection(m)) {
    const sel = Int32Array.from(m.sel, (s) => (s >= 0 ? s + offset : -1));
    return { rows: m.rows, cols: newCols, sel, scale: m.scale, b: m.b };
  }
  if (m.csr || m.rows * newCols > MAX_DENSE_ENTRIES || !wantsDense(m.rows, newCols, mapEntries(m))) {
    const c = toCsr(m);
    return { rows: m.rows, cols: newCols, csr: { rowPtr: c.rowPtr, col: Int32Array.from(c.col, (j) => j + offset), val: c.val }, b: m.b };
  }
  const src = m.W as Float64Array;
  const W = denseMatrix(m.rows, newCols);
  for (let i = 0; i < m.rows; i++) W.set(src.subarray(i * m.cols, (i + 1) * m.cols), i * newCols + offset);
  return { rows: m.rows, cols: newCols, W, b: m.b };
}
