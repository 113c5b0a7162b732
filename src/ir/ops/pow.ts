/**
 * Pow (numpy broadcasting). Lowered only when trivially linear: a constant
 * exponent of all ones (constant operands are folded by the loader).
 */
import { broadcastIndex, broadcastShape } from '../indexing.js';
import { broadcastMap } from './util.js';
import { asFloat, floatT, NotLinear, type OpModule, type Shape } from './op.js';

export const pow: OpModule = {
  ops: ['Pow'],
  shape: (_node, s) => [broadcastShape(s[0] as Shape, s[1] as Shape)],
  evaluate(_node, ins, outShapes) {
    const [a, b] = [ins[0]!, ins[1]!];
    const out = outShapes[0];
    const ia = broadcastIndex(a.shape, out);
    const ib = broadcastIndex(b.shape, out);
    const A = asFloat(a);
    const B = asFloat(b);
    return [floatT(out, Float64Array.from(ia, (i, k) => Math.pow(A[i], B[ib[k]])))];
  },
  lower(ctx) {
    const x = ctx.need(0);
    const e = ctx.need(1);
    if (x.map && e.c && asFloat(e.c).every((v) => v === 1)) return [broadcastMap(ctx, x, ctx.outShape())];
    throw new NotLinear(e.c ? `Pow with exponent ${asFloat(e.c).length === 1 ? asFloat(e.c)[0] : '(a tensor)'} is not piecewise linear` : 'Pow with a network-valued exponent is not piecewise linear');
  },
};
