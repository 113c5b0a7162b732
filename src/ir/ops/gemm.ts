/** Gemm: alpha op(A) op(B) + beta C, C broadcast. */
import type { IRNode, Tensor } from '../graph.js';
import { attrFloat, attrInt } from '../attrs.js';
import { broadcastIndex, broadcastShape } from '../indexing.js';
import { addMaps, scaleShift } from '../../network/affine-map.js';
import { bilinear } from './matmul.js';
import { broadcastConst, broadcastMap } from './util.js';
import { asFloat, floatT, type OpModule, type Shape } from './op.js';

function evalGemm(node: IRNode, A: Tensor, B: Tensor, C: Tensor | undefined, out: Shape): Tensor {
  const tA = attrInt(node, 'transA', 0) === 1;
  const tB = attrInt(node, 'transB', 0) === 1;
  const alpha = attrFloat(node, 'alpha', 1);
  const beta = attrFloat(node, 'beta', 1);
  const [M, N] = out;
  const K = tA ? A.shape[0] : A.shape[1];
  const a = asFloat(A);
  const b = asFloat(B);
  const r = new Float64Array(M * N);
  for (let i = 0; i < M; i++) {
    for (let j = 0; j < N; j++) {
      let s = 0;
      for (let k = 0; k < K; k++) s += a[tA ? k * M + i : i * K + k] * b[tB ? j * K + k : k * N + j];
      r[i * N + j] = alpha * s;
    }
  }
  if (C) {
    const ic = broadcastIndex(C.shape, out);
    const c = asFloat(C);
    for (let i = 0; i < r.length; i++) r[i] += beta * c[ic[i]];
  }
  return floatT(out, r);
}

export const gemm: OpModule = {
  ops: ['Gemm'],
  shape(node, s) {
    const x = s[0] as Shape;
    const a = attrInt(node, 'transA', 0) ? [x[1], x[0]] : x;
    const bs = s[1] as Shape;
    const b = attrInt(node, 'transB', 0) ? [bs[1], bs[0]] : bs;
    if (a.length !== 2 || b.length !== 2 || a[1] !== b[0]) throw new Error(`Gemm shapes [${x}] and [${bs}] do not match`);
    const out = [a[0], b[1]];
    if (s[2]) broadcastShape(out, s[2]);
    return [out];
  },
  evaluate: (node, ins, outShapes) => [evalGemm(node, ins[0]!, ins[1]!, ins[2], outShapes[0])],
  lower(ctx) {
    const node = ctx.node;
    const a = ctx.need(0);
    const b = ctx.need(1);
    const c = ctx.input(2);
    const out = ctx.outShape();
    const tA = attrInt(node, 'transA', 0) === 1;
    const tB = attrInt(node, 'transB', 0) === 1;
    const [M, N] = out;
    const K = tA ? a.shape[0] : a.shape[1];
    const beta = attrFloat(node, 'beta', 1);
    let bias = new Float64Array(M * N);
    if (c?.c) bias = broadcastConst(c.c, out).map((v) => beta * v);
    const m = bilinear(a, b, M, K, N, 1,
      (_t, i, k) => (tA ? k * M + i : i * K + k),
      (_t, k, j) => (tB ? j * K + k : k * N + j),
      attrFloat(node, 'alpha', 1), bias);
    // A network-valued C (rare: a residual added inside Gemm) is summed in.
    return [c?.map ? addMaps(m, scaleShift(broadcastMap(ctx, c, out), beta), 1) : m];
  },
};
