/** Cast: float types stay float64; integer casts truncate toward zero, bool is 0/1. */
import { attrInt } from '../attrs.js';
import { asFloat, floatT, intT, NotLinear, type OpModule } from './op.js';

/** ONNX TensorProto data types that we hold as floats. */
const FLOAT_TYPES = new Set([1, 10, 11, 16]);

export const cast: OpModule = {
  ops: ['Cast'],
  shape: (_node, s) => [[...(s[0] as number[])]],
  evaluate(node, ins) {
    const X = ins[0]!;
    const to = attrInt(node, 'to', 1);
    if (FLOAT_TYPES.has(to)) return [floatT(X.shape, asFloat(X))];
    const vals = Array.from(X.data as ArrayLike<number>, (v) => (to === 9 ? (v !== 0 ? 1 : 0) : Math.trunc(v)));
    return [intT(X.shape, vals)];
  },
  lower(ctx) {
    if (FLOAT_TYPES.has(attrInt(ctx.node, 'to', 1))) return [ctx.needMap(0)];
    throw new NotLinear('cast of a network value to an integer type');
  },
};
