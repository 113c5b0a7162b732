/**
 * Class products of a stencil (src/tensor/stencil.ts) in im2col form: per class, gather every member's
 * inputs of a chunk of rows into one operand (rows x members by the block's input width), one float64
 * MatMul with the block in onnxruntime, and scatter the result into the outputs. For large blocks (wide
 * convolutions: many channels) onnxruntime's MatMul outruns the fused WebAssembly kernel
 * (src/tensor/class-kernel.ts) by far more than the gathers and scatters cost; for narrow ones (inner
 * dimension 8-16) it runs at 1-2 GMAC/s and the kernel wins.
 */
import type { ClassOperands } from './class-kernel.js';
import { matmul } from './matmul.js';

/** Rows per chunk: keeps each gathered operand under about 4M entries (32 MiB). */
function chunkRows(R: number, cl: ClassOperands): number {
  return Math.max(1, Math.min(R, Math.floor((1 << 22) / (cl.members * Math.max(cl.fw, cl.tw)))));
}

/** As classProducts (src/tensor/class-kernel.ts): out[r, to] (+)= src[r, from] · op for every row and class. */
export async function im2colProducts(
  classes: readonly ClassOperands[],
  src: Float64Array,
  srcCols: number,
  out: Float64Array,
  outCols: number,
  R: number,
  add: boolean,
): Promise<void> {
  for (const cl of classes) {
    const gather = cl.members * cl.fw;
    const scatter = cl.members * cl.tw;
    const step = chunkRows(R, cl);
    for (let r0 = 0; r0 < R; r0 += step) {
      const r1 = Math.min(R, r0 + step);
      const n = (r1 - r0) * cl.members;
      const A = new Float64Array(n * cl.fw);
      // Row views: V8 runs these indexed loops about 1.4x faster than with the row offset added to every index.
      for (let r = r0; r < r1; r++) gatherRow(src.subarray(r * srcCols, (r + 1) * srcCols), cl.from, A.subarray((r - r0) * gather, (r - r0 + 1) * gather));
      const C = await matmul(A, cl.op, n, cl.fw, cl.tw);
      for (let r = r0; r < r1; r++) {
        const row = out.subarray(r * outCols, (r + 1) * outCols);
        const part = C.subarray((r - r0) * scatter, (r - r0 + 1) * scatter);
        if (add) scatterAddRow(part, cl.to, row);
        else scatterRow(part, cl.to, row);
      }
    }
  }
}

// Unrolled by four: V8 keeps the indexed loads and stores of neighbouring entries in flight together (a
// scatter-add of 64 x 256 entries into a 4096-wide row: about 2-3 ns per entry against 3-3.7 rolled).
function gatherRow(src: Float64Array, idx: Int32Array, dst: Float64Array): void {
  const n = dst.length;
  let i = 0;
  for (; i + 3 < n; i += 4) {
    dst[i] = src[idx[i]];
    dst[i + 1] = src[idx[i + 1]];
    dst[i + 2] = src[idx[i + 2]];
    dst[i + 3] = src[idx[i + 3]];
  }
  for (; i < n; i++) dst[i] = src[idx[i]];
}

function scatterAddRow(src: Float64Array, idx: Int32Array, dst: Float64Array): void {
  const n = src.length;
  let i = 0;
  for (; i + 3 < n; i += 4) {
    dst[idx[i]] += src[i];
    dst[idx[i + 1]] += src[i + 1];
    dst[idx[i + 2]] += src[i + 2];
    dst[idx[i + 3]] += src[i + 3];
  }
  for (; i < n; i++) dst[idx[i]] += src[i];
}

function scatterRow(src: Float64Array, idx: Int32Array, dst: Float64Array): void {
  const n = src.length;
  let i = 0;
  for (; i + 3 < n; i += 4) {
    dst[idx[i]] = src[i];
    dst[idx[i + 1]] = src[i + 1];
    dst[idx[i + 2]] = src[i + 2];
    dst[idx[i + 3]] = src[i + 3];
  }
  for (; i < n; i++) dst[idx[i]] = src[i];
}
