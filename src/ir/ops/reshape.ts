/**
 * Ops whose output is input 0's data in the same flat order: Identity,
 * Dropout (inference: nothing dropped; the optional mask is all ones),
 * Flatten, Reshape, Squeeze, Unsqueeze. Lowering passes the map through.
 */
import { numel, type IRNode, type Tensor } from '../graph.js';
import { attrInt, normAxis } from '../attrs.js';
import { listParam } from '../params.js';
import { floatT, intT, type OpModule, type Shape } from './op.js';

function reshapeShape(x: Shape, target: readonly number[], allowZero: boolean): number[] {
  const out = target.map((d, i) => (d === 0 && !allowZero ? x[i] : d));
  const minus = out.indexOf(-1);
  if (minus >= 0) {
    const known = numel(out.filter((_, i) => i !== minus));
    if (known === 0 || numel(x) % known !== 0) throw new Error(`cannot reshape [${x}] to [${target}]`);
    out[minus] = numel(x) / known;
  }
  if (numel(out) !== numel(x)) throw new Error(`cannot reshape [${x}] (${numel(x)} elements) to [${target}]`);
  return out;
}

function shapeOf(node: IRNode, x: Shape, constOf: (i: number) => Tensor | undefined): number[] {
  switch (node.op) {
    case 'Identity': case 'Dropout':
      return [...x];
    case 'Flatten': {
      const axis = attrInt(node, 'axis', 1);
      const a = axis < 0 ? axis + x.length : axis;
      return [numel(x.slice(0, a)), numel(x.slice(a))];
    }
    case 'Reshape': {
      const target = listParam(node, constOf, 1, 'shape');
      if (!target) throw new Error('Reshape without a shape');
      return reshapeShape(x, target, attrInt(node, 'allowzero', 0) === 1);
    }
    case 'Squeeze': {
      const axes = listParam(node, constOf, 1, 'axes');
      if (!axes) return x.filter((d) => d !== 1);
      const drop = new Set(axes.map((a) => normAxis(a, x.length)));
      for (const a of drop) if (x[a] !== 1) throw new Error(`Squeeze of axis ${a} of size ${x[a]}`);
      return x.filter((_, i) => !drop.has(i));
    }
    case 'Unsqueeze': {
      const axes = listParam(node, constOf, 1, 'axes');
      if (!axes) throw new Error('Unsqueeze without axes');
      const rank = x.length + axes.length;
      const ins = new Set(axes.map((a) => normAxis(a, rank)));
      const out: number[] = [];
      let j = 0;
      for (let i = 0; i < rank; i++) out.push(ins.has(i) ? 1 : x[j++]);
      return out;
    }
    default:
      throw new Error(`internal: ${node.op} is not a reshape`);
  }
}

export const reshape: OpModule = {
  ops: ['Identity', 'Dropout', 'Flatten', 'Reshape', 'Squeeze', 'Unsqueeze'],
  shape(node, s, constOf) {
    const out = shapeOf(node, s[0] as Shape, constOf);
    return node.op === 'Dropout' ? node.outputs.map(() => [...out]) : [out];
  },
  evaluate(node, ins, outShapes) {
    const X = ins[0]!;
    const out = outShapes[0];
    const res = [X.kind === 'float' ? floatT(out, X.data) : intT(out, X.data)];
    // Dropout's optional mask output: all ones (nothing dropped at inference).
    if (node.op === 'Dropout' && node.outputs.length > 1) res.push(intT(outShapes[1], new Array<number>(numel(outShapes[1])).fill(1)));
    return res;
  },
  lower(ctx) {
    const m = ctx.needMap(0);
    return [m];
  },
};
