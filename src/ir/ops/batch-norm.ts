/** BatchNormalization in inference mode: a per-channel (axis 1) scale and shift. */
import { numel, type IRNode, type Tensor } from '../graph.js';
import { attrFloat } from '../attrs.js';
import { scaleShift } from '../../network/affine-map.js';
import { asFloat, floatT, NotLinear, type OpModule } from './op.js';

export function batchNormAffine(node: IRNode, scale: Tensor, bias: Tensor, mean: Tensor, variance: Tensor): { a: Float64Array; c: Float64Array } {
  const eps = attrFloat(node, 'epsilon', 1e-5);
  const s = asFloat(scale);
  const b = asFloat(bias);
  const m = asFloat(mean);
  const v = asFloat(variance);
  const a = new Float64Array(s.length);
  const c = new Float64Array(s.length);
  for (let i = 0; i < s.length; i++) {
    a[i] = s[i] / Math.sqrt(v[i] + eps);
    c[i] = b[i] - a[i] * m[i];
  }
  return { a, c };
}

export const batchNorm: OpModule = {
  ops: ['BatchNormalization'],
  shape(node, s) {
    if (node.outputs.filter((o) => o !== '').length > 1) throw new Error('BatchNormalization in training mode is not supported');
    return [[...(s[0] as number[])]];
  },
  evaluate(node, ins) {
    const X = ins[0]!;
    const { a, c } = batchNormAffine(node, ins[1]!, ins[2]!, ins[3]!, ins[4]!);
    const C = X.shape[1];
    const inner = numel(X.shape.slice(2));
    const x = asFloat(X);
    const r = new Float64Array(x.length);
    for (let i = 0; i < x.length; i++) {
      const ch = Math.floor(i / inner) % C;
      r[i] = a[ch] * x[i] + c[ch];
    }
    return [floatT(X.shape, r)];
  },
  lower(ctx) {
    const x = ctx.need(0);
    const p = [1, 2, 3, 4].map((i) => ctx.need(i));
    if (p.some((o) => !o.c)) throw new NotLinear('BatchNormalization parameters must be constant');
    const { a, c } = batchNormAffine(ctx.node, p[0].c!, p[1].c!, p[2].c!, p[3].c!);
    const C = x.shape[1];
    const inner = numel(x.shape.slice(2));
    const m = ctx.needMap(0);
    const ch = (r: number) => Math.floor(r / inner) % C;
    return [scaleShift(m, Float64Array.from({ length: m.rows }, (_, r) => a[ch(r)]), Float64Array.from({ length: m.rows }, (_, r) => c[ch(r)]))];
  },
};
