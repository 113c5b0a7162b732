/**
 * Products with a sparse matrix that repeats one small dense block along its
 * rows: a materialised convolution. Its rows of output position p (one per
 * output channel) share one column set (the receptive field of p), and the
 * block M[rows of p, columns of p] is the same kernel at every interior p
 * (and at every p of the same border shape). Found generically from the CSR,
 * with no knowledge of the convolution (a normalisation folded into it,
 * strides, padding and dilation change nothing).
 *
 * The products then run block class by block class: G·M gathers G's
 * columns of each position (c per member), multiplies by the c x w block and
 * adds into the w columns; X·Mᵀ gathers the receptive fields (w per member)
 * and multiplies by the block's transpose. The work lacks the CSR loops'
 * output-channel factor on the gathers. Small blocks (under `IM2COL_MIN_DIM`
 * rows or columns) go through a fused WebAssembly kernel
 * (src/tensor/class-kernel.ts) that never materialises the gathered operand;
 * large ones through onnxruntime's MatMul in im2col form (src/tensor/im2col.ts),
 * which is 1.6-4.5x faster than the kernel from 64 channels on and 2-3x slower
 * at 8-16 (inner dimension too small; measured on 3x3 convolutions of 16x16
 * images, 64 rows). Rows in no class (lone positions with blocks of fewer
 * than `MIN_LONE_ROWS` rows) stay in CSR.
 *
 * Every entry is the same sum of the same products as in the CSR loops, in
 * another order; the rounding-error bounds of src/problem/rounding.ts hold
 * for any order.
 */
import { classProducts, type ClassOperands } from './class-kernel.js';
import { im2colProducts } from './im2col.js';
import { denseTimesCsr, transposeCsr, type Csr } from './matmul.js';

export interface StencilClass {
  /** Positions (row groups) sharing the block. */
  readonly members: number;
  /** Rows per group and columns per group. */
  readonly c: number;
  readonly w: number;
  /** c x w, the shared block; its transpose and |transpose| for X·Mᵀ. */
  readonly block: Float64Array;
  readonly blockT: Float64Array;
  readonly absBlockT: Float64Array;
  /** members x c row indices and members x w column indices (ascending within a member). */
  readonly rowIdx: Int32Array;
  readonly colIdx: Int32Array;
  /** Multiplied in im2col form through onnxruntime (src/tensor/im2col.ts) instead of the fused kernel: a large block. */
  readonly im2col: boolean;
}

export interface Stencil {
  readonly rows: number;
  readonly cols: number;
  readonly classes: readonly StencilClass[];
  /** The rows in no class (others empty), rows x cols, and its transposes; null when every row is in a class. */
  readonly rest: { readonly csr: Csr; readonly t: Csr; readonly absT: Csr } | null;
  /** Multiply-adds per row of the left operand (sum of members·c·w over the classes: the nonzeros they cover). */
  readonly blockMacs: number;
  /** Nonzeros left to the CSR loops. */
  readonly restNnz: number;
  /** The classes as operands of the products G·M, X·Mᵀ and X·|M|ᵀ, for the fused kernel and for im2col. */
  readonly kernel: ClassProducts;
  readonly im2col: ClassProducts;
}

interface ClassProducts {
  readonly backward: readonly ClassOperands[];
  readonly forward: readonly ClassOperands[];
  readonly forwardAbs: readonly ClassOperands[];
}

/**
 * Blocks with at least this many rows and columns (output channels, and input channels x kernel positions)
 * go through onnxruntime in im2col form (src/tensor/im2col.ts), smaller ones through the fused kernel. 3x3
 * convolutions C -> C on 16x16 images, 64 rows, us per row G·M / X·Mᵀ, im2col vs kernel: C = 16 356/232 vs
 * 146/138; 32 662/475 vs 501/651; 64 1529/940 vs 2518/2348; 128 3255/3823 vs 15085/12937.
 */
export const IM2COL_MIN_DIM = 32;

