/** MatMul (numpy semantics). Lowered when exactly one operand is a network value. */
import type { Tensor } from '../graph.js';
import { broadcastShape, matmulGeometry } from '../indexing.js';
import { combineRows, type AffineMap } from '../../network/affine-map.js';
import { asFloat, floatT, NotLinear, type OpModule, type Operand, type Shape } from './op.js';

function matmulShape(a: Shape, b: Shape): number[] {
  if (a.length === 0 || b.length === 0) throw new Error('MatMul of a scalar');
  const A = a.length === 1 ? [1, a[0]] : a;
  const B = b.length === 1 ? [b[0], 1] : b;
  const k1 = A[A.length - 1];
  const k2 = B[B.length - 2];
  if (k1 !== k2) throw new Error(`MatMul inner dimensions differ: [${a}] x [${b}]`);
  const batch = broadcastShape(A.slice(0, -2), B.slice(0, -2));
  const out = [...batch];
  if (a.length > 1) out.push(A[A.length - 2]);
  if (b.length > 1) out.push(B[B.length - 1]);
  return out;
}

function evalMatmul(A: Tensor, B: Tensor, out: Shape): Tensor {
  const { M, K, N, ia, ib } = matmulGeometry(A.shape, B.shape, out);
  const a = asFloat(A);
  const b = asFloat(B);
  const r = new Float64Array(ia.length * M * N);
  for (let t = 0; t < ia.length; t++) {
    const ao = ia[t] * M * K;
    const bo = ib[t] * K * N;
    const ro = t * M * N;
    for (let i = 0; i < M; i++) {
      for (let k = 0; k < K; k++) {
        const av = a[ao + i * K + k];
        if (av === 0) continue;
        for (let j = 0; j < N; j++) r[ro + i * N + j] += av * b[bo + k * N + j];
      }
    }
  }
  return floatT(out, r);
}

/** out[t,i,j] = alpha sum_k A[t,i,k] B[t,k,j] + bias with exactly one of A, B affine (MatMul and Gemm). */
export function bilinear(
  a: Operand,
  b: Operand,
  M: number, K: number, N: number,
  batches: number,
  aIndex: (t: number, i: number, k: number) => number,
  bIndex: (t: number, k: number, j: number) => number,
  alpha: number,
  bias: Float64Array,
): AffineMap {
  if (a.map && b.map) throw new NotLinear('product of two network values is not piecewise linear');
  const rows = batches * M * N;
  const m = (a.map ?? b.map) as AffineMap;
  const C = asFloat((a.map ? b.c : a.c) as Tensor);
  return combineRows(m, rows, bias, (add) => {
    for (let t = 0; t < batches; t++)
      for (let i = 0; i < M; i++)
        for (let j = 0; j < N; j++) {
          const o = (t * M + i) * N + j;
          for (let k = 0; k < K; k++) {
            const w = a.map ? C[bIndex(t, k, j)] : C[aIndex(t, i, k)];
            if (w !== 0) add(o, a.map ? aIndex(t, i, k) : bIndex(t, k, j), alpha * w);
          }
        }
  });
}

export const matmul: OpModule = {
  ops: ['MatMul'],
  shape: (_node, s) => [matmulShape(s[0] as Shape, s[1] as Shape)],
  evaluate: (_node, ins, outShapes) => [evalMatmul(ins[0]!, ins[1]!, outShapes[0])],
  lower(ctx) {
    const a = ctx.need(0);
    const b = ctx.need(1);
    const out = ctx.outShape();
    const { M, K, N, ia: ta, ib: tb } = matmulGeometry(a.shape, b.shape, out);
    return [bilinear(a, b, M, K, N, ta.length,
      (t, i, k) => (ta[t] * M + i) * K + k,
      (t, k, j) => (tb[t] * K + k) * N + j,
      1, new Float64Array(ta.length * M * N))];
  },
};
