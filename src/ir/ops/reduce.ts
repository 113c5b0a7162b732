/**
 * ReduceSum and ReduceMean: axes from input 1 (ReduceSum opset 13+, ReduceMean
 * opset 18+) or the `axes` attribute; keepdims (default 1);
 * noop_with_empty_axes (no axes: the identity instead of reducing all).
 */
import { numel, type IRNode } from '../graph.js';
import { attrInt, normAxis } from '../attrs.js';
import { stridesOf } from '../indexing.js';
import { listParam, type ConstOf } from '../params.js';
import { combineRows } from '../../network/affine-map.js';
import { asFloat, floatT, intT, NotLinear, type OpModule, type Shape } from './op.js';

interface Plan {
  /** Output element of each input element. */
  readonly target: Int32Array;
  readonly out: number[];
  readonly count: number;
}

function plan(node: IRNode, x: Shape, constOf: ConstOf): Plan {
  const keep = attrInt(node, 'keepdims', 1) === 1;
  const given = listParam(node, constOf, 1, 'axes') ?? [];
  const noop = attrInt(node, 'noop_with_empty_axes', 0) === 1;
  const axes = new Set(given.length === 0 ? (noop ? [] : x.map((_, a) => a)) : given.map((a) => normAxis(a, x.length)));
  const out = keep ? x.map((d, a) => (axes.has(a) ? 1 : d)) : x.filter((_, a) => !axes.has(a));
  const full = x.map((d, a) => (axes.has(a) ? 1 : d));
  const ost = stridesOf(full);
  const n = numel(x);
  const target = new Int32Array(n);
  const c = new Array<number>(x.length).fill(0);
  for (let i = 0; i < n; i++) {
    let o = 0;
    for (let a = 0; a < x.length; a++) if (!axes.has(a)) o += c[a] * ost[a];
    target[i] = o;
    for (let a = x.length - 1; a >= 0; a--) {
      if (++c[a] < x[a]) break;
      c[a] = 0;
    }
  }
  const count = numel(x.filter((_, a) => axes.has(a)));
  return { target, out, count };
}

export const reduce: OpModule = {
  ops: ['ReduceSum', 'ReduceMean'],
  shape: (node, s, constOf) => [plan(node, s[0] as Shape, constOf).out],
  evaluate(node, ins, outShapes) {
    const X = ins[0]!;
    const p = plan(node, X.shape, (i) => ins[i]);
    const w = node.op === 'ReduceMean' ? 1 / p.count : 1;
    const x = asFloat(X);
    const r = new Float64Array(numel(p.out));
    for (let i = 0; i < x.length; i++) r[p.target[i]] += x[i];
    if (X.kind === 'int' && node.op === 'ReduceSum') return [intT(outShapes[0], Array.from(r))];
    return [floatT(outShapes[0], w === 1 ? r : r.map((v) => v * w))];
  },
  lower(ctx) {
    const x = ctx.need(0);
    if (!x.map) throw new NotLinear(`${ctx.node.op} of a constant should have been folded`);
    const p = plan(ctx.node, x.shape, (i) => ctx.graph.constants.get(ctx.node.inputs[i]));
    const w = ctx.node.op === 'ReduceMean' ? 1 / p.count : 1;
    const rows = numel(p.out);
    return [combineRows(x.map, rows, new Float64Array(rows), (add) => {
      for (let i = 0; i < p.target.length; i++) add(p.target[i], i, w);
    })];
  },
};