function classProductsOf(classes: readonly StencilClass[]): ClassProducts {
  return {
    backward: classes.map((cl) => ({ members: cl.members, from: cl.rowIdx, fw: cl.c, to: cl.colIdx, tw: cl.w, op: cl.block })),
    forward: classes.map((cl) => ({ members: cl.members, from: cl.colIdx, fw: cl.w, to: cl.rowIdx, tw: cl.c, op: cl.blockT })),
    forwardAbs: classes.map((cl) => ({ members: cl.members, from: cl.colIdx, fw: cl.w, to: cl.rowIdx, tw: cl.c, op: cl.absBlockT })),
  };
}

/** Classes of this many positions decide whether the matrix is a stencil (MIN_COVERAGE). */
export const MIN_MEMBERS = 2;
/**
 * Once it is one, a lone position (a corner of a padded convolution) becomes a class of its own when its block
 * has at least this many rows: one small block product beats its CSR rows from a few left-operand rows on
 * (cifar_wide's second conv: its four corners were 4% of the nonzeros and about a third of the product's time).
 */
export const MIN_LONE_ROWS = 4;
/** Classes must hold at least this fraction of the nonzeros, or the matrix is no stencil. */
const MIN_COVERAGE = 0.5;

/** 32-bit hash of an int run / of float64 bit patterns. */
function hashInts(a: Int32Array, from: number, to: number, seed: number): number {
  let h = seed | 0;
  for (let i = from; i < to; i++) h = Math.imul(h ^ a[i], 0x9e3779b1) ^ (h >>> 15);
  return h;
}
const f64 = new Float64Array(1);
const f64Bits = new Int32Array(f64.buffer);
function hashValues(a: Float64Array, seed: number): number {
  let h = seed | 0;
  for (let i = 0; i < a.length; i++) {
    f64[0] = a[i];
    h = Math.imul(h ^ f64Bits[0], 0x9e3779b1) ^ (h >>> 15);
    h = Math.imul(h ^ f64Bits[1], 0x85ebca6b) ^ (h >>> 13);
  }
  return h;
}

function sameCols(csr: Csr, i: number, j: number): boolean {
  const a = csr.rowPtr[i];
  const b = csr.rowPtr[j];
  const n = csr.rowPtr[i + 1] - a;
  if (csr.rowPtr[j + 1] - b !== n) return false;
  for (let q = 0; q < n; q++) if (csr.col[a + q] !== csr.col[b + q]) return false;
  return true;
}

function sameValues(a: Float64Array, b: Float64Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (!Object.is(a[i], b[i])) return false;
  return true;
}

/**
 * The stencil form of a rows x cols CSR matrix (columns ascending within a
 * row), or null when too little of it repeats. One pass over the nonzeros
 * plus hashing: cheap beside a single product with many rows.
 */
