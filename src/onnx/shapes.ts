/**
 * Shape inference, one node at a time, for every op the loader accepts.
 * Shapes that depend on values (Reshape's target, Slice's bounds, ...) are
 * read from constant inputs, which the folding pass has produced by the time
 * a node is reached. An op not listed here is rejected, naming the node.
 */
import { numel, type IRNode, type Tensor } from '../ir/graph.js';
import { attrInt, attrTensor, normAxis } from '../ir/attrs.js';
import { convGeometry } from '../ir/conv.js';
import { broadcastShape } from '../ir/indexing.js';
import { gatherIndices, listParam, shapeBounds, sliceAxes, transposePerm, type ConstOf } from '../ir/params.js';
import { OnnxError } from './errors.js';

type Shape = readonly number[];

const ELEMENTWISE = new Set(['Relu', 'Neg', 'Identity', 'Cast', 'Sigmoid', 'Tanh', 'Sqrt', 'Reciprocal', 'Abs']);
const BINARY = new Set(['Add', 'Sub', 'Mul', 'Div']);

export const SUPPORTED_OPS: ReadonlySet<string> = new Set([
  ...ELEMENTWISE, ...BINARY,
  'Gemm', 'MatMul', 'Conv', 'BatchNormalization', 'Dropout', 'Constant', 'Flatten', 'Reshape', 'Transpose',
  'Squeeze', 'Unsqueeze', 'Concat', 'Gather', 'Slice', 'Shape', 'Expand',
]);

function matmulShape(a: Shape, b: Shape): number[] {
  if (a.length === 0 || b.length === 0) throw new Error('MatMul of a scalar');
  const A = a.length === 1 ? [1, a[0]] : a;
  const B = b.length === 1 ? [b[0], 1] : b;
  const k1 = A[A.length - 1];
  const k2 = B[B.length - 2];
  if (k1 !== k2) throw new Error(`MatMul inner dimensions differ: [${a}] x [${b}]`);
  const batch = broadcastShape(A.slice(0, -2), B.slice(0, -2));
  const out = [...batch];
  if (a.length > 1) out.push(A[A.length - 2]);
  if (b.length > 1) out.push(B[B.length - 1]);
  return out;
}

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

function constantShape(node: IRNode): number[] {
  const t = attrTensor(node, 'value');
  if (t) return [...t.shape];
  const a = node.attrs.get('value_floats') ?? node.attrs.get('value_ints');
  if (a && (a.kind === 'floats' || a.kind === 'ints')) return [a.value.length];
  if (node.attrs.has('value_float') || node.attrs.has('value_int')) return [];
  throw new Error('Constant without a supported value attribute');
}

function inferUnchecked(node: IRNode, s: readonly (Shape | undefined)[], constOf: ConstOf): number[][] {
  const x = s[0] as Shape;
  const op = node.op;
  if (ELEMENTWISE.has(op)) return [[...x]];
  if (BINARY.has(op)) return [broadcastShape(x, s[1] as Shape)];
  switch (op) {
    case 'Dropout':
      return node.outputs.map(() => [...x]);
    case 'Constant':
      return [constantShape(node)];
    case 'Gemm': {
      const a = attrInt(node, 'transA', 0) ? [x[1], x[0]] : x;
      const bs = s[1] as Shape;
      const b = attrInt(node, 'transB', 0) ? [bs[1], bs[0]] : bs;
      if (a.length !== 2 || b.length !== 2 || a[1] !== b[0]) throw new Error(`Gemm shapes [${x}] and [${bs}] do not match`);
      const out = [a[0], b[1]];
      if (s[2]) broadcastShape(out, s[2]);
      return [out];
    }
    case 'MatMul':
      return [matmulShape(x, s[1] as Shape)];
    case 'Conv':
      return [[...convGeometry(node, x, s[1] as Shape).outShape]];
    case 'BatchNormalization':
      if (node.outputs.filter((o) => o !== '').length > 1) throw new Error('BatchNormalization in training mode is not supported');
      return [[...x]];
    case 'Flatten': {
      const axis = attrInt(node, 'axis', 1);
      const a = axis < 0 ? axis + x.length : axis;
      return [[numel(x.slice(0, a)), numel(x.slice(a))]];
    }
    case 'Reshape': {
      const target = listParam(node, constOf, 1, 'shape');
      if (!target) throw new Error('Reshape without a shape');
      return [reshapeShape(x, target, attrInt(node, 'allowzero', 0) === 1)];
    }
    case 'Transpose':
      return [transposePerm(node, x.length).map((p) => x[p])];
    case 'Squeeze': {
      const axes = listParam(node, constOf, 1, 'axes');
      if (!axes) return [x.filter((d) => d !== 1)];
      const drop = new Set(axes.map((a) => normAxis(a, x.length)));
      for (const a of drop) if (x[a] !== 1) throw new Error(`Squeeze of axis ${a} of size ${x[a]}`);
      return [x.filter((_, i) => !drop.has(i))];
    }
    case 'Unsqueeze': {
      const axes = listParam(node, constOf, 1, 'axes');
      if (!axes) throw new Error('Unsqueeze without axes');
      const rank = x.length + axes.length;
      const ins = new Set(axes.map((a) => normAxis(a, rank)));
      const out: number[] = [];
      let j = 0;
      for (let i = 0; i < rank; i++) out.push(ins.has(i) ? 1 : x[j++]);
      return [out];
    }
    case 'Concat': {
      const axis = normAxis(attrInt(node, 'axis', 0), x.length);
      const out = [...x];
      out[axis] = 0;
      for (const sh of s as Shape[]) {
        if (sh.length !== x.length || sh.some((d, i) => i !== axis && d !== x[i])) throw new Error(`Concat of [${x}] and [${sh}]`);
        out[axis] += sh[axis];
      }
      return [out];
    }
    case 'Gather': {
      const axis = normAxis(attrInt(node, 'axis', 0), x.length);
      const ind = constOf(1);
      const indShape = s[1] as Shape;
      if (ind) gatherIndices(x, axis, ind); // range check at load time
      return [[...x.slice(0, axis), ...indShape, ...x.slice(axis + 1)]];
    }
    case 'Slice':
      return [sliceAxes(node, x, constOf).map((a) => a.count)];
    case 'Shape': {
      const [lo, hi] = shapeBounds(node, x.length);
      return [[hi - lo]];
    }
    case 'Expand': {
      const target = listParam(node, constOf, 1, 'shape');
      if (!target) throw new Error('Expand without a shape');
      return [broadcastShape(x, target)];
    }
    default:
      throw new Error(`unsupported op`);
  }
}

/**
 * Output shapes of `node` given its input shapes (undefined for omitted
 * optional inputs) and its constant inputs. Throws OnnxError naming the node.
 */
export function inferShapes(
  node: IRNode,
  inShapes: readonly (Shape | undefined)[],
  constOf: (inputIdx: number) => Tensor | undefined,
  source: string,
): number[][] {
  if (!SUPPORTED_OPS.has(node.op)) {
    throw new OnnxError(source, node, `unsupported op '${node.op}'`);
  }
  try {
    if (node.op !== 'Constant' && inShapes[0] === undefined) throw new Error('missing input 0');
    return inferUnchecked(node, inShapes, constOf);
  } catch (e) {
    if (e instanceof OnnxError) throw e;
    throw new OnnxError(source, node, (e as Error).message);
  }
}
