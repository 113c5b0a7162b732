/**
 * Softmax. Opset 13+: along `axis` (default -1). Before opset 13 the input is
 * read as a matrix [prod(shape[:axis]), prod(shape[axis:])] (default axis 1)
 * and each row is normalised. Evaluated only: not piecewise linear.
 */
import { numel } from '../graph.js';
import { attrInt, normAxis } from '../attrs.js';
import { asFloat, floatT, type OpModule } from './op.js';

export const softmax: OpModule = {
  ops: ['Softmax'],
  shape: (_node, s) => [[...(s[0] as number[])]],
  evaluate(node, ins) {
    const X = ins[0]!;
    const x = asFloat(X);
    const old = node.opset !== undefined && node.opset < 13;
    const axis = normAxis(attrInt(node, 'axis', old ? 1 : -1), X.shape.length);
    // Old opsets: one softmax over the whole trailing block from `axis` on.
    const d = old ? numel(X.shape.slice(axis)) : X.shape[axis];
    const inner = old ? 1 : numel(X.shape.slice(axis + 1));
    const outer = numel(X.shape.slice(0, axis));
    const r = new Float64Array(x.length);
    for (let o = 0; o < outer; o++)
      for (let j = 0; j < inner; j++) {
        const base = o * d * inner + j;
        let m = -Infinity;
        for (let k = 0; k < d; k++) m = Math.max(m, x[base + k * inner]);
        let s = 0;
        for (let k = 0; k < d; k++) s += (r[base + k * inner] = Math.exp(x[base + k * inner] - m));
        for (let k = 0; k < d; k++) r[base + k * inner] /= s;
      }
    return [floatT(X.shape, r)];
  },
  notLinear: 'Softmax is not piecewise linear',
};
