/**
 * Elementwise unary ops that are not activations of src/network/activations:
 * Neg (linear), Abs (lowered as relu(x) + relu(-x)), and Sqrt, Reciprocal,
 * Sin, Cos (evaluated only).
 */
import { combineRows, scaleShift, stackMaps } from '../../network/affine-map.js';
import { relu } from '../../network/activations/registry.js';
import { asFloat, floatT, intT, NotLinear, type OpModule } from './op.js';

const F: Record<string, (v: number) => number> = {
  Neg: (v) => -v,
  Abs: (v) => Math.abs(v),
  Sqrt: (v) => Math.sqrt(v),
  Reciprocal: (v) => 1 / v,
  Sin: (v) => Math.sin(v),
  Cos: (v) => Math.cos(v),
};
/** Ops that keep integer tensors integer (shape arithmetic). */
const INT_CLOSED = new Set(['Neg', 'Abs']);

export const unary: OpModule = {
  ops: Object.keys(F),
  shape: (_node, s) => [[...(s[0] as number[])]],
  evaluate(node, ins) {
    const X = ins[0]!;
    const f = F[node.op];
    if (X.kind === 'int' && INT_CLOSED.has(node.op)) return [intT(X.shape, X.data.map(f))];
    return [floatT(X.shape, asFloat(X).map(f))];
  },
  lower(ctx) {
    const op = ctx.node.op;
    if (op === 'Neg') return [scaleShift(ctx.needMap(0), -1)];
    if (op === 'Abs') {
      // |x| = relu(x) + relu(-x): one hidden layer of 2n ReLUs.
      const m = ctx.needMap(0);
      const n = m.rows;
      const h = ctx.activate(stackMaps([m, scaleShift(m, -1)]), relu);
      return [combineRows(h, n, new Float64Array(n), (add) => {
        for (let i = 0; i < n; i++) {
          add(i, i, 1);
          add(i, n + i, 1);
        }
      })];
    }
    throw new NotLinear(`${op} is not piecewise linear`);
  },
};
