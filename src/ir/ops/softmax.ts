/**
 * Softmax along `axis` (default -1, as in opset 13+; for 2-D inputs, the
 * common case, older opsets agree). Evaluated only: not piecewise linear.
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
    const axis = normAxis(attrInt(node, 'axis', -1), X.shape.length);
    const d = X.shape[axis];
    const inner = numel(X.shape.slice(axis + 1));
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
