/** Add, Sub, Mul, Div with numpy broadcasting. Mul/Div lower only with a constant factor (divisor). */
import type { Tensor } from '../graph.js';
import { broadcastIndex, broadcastShape } from '../indexing.js';
import { addMaps, scaleShift } from '../../network/affine-map.js';
import { broadcastConst, broadcastMap } from './util.js';
import { asFloat, floatT, intT, NotLinear, type OpModule, type Shape } from './op.js';

const F: Record<string, (a: number, b: number) => number> = {
  Add: (a, b) => a + b,
  Sub: (a, b) => a - b,
  Mul: (a, b) => a * b,
  Div: (a, b) => a / b,
};

function evalBinary(op: string, a: Tensor, b: Tensor, out: Shape): Tensor {
  const f = F[op];
  const ia = broadcastIndex(a.shape, out);
  const ib = broadcastIndex(b.shape, out);
  const n = ia.length;
  if (a.kind === 'int' && b.kind === 'int') {
    const r = new Array<number>(n);
    // Integer Div truncates, as ONNX integer division does.
    for (let i = 0; i < n; i++) r[i] = op === 'Div' ? Math.trunc(a.data[ia[i]] / b.data[ib[i]]) : f(a.data[ia[i]], b.data[ib[i]]);
    return intT(out, r);
  }
  const A = asFloat(a);
  const B = asFloat(b);
  const r = new Float64Array(n);
  for (let i = 0; i < n; i++) r[i] = f(A[ia[i]], B[ib[i]]);
  return floatT(out, r);
}

export const binary: OpModule = {
  ops: Object.keys(F),
  shape: (_node, s) => [broadcastShape(s[0] as Shape, s[1] as Shape)],
  evaluate: (node, ins, outShapes) => [evalBinary(node.op, ins[0]!, ins[1]!, outShapes[0])],
  lower(ctx) {
    const op = ctx.node.op;
    const a = ctx.need(0);
    const b = ctx.need(1);
    const out = ctx.outShape();
    if (op === 'Add' || op === 'Sub') {
      const sign = op === 'Add' ? 1 : -1;
      if (a.map && b.c) return [scaleShift(broadcastMap(ctx, a, out), 1, Float64Array.from(broadcastConst(b.c, out), (v) => sign * v))];
      if (a.c && b.map) return [scaleShift(broadcastMap(ctx, b, out), sign, broadcastConst(a.c, out))];
      return [addMaps(broadcastMap(ctx, a, out), broadcastMap(ctx, b, out), sign)];
    }
    if (a.map && b.c) {
      const f = broadcastConst(b.c, out);
      return [scaleShift(broadcastMap(ctx, a, out), op === 'Mul' ? f : f.map((v) => 1 / v))];
    }
    if (op === 'Mul' && a.c && b.map) return [scaleShift(broadcastMap(ctx, b, out), broadcastConst(a.c, out))];
    throw new NotLinear(op === 'Mul'
      ? `product of two network values ('${ctx.node.inputs[0]}' x '${ctx.node.inputs[1]}') is not piecewise linear`
      : `division by a network value ('${ctx.node.inputs[1]}') is not piecewise linear`);
  },
};
