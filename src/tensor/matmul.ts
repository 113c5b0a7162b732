/**
 * Float64 matrix products. Large products go to onnxruntime's float64
 * MatMul (about 50 GFLOP/s here against 0.6 for plain loops); small ones stay
 * in TypeScript because a session.run costs about 50 µs; a large right
 * operand that is mostly zeros (a materialised convolution) is multiplied
 * in compressed sparse rows when that is estimated to be faster.
 *
 * This module is the only place that calls onnxruntime for arithmetic.
 */
import type ortTypes from 'onnxruntime-node';
import { nativeCall } from '../util/native-gate.js';

/**
 * Products with fewer multiply-adds than this run in TypeScript. Measured with non-spinning sessions
 * (m x 50 times 50 x 50, the ACAS Xu layers, loaded machine): m = 8 (20k) 49 us in TypeScript, 57 us in
 * onnxruntime; m = 16 (40k) 102 vs 26 us; m = 64 (160k) 418 vs 50 us; m = 128 (320k) 815 vs 62 us.
 */
export const ORT_THRESHOLD = 1 << 15;

/**
 * The float64 MatMul model (inputs A [m,k] and B [k,n], output C [m,n], opset 13), encoded once with
 * onnx-proto (test/matmul.test.ts checks the bytes against that encoding). A constant, so that this
 * module loads neither onnx-proto nor onnxruntime: every thread that bounds imports it, and module loading
 * is part of each instance's time (onnxruntime is loaded with the first product large enough to need it).
 */
export const MATMUL_MODEL_BASE64 =
  'CAg6ZAoRCgFBCgFCEgFDIgZNYXRNdWwSCm1hdG11bF9mNjRaFQoBQRIQCg4ICxIKCgMSAW0KAxIBa1oVCgFCEhAKDggLEgoKAxIBawoDEgFuYhUKAUMSEAoOCAsSCgoDEgFtCgMSAW5CBAoAEA0=';

/**
 * Products below this many multiply-adds run on a session with one intra-op thread, inline in the calling
 * thread: splitting them over onnxruntime's pool costs a thread wake-up per run, which on a loaded machine
 * exceeds the product itself. Larger ones use a session with the default pool.
 */
const SMALL_PRODUCT = 1 << 21;

const sessions: (Promise<ortTypes.InferenceSession> | undefined)[] = [undefined, undefined];

/**
 * How many reasons this thread has to believe other threads compute at the same time (a pool's workers bounding
 * their slices, or this thread being such a worker): while any, every product runs on the one-thread session,
 * since onnxruntime's pool would only take cores from them. Branch and bound on two threads (MNIST 256x4, 30
 * batches of 104 parents from refined bounds): 43.6-48.1 s with each thread's large products on the pool, 42.7-44.7
 * s on one thread each.
 */
let sharing = 0;

/** The session a product of this many multiply-adds runs on: 0 with one intra-op thread, 1 with the pool. */
export function productSession(macs: number): 0 | 1 {
  return macs < SMALL_PRODUCT || sharing > 0 ? 0 : 1;
}

/** From now until the returned function is called, products assume the cores are shared (see `sharing`). */
export function shareCores(): () => void {
  sharing++;
  let released = false;
  return () => {
    if (!released) sharing--;
    released = true;
  };
}
/** onnxruntime, once a session exists. */
let ort: typeof ortTypes | undefined;

/** Session 0: one intra-op thread (small products); session 1: onnxruntime's default thread pool. */
function session(which: 0 | 1): Promise<ortTypes.InferenceSession> {
  sessions[which] ??= nativeCall(async () => {
    const lib = (await import('onnxruntime-node')).default;
    ort = lib;
    return lib.InferenceSession.create(Buffer.from(MATMUL_MODEL_BASE64, 'base64'), {
      graphOptimizationLevel: 'all',
      logSeverityLevel: 3,
      ...(which === 0 ? { intraOpNumThreads: 1, interOpNumThreads: 1 } : {}),
      // onnxruntime's pool threads spin after each run by default: with two bounding threads, each with its
      // own session and pool, on two cores, the spinning took the cores from the bounding itself (ACAS Xu
      // 1_1 prop_3, two runs each: 8.8 and 7.7 s spinning, 4.4 and 4.7 s not; one intra-op thread: 4.3, 4.7 s).
      // Not spinning keeps the intra-op threads for the large products of single-threaded passes.
      extra: { session: { intra_op: { allow_spinning: '0' }, inter_op: { allow_spinning: '0' } } },
    });
  });
  return sessions[which]!;
}

/** C (m x n) = A (m x k) · B (k x n), all row-major. */
export function matmulSync(A: Float64Array, B: Float64Array, m: number, k: number, n: number): Float64Array {
  const C = new Float64Array(m * n);
  for (let i = 0; i < m; i++) {
    const ci = i * n;
    const ai = i * k;
    for (let p = 0; p < k; p++) {
      const a = A[ai + p];
      if (a === 0) continue;
      const bp = p * n;
      for (let j = 0; j < n; j++) C[ci + j] += a * B[bp + j];
    }
  }
  return C;
}

/**
 * Right operands of at least this many entries are checked once for sparsity
 * (materialised convolutions: cifar conv layers keep 1.6-6% of their dense
 * entries). Smaller ones are always dense.
 */
