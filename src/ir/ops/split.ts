/**
 * Split: input 0 cut along `axis` into several outputs. Sizes from input 1
 * (opset 13+), the `split` attribute (older opsets), or equal parts
 * (opset 18 `num_outputs`: the last part may be smaller).
 */
import type { IRNode } from '../graph.js';
import { attrInt, normAxis } from '../attrs.js';
import { sliceIndex } from '../indexing.js';
import { listParam, type ConstOf } from '../params.js';
import { gatherRows } from '../../network/affine-map.js';
import { asFloat, floatT, intT, type OpModule, type Shape } from './op.js';

function splitSizes(node: IRNode, x: Shape, constOf: ConstOf): { axis: number; sizes: number[] } {
  const axis = normAxis(attrInt(node, 'axis', 0), x.length);
  const n = node.outputs.length;
  const given = listParam(node, constOf, 1, 'split');
  if (given) {
    if (given.length !== n) throw new Error(`Split into ${n} outputs with ${given.length} sizes`);
    if (given.some((v) => v < 0) || given.reduce((a, b) => a + b, 0) !== x[axis]) throw new Error(`Split sizes [${given}] do not add up to dimension ${x[axis]}`);
    return { axis, sizes: given };
  }
  const parts = attrInt(node, 'num_outputs', n);
  const d = x[axis];
  const each = Math.ceil(d / parts);
  const sizes = Array.from({ length: parts }, (_, k) => Math.max(0, Math.min(each, d - k * each)));
  if (parts !== n) throw new Error(`Split num_outputs ${parts} but ${n} outputs`);
  if (sizes.some((v) => v === 0)) throw new Error(`Split of dimension ${d} into ${parts} parts leaves an empty part`);
  return { axis, sizes };
}

/** Index maps of every output into input 0. */
function splitIndices(node: IRNode, x: Shape, constOf: ConstOf): Int32Array[] {
  const { axis, sizes } = splitSizes(node, x, constOf);
  let start = 0;
  return sizes.map((sz) => {
    const axes = x.map((d, a) => (a === axis ? { start, step: 1, count: sz } : { start: 0, step: 1, count: d }));
    start += sz;
    return sliceIndex(x, axes);
  });
}

export const split: OpModule = {
  ops: ['Split'],
  shape(node, s, constOf) {
    const x = s[0] as Shape;
    const { axis, sizes } = splitSizes(node, x, constOf);
    return sizes.map((sz) => x.map((d, a) => (a === axis ? sz : d)));
  },
  evaluate(node, ins, outShapes) {
    const X = ins[0]!;
    const idx = splitIndices(node, X.shape, (i) => ins[i]);
    return idx.map((ix, k) => (X.kind === 'int'
      ? intT(outShapes[k], Array.from(ix, (i) => X.data[i]))
      : floatT(outShapes[k], Float64Array.from(ix, (i) => asFloat(X)[i]))));
  },
  lower(ctx) {
    const x = ctx.need(0);
    const m = ctx.needMap(0);
    return splitIndices(ctx.node, x.shape, (i) => ctx.graph.constants.get(ctx.node.inputs[i])).map((ix) => gatherRows(m, ix));
  },
};
