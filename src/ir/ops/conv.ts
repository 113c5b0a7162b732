/** Conv (1-D and 2-D, any group): geometry and taps in src/ir/conv.ts, shared by evaluation and lowering. */
import { numel } from '../graph.js';
import { channelBiasRows, convGeometry, forEachConvTap } from '../conv.js';
import { combineRows } from '../../network/affine-map.js';
import { asFloat, floatT, NotLinear, type OpModule, type Shape } from './op.js';

export const conv: OpModule = {
  ops: ['Conv'],
  shape: (node, s) => [[...convGeometry(node, s[0] as Shape, s[1] as Shape).outShape]],
  evaluate(node, ins) {
    const [X, W, Bias] = ins;
    const g = convGeometry(node, X!.shape, W!.shape);
    const x = asFloat(X!);
    const w = asFloat(W!);
    const bias = Bias ? asFloat(Bias) : undefined;
    const r = new Float64Array(numel(g.outShape));
    forEachConvTap(g, (o, co) => {
      r[o] = bias ? bias[co] : 0;
    }, (o, i, k) => {
      r[o] += w[k] * x[i];
    });
    return [floatT(g.outShape, r)];
  },
  lower(ctx) {
    const x = ctx.need(0);
    const w = ctx.need(1);
    const bias = ctx.input(2);
    if (!x.map || !w.c || (bias && !bias.c)) throw new NotLinear('Conv is linear only with constant weights and bias');
    const g = convGeometry(ctx.node, x.shape, w.shape);
    const W = asFloat(w.c);
    // The conv matrix is filled tap by tap straight from the kernel.
    return [combineRows(x.map, numel(g.outShape), channelBiasRows(g.outShape, bias?.c ? asFloat(bias.c) : undefined), (add) => {
      forEachConvTap(g, () => {}, (o, i, k) => add(o, i, W[k]));
    })];
  },
};