const SPARSE_MIN_ENTRIES = 1 << 20;
/** Measured rates on this machine: CSR loops in TypeScript vs onnxruntime's dense float64 MatMul. */
const SPARSE_MAC_PER_S = 0.5e9;
const DENSE_MAC_PER_S = 25e9;
/** Dense products of few rows are bound by reading B (bytes per second). */
const DENSE_BYTES_PER_S = 8e9;

/** B (k x n) in compressed sparse rows (cached per matrix), or null when it is not sparse enough to pay. */
export interface Csr {
  readonly rowPtr: Int32Array;
  readonly col: Int32Array;
  readonly val: Float64Array;
}
const csrCache = new WeakMap<Float64Array, Csr | null>();

/** Nonzero entries of a matrix. */
export function countNonzeros(W: Float64Array): number {
  let nnz = 0;
  for (let i = 0; i < W.length; i++) if (W[i] !== 0) nnz++;
  return nnz;
}

/** CSR of a dense row-major rows x cols matrix (`nnz`: its nonzeros, when already counted). */
export function csrFromDense(W: Float64Array, rows: number, cols: number, nnz = countNonzeros(W)): Csr {
  const rowPtr = new Int32Array(rows + 1);
  const col = new Int32Array(nnz);
  const val = new Float64Array(nnz);
  for (let p = 0, q = 0; p < rows; p++) {
    for (let j = 0, o = p * cols; j < cols; j++) {
      const v = W[o + j];
      if (v !== 0) {
        col[q] = j;
        val[q++] = v;
      }
    }
    rowPtr[p + 1] = q;
  }
  return { rowPtr, col, val };
}

export function csrOf(B: Float64Array, k: number, n: number): Csr | null {
  let c = csrCache.get(B);
  if (c !== undefined) return c;
  const nnz = countNonzeros(B);
  c = nnz < 0.1 * k * n ? csrFromDense(B, k, n, nnz) : null;
  csrCache.set(B, c);
  return c;
}

/** C (m x n) = A (m x k) · B (k x n) with B in CSR: m x nnz multiply-adds (fewer where A has zeros). */
export function denseTimesCsr(A: Float64Array, B: Csr, m: number, k: number, n: number): Float64Array {
  const C = new Float64Array(m * n);
  const { rowPtr, col, val } = B;
  for (let i = 0; i < m; i++) {
    const ci = i * n;
    const ai = i * k;
    for (let p = 0; p < k; p++) {
      const a = A[ai + p];
      if (a === 0) continue;
      for (let q = rowPtr[p], e = rowPtr[p + 1]; q < e; q++) C[ci + col[q]] += a * val[q];
    }
  }
  return C;
}

/** CSR of the transpose (rows = inputs) of a CSR matrix with `rows` x `cols`. */
export function transposeCsr(a: Csr, rows: number, cols: number): Csr {
  const nnz = a.val.length;
  const rowPtr = new Int32Array(cols + 1);
  for (let q = 0; q < nnz; q++) rowPtr[a.col[q] + 1]++;
  for (let j = 0; j < cols; j++) rowPtr[j + 1] += rowPtr[j];
  const fill = rowPtr.slice(0, cols);
  const col = new Int32Array(nnz);
  const val = new Float64Array(nnz);
  for (let i = 0; i < rows; i++) {
    for (let q = a.rowPtr[i]; q < a.rowPtr[i + 1]; q++) {
      const p = fill[a.col[q]]++;
      col[p] = i;
      val[p] = a.val[q];
    }
  }
  return { rowPtr, col, val };
}

/**
 * C (m x n) = A (m x k) · B (k x n), all row-major. Products of fewer than
 * `ortThreshold` multiply-adds stay in TypeScript (callers whose products
 * are many and small may lower it further).
 */
export async function matmul(A: Float64Array, B: Float64Array, m: number, k: number, n: number, ortThreshold = ORT_THRESHOLD): Promise<Float64Array> {
  if (A.length !== m * k || B.length !== k * n) {
    throw new Error(`matmul: shapes ${A.length} != ${m}x${k} or ${B.length} != ${k}x${n}`);
  }
  if (m * k * n < ortThreshold || m === 0 || n === 0 || k === 0) return matmulSync(A, B, m, k, n);
  if (B.length >= SPARSE_MIN_ENTRIES) {
    const csr = csrOf(B, k, n);
    if (csr) {
      const sparseS = (m * csr.val.length) / SPARSE_MAC_PER_S;
      const denseS = Math.max((m * k * n) / DENSE_MAC_PER_S, (8 * k * n) / DENSE_BYTES_PER_S);
      if (sparseS < denseS) return denseTimesCsr(A, csr, m, k, n);
    }
  }
  const s = await session(productSession(m * k * n));
  // Through the native gate: the solver thread must not be terminated inside run (src/util/native-gate.ts).
  const lib = ort!;
  const out = await nativeCall(() => s.run({ A: new lib.Tensor('float64', A, [m, k]), B: new lib.Tensor('float64', B, [k, n]) }));
  return out.C.data as Float64Array;
}

/** Transpose of a row-major (rows x cols) matrix. */
export function transpose(A: Float64Array, rows: number, cols: number): Float64Array {
  const T = new Float64Array(rows * cols);
  for (let i = 0; i < rows; i++) {
    const ai = i * cols;
    for (let j = 0; j < cols; j++) T[j * rows + i] = A[ai + j];
  }
  return T;
}
