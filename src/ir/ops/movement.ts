/**
 * Data-movement ops that are an index map of their inputs: Transpose,
 * Gather, Slice, Concat, Expand. The index maps live in src/ir/params.ts and
 * src/ir/indexing.ts; the evaluator applies them to data, the lowering to the
 * rows of an affine map (O(n), no dense products).
 */
import type { IRNode, Tensor } from '../graph.js';
import { attrInt, normAxis } from '../attrs.js';
import { broadcastShape } from '../indexing.js';
import { gatherIndices, listParam, movementIndex, sliceAxes, transposePerm } from '../params.js';
import { constantMap, gatherRows, stackMaps } from '../../network/affine-map.js';
import { asFloat, floatT, intT, type LowerCtx, type OpModule, type Shape } from './op.js';
import type { AffineMap } from '../../network/affine-map.js';

/** Output 0 of a data-movement op (or a reshape) from its inputs' data. */
export function moveTensor(node: IRNode, ins: readonly (Tensor | undefined)[], out: Shape): Tensor {
  const X = ins[0] as Tensor;
  const shapes = node.op === 'Concat' ? ins.map((t) => (t as Tensor).shape) : [X.shape];
  const idx = movementIndex(node, shapes, out, (i) => ins[i]);
  if (idx === null) return X.kind === 'float' ? floatT(out, X.data) : intT(out, X.data);
  const sources = node.op === 'Concat' ? (ins as Tensor[]) : [X];
  if (sources.every((t) => t.kind === 'int')) {
    const all = sources.flatMap((t) => t.data as number[]);
    return intT(out, Array.from(idx, (i) => all[i]));
  }
  const all = new Float64Array(sources.reduce((n, t) => n + t.data.length, 0));
  let off = 0;
  for (const t of sources) {
    all.set(asFloat(t), off);
    off += t.data.length;
  }
  const r = new Float64Array(idx.length);
  for (let i = 0; i < idx.length; i++) r[i] = all[idx[i]];
  return floatT(out, r);
}

/** Output 0 of a data-movement op as rows of its inputs' maps. */
export function moveMap(ctx: LowerCtx): AffineMap {
  const node = ctx.node;
  const given = node.inputs.map((_, i) => ctx.input(i));
  const source = node.op === 'Concat'
    ? stackMaps(given.map((o) => o!.map ?? constantMap(ctx.cols, asFloat(o!.c as Tensor))))
    : ctx.needMap(0);
  const idx = movementIndex(node, given.map((o) => (o ? o.shape : [])), ctx.outShape(), (i) => ctx.graph.constants.get(node.inputs[i]));
  return idx ? gatherRows(source, idx) : source;
}

function shapeOf(node: IRNode, s: readonly (Shape | undefined)[], constOf: (i: number) => Tensor | undefined): number[] {
  const x = s[0] as Shape;
  switch (node.op) {
    case 'Transpose':
      return transposePerm(node, x.length).map((p) => x[p]);
    case 'Concat': {
      const axis = normAxis(attrInt(node, 'axis', 0), x.length);
      const out = [...x];
      out[axis] = 0;
      for (const sh of s as Shape[]) {
        if (sh.length !== x.length || sh.some((d, i) => i !== axis && d !== x[i])) throw new Error(`Concat of [${x}] and [${sh}]`);
        out[axis] += sh[axis];
      }
      return out;
    }
    case 'Gather': {
      const axis = normAxis(attrInt(node, 'axis', 0), x.length);
      const ind = constOf(1);
      if (ind) gatherIndices(x, axis, ind); // range check at load time
      return [...x.slice(0, axis), ...(s[1] as Shape), ...x.slice(axis + 1)];
    }
    case 'Slice':
      return sliceAxes(node, x, constOf).map((a) => a.count);
    case 'Expand': {
      const target = listParam(node, constOf, 1, 'shape');
      if (!target) throw new Error('Expand without a shape');
      return broadcastShape(x, target);
    }
    default:
      throw new Error(`internal: ${node.op} is not a movement op`);
  }
}

export const movement: OpModule = {
  ops: ['Transpose', 'Gather', 'Slice', 'Concat', 'Expand'],
  shape: (node, s, constOf) => [shapeOf(node, s, constOf)],
  evaluate: (node, ins, outShapes) => [moveTensor(node, ins, outShapes[0])],
  lower: (ctx) => [moveMap(ctx)],
};