export function findStencil(csr: Csr, rows: number, cols: number): Stencil | null {
  // 1. Row groups: rows with identical column sets (one output position, all channels).
  const groupOf = new Map<number, number[][]>();
  const groups: number[][] = [];
  for (let i = 0; i < rows; i++) {
    const a = csr.rowPtr[i];
    const e = csr.rowPtr[i + 1];
    if (e === a) continue;
    const h = hashInts(csr.col, a, e, e - a);
    let bucket = groupOf.get(h);
    if (!bucket) groupOf.set(h, (bucket = []));
    const g = bucket.find((rs) => sameCols(csr, rs[0], i));
    if (g) g.push(i);
    else {
      const rs = [i];
      bucket.push(rs);
      groups.push(rs);
    }
  }
  // 2. Classes: groups with equal shape and equal blocks.
  interface Draft { c: number; w: number; block: Float64Array; groups: number[][] }
  const classOf = new Map<number, Draft[]>();
  const drafts: Draft[] = [];
  for (const rs of groups) {
    const c = rs.length;
    const w = csr.rowPtr[rs[0] + 1] - csr.rowPtr[rs[0]];
    const block = new Float64Array(c * w);
    for (let r = 0; r < c; r++) block.set(csr.val.subarray(csr.rowPtr[rs[r]], csr.rowPtr[rs[r]] + w), r * w);
    const h = hashValues(block, c * 65599 + w);
    let bucket = classOf.get(h);
    if (!bucket) classOf.set(h, (bucket = []));
    const d = bucket.find((x) => x.c === c && x.w === w && sameValues(x.block, block));
    if (d) d.groups.push(rs);
    else {
      const nd = { c, w, block, groups: [rs] };
      bucket.push(nd);
      drafts.push(nd);
    }
  }
  const classes: StencilClass[] = [];
  const inClass = new Uint8Array(rows);
  // Each class entry is one nonzero of the matrix: blockMacs is also the nonzeros the classes cover.
  let blockMacs = 0;
  const addClass = (d: Draft) => {
    const members = d.groups.length;
    const { c, w, block } = d;
    const rowIdx = new Int32Array(members * c);
    const colIdx = new Int32Array(members * w);
    d.groups.forEach((rs, g) => {
      for (let r = 0; r < c; r++) {
        rowIdx[g * c + r] = rs[r];
        inClass[rs[r]] = 1;
      }
      colIdx.set(csr.col.subarray(csr.rowPtr[rs[0]], csr.rowPtr[rs[0]] + w), g * w);
    });
    const blockT = new Float64Array(w * c);
    for (let r = 0; r < c; r++) for (let j = 0; j < w; j++) blockT[j * c + r] = block[r * w + j];
    const im2col = Math.min(c, w) >= IM2COL_MIN_DIM;
    classes.push({ members, c, w, block, blockT, absBlockT: blockT.map(Math.abs), rowIdx, colIdx, im2col });
    blockMacs += members * c * w;
  };
  for (const d of drafts) if (d.groups.length >= MIN_MEMBERS) addClass(d);
  const nnz = csr.rowPtr[rows];
  if (classes.length === 0 || blockMacs < MIN_COVERAGE * nnz) return null;
  for (const d of drafts) if (d.groups.length < MIN_MEMBERS && d.c >= MIN_LONE_ROWS) addClass(d);
  let rest: Stencil['rest'] = null;
  const restNnz = nnz - blockMacs;
  if (restNnz > 0) {
    const rowPtr = new Int32Array(rows + 1);
    const col = new Int32Array(restNnz);
    const val = new Float64Array(restNnz);
    for (let i = 0, q = 0; i < rows; i++) {
      if (!inClass[i]) {
        for (let p = csr.rowPtr[i]; p < csr.rowPtr[i + 1]; p++) {
          col[q] = csr.col[p];
          val[q++] = csr.val[p];
        }
      }
      rowPtr[i + 1] = q;
    }
    const r = { rowPtr, col, val };
    const t = transposeCsr(r, rows, cols);
    rest = { csr: r, t, absT: { rowPtr: t.rowPtr, col: t.col, val: t.val.map(Math.abs) } };
  }
  return {
    rows, cols, classes, rest, blockMacs, restNnz,
    kernel: classProductsOf(classes.filter((cl) => !cl.im2col)),
    im2col: classProductsOf(classes.filter((cl) => cl.im2col)),
  };
}

/** R x cols: G (R x rows) · M. */
export function stencilBackward(st: Stencil, G: Float64Array, R: number): Float64Array | Promise<Float64Array> {
  const { rows, cols } = st;
  const out = st.rest ? denseTimesCsr(G, st.rest.csr, R, rows, cols) : new Float64Array(R * cols);
  // Classes share columns (overlapping receptive fields): their contributions add.
  classProducts(st.kernel.backward, G, rows, out, cols, R, true, st.rest === null);
  if (st.im2col.backward.length === 0) return out;
  return im2colProducts(st.im2col.backward, G, rows, out, cols, R, true).then(() => out);
}

/** R x rows: X (R x cols) · Mᵀ, or X · |M|ᵀ with `abs`. */
export function stencilForward(st: Stencil, X: Float64Array, R: number, abs = false): Float64Array | Promise<Float64Array> {
  const { rows, cols } = st;
  const out = st.rest ? denseTimesCsr(X, abs ? st.rest.absT : st.rest.t, R, cols, rows) : new Float64Array(R * rows);
  // Each row of M lies in one class or in the rest: plain stores (the rest's rows are zero here).
  classProducts(abs ? st.kernel.forwardAbs : st.kernel.forward, X, cols, out, rows, R, false, st.rest === null);
  const big = abs ? st.im2col.forwardAbs : st.im2col.forward;
  if (big.length === 0) return out;
  return im2colProducts(big, X, cols, out, rows, R, false).then(() => out);
}
