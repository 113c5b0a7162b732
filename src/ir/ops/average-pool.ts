/**
 * AveragePool: the mean over each window; count_include_pad=1 divides by the
 * window's extent clipped to the padded input (as onnxruntime does), else by
 * the number of input cells in it. Linear: lowered as a combination of rows.
 */
import { attrInt } from '../attrs.js';
import { asFloat, floatT, NotLinear, type OpModule, type Shape } from './op.js';
import { poolAxes, windowTaps, type PoolAxis } from './pool.js';
import { applySeparable, lowerSeparable, type AxisTap } from './util.js';
import type { IRNode } from '../graph.js';

function avgTaps(node: IRNode, x: Shape): AxisTap[][][] {
  const includePad = attrInt(node, 'count_include_pad', 0) === 1;
  const axes = poolAxes(node, x);
  return windowTaps(x, axes, (ax: PoolAxis, c: number, count: number) => {
    if (!includePad) return 1 / count;
    let n = 0;
    for (let j = 0; j < ax.k; j++) if (ax.starts[c] + j * ax.dil < ax.inSize + ax.padEnd) n++;
    return 1 / n;
  });
}

export const averagePool: OpModule = {
  ops: ['AveragePool'],
  shape: (node, s) => {
    const x = s[0] as Shape;
    return [[x[0], x[1], ...poolAxes(node, x).map((a) => a.out)]];
  },
  evaluate(node, ins, outShapes) {
    const X = ins[0]!;
    return [floatT(outShapes[0], applySeparable(asFloat(X), X.shape, avgTaps(node, X.shape)))];
  },
  lower(ctx) {
    const x = ctx.need(0);
    if (!x.map) throw new NotLinear('AveragePool of a constant should have been folded');
    return [lowerSeparable(x.map, x.shape, avgTaps(ctx.node, x.shape))];
  },
};
