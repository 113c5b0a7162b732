/**
 * Parameters of the data-movement ops, read from attributes (old opsets) or
 * constant inputs (new opsets), and the index map each op amounts to. Shape
 * inference, the evaluator and the lowering all read them here.
 */
import type { IRNode, Tensor } from './graph.js';
import { attrInt, attrInts, normAxis, tensorNumbers } from './attrs.js';
import {
  broadcastIndex, broadcastShape, concatIndex, gatherIndex, sliceAxis, sliceIndex, transposeIndex,
  type SliceAxis,
} from './indexing.js';

export type ConstOf = (inputIdx: number) => Tensor | undefined;

/** An int list given either as constant input `idx` or as attribute `attr`. */
export function listParam(node: IRNode, constOf: ConstOf, idx: number, attr: string): number[] | undefined {
  if (node.inputs.length > idx && node.inputs[idx] !== '') {
    const t = constOf(idx);
    if (!t) throw new Error(`input ${idx} ('${node.inputs[idx]}') must be a constant`);
    return tensorNumbers(t);
  }
  const a = attrInts(node, attr);
  return a ? [...a] : undefined;
}

export function transposePerm(node: IRNode, rank: number): number[] {
  const p = attrInts(node, 'perm');
  return p ? p.map((a) => normAxis(a, rank)) : Array.from({ length: rank }, (_, i) => rank - 1 - i);
}

export function sliceAxes(node: IRNode, inShape: readonly number[], constOf: ConstOf): SliceAxis[] {
  const rank = inShape.length;
  const starts = listParam(node, constOf, 1, 'starts');
  const ends = listParam(node, constOf, 2, 'ends');
  if (!starts || !ends) throw new Error('Slice needs starts and ends');
  const axes = (listParam(node, constOf, 3, 'axes') ?? starts.map((_, i) => i)).map((a) => normAxis(a, rank));
  const steps = listParam(node, constOf, 4, 'steps') ?? starts.map(() => 1);
  const out: SliceAxis[] = inShape.map((d) => ({ start: 0, step: 1, count: d }));
  axes.forEach((a, i) => {
    out[a] = sliceAxis(inShape[a], starts[i], ends[i], steps[i]);
  });
  return out;
}

export function gatherIndices(inShape: readonly number[], axis: number, t: Tensor): number[] {
  const d = inShape[axis];
  return tensorNumbers(t).map((i) => {
    const j = i < 0 ? i + d : i;
    if (j < 0 || j >= d) throw new Error(`Gather index ${i} out of range for dimension ${d}`);
    return j;
  });
}

/** Ops whose output is their input 0's data in the same flat order. */
export const RESHAPE_LIKE: ReadonlySet<string> = new Set(['Identity', 'Dropout', 'Flatten', 'Reshape', 'Squeeze', 'Unsqueeze']);

/**
 * For a data-movement op: null when the output is input 0 reshaped, else the
 * index map into input 0 (or, for Concat, into the concatenation of all inputs).
 */
export function movementIndex(
  node: IRNode,
  inShapes: readonly (readonly number[])[],
  outShape: readonly number[],
  constOf: ConstOf,
): Int32Array | null {
  const x = inShapes[0];
  switch (node.op) {
    case 'Transpose':
      return transposeIndex(x, transposePerm(node, x.length));
    case 'Gather': {
      const axis = normAxis(attrInt(node, 'axis', 0), x.length);
      const t = constOf(1);
      if (!t) throw new Error('Gather indices must be constant');
      return gatherIndex(x, axis, gatherIndices(x, axis, t));
    }
    case 'Slice':
      return sliceIndex(x, sliceAxes(node, x, constOf));
    case 'Concat': {
      return concatIndex(inShapes, normAxis(attrInt(node, 'axis', 0), outShape.length));
    }
    case 'Expand':
      return broadcastIndex(x, outShape);
    default:
      if (RESHAPE_LIKE.has(node.op)) return null;
      throw new Error(`${node.op} is not a data-movement op`);
  }
}

export function expandShape(x: readonly number[], shape: readonly number[]): number[] {
  return broadcastShape(x, shape);
}

/** The [start, end) range of dimensions a Shape node reports (opset 15 start/end). */
export function shapeBounds(node: IRNode, rank: number): [number, number] {
  const clamp = (v: number) => Math.min(Math.max(v < 0 ? v + rank : v, 0), rank);
  return [clamp(attrInt(node, 'start', 0)), clamp(attrInt(node, 'end', rank))];
}
