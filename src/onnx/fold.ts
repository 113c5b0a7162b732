/**
 * One pass over the topologically sorted nodes that infers every value's
 * shape and folds constants: a node whose inputs are all constant (and every
 * Shape node, since all shapes are concrete) is evaluated now and its outputs
 * become constants. Folding as we go is what lets shape inference read
 * Reshape targets and Slice bounds computed by Shape/Gather/Concat chains.
 * Nodes no output depends on are then dropped.
 */
import type { IRNode, Tensor } from '../ir/graph.js';
import { evalNode } from '../ir/evaluate.js';
import { shapeBounds } from '../ir/params.js';
import { OnnxError } from './errors.js';
import { inferShapes } from './shapes.js';

export interface Folded {
  readonly nodes: IRNode[];
  readonly constants: Map<string, Tensor>;
  readonly shapes: Map<string, readonly number[]>;
}

/**
 * Elements of the largest value the loader accepts: 2^26 (512 MiB as float64),
 * some twenty times the largest activation of the VNN-COMP networks. A model
 * that claims more (a dimension of 10^9 in a damaged file) is rejected before
 * anything of that size is allocated or looped over.
 */
export const MAX_TENSOR_ELEMENTS = 2 ** 26;

export function checkTensorSize(shape: readonly number[], what: string, source: string, node?: IRNode): void {
  let n = 1;
  for (const d of shape) n *= d;
  if (!(n <= MAX_TENSOR_ELEMENTS)) {
    throw new OnnxError(source, node, `${what} has shape [${shape.join(', ')}], more than the limit of ${MAX_TENSOR_ELEMENTS} elements`);
  }
}

export function foldConstants(
  sorted: readonly IRNode[],
  initializers: ReadonlyMap<string, Tensor>,
  inputShapes: ReadonlyMap<string, readonly number[]>,
  outputs: readonly string[],
  source: string,
): Folded {
  const constants = new Map(initializers);
  const shapes = new Map<string, readonly number[]>(inputShapes);
  for (const [name, t] of constants) shapes.set(name, t.shape);
  const kept: IRNode[] = [];
  for (const node of sorted) {
    node.inputs.forEach((n) => {
      if (n !== '' && !shapes.has(n)) throw new OnnxError(source, node, `input '${n}' is not produced by any node, initializer or graph input`);
    });
    const constOf = (i: number) => (node.inputs[i] ? constants.get(node.inputs[i]) : undefined);
    const inShapes = node.inputs.map((n) => (n === '' ? undefined : shapes.get(n)));
    const outShapes = inferShapes(node, inShapes, constOf, source);
    node.outputs.forEach((o, i) => {
      if (o === '') return;
      checkTensorSize(outShapes[i], `output '${o}'`, source, node);
      shapes.set(o, outShapes[i]);
    });
    const given = node.inputs.filter((n) => n !== '');
    if (node.op === 'Shape') {
      const s = inShapes[0] as readonly number[];
      constants.set(node.outputs[0], { kind: 'int', shape: outShapes[0], data: s.slice(...shapeBounds(node, s.length)) });
    } else if (given.every((n) => constants.has(n))) {
      let outs: Tensor[];
      try {
        outs = evalNode(node, node.inputs.map((n) => (n === '' ? undefined : constants.get(n))), outShapes);
      } catch (e) {
        throw new OnnxError(source, node, `constant folding failed: ${(e as Error).message}`);
      }
      node.outputs.forEach((o, i) => {
        if (o !== '' && outs[i]) constants.set(o, outs[i]);
      });
    } else {
      kept.push(node);
    }
  }
  const live = liveNodes(kept, outputs);
  return { nodes: live, constants: liveConstants(constants, live, outputs), shapes };
}

/** Nodes some graph output depends on, in their original order. */
function liveNodes(nodes: readonly IRNode[], outputs: readonly string[]): IRNode[] {
  const needed = new Set(outputs);
  const live: IRNode[] = [];
  for (let i = nodes.length - 1; i >= 0; i--) {
    const n = nodes[i];
    if (!n.outputs.some((o) => needed.has(o))) continue;
    live.push(n);
    for (const x of n.inputs) if (x !== '') needed.add(x);
  }
  return live.reverse();
}

/** Constants still read by a live node or returned as an output. */
function liveConstants(constants: Map<string, Tensor>, nodes: readonly IRNode[], outputs: readonly string[]): Map<string, Tensor> {
  const used = new Set(outputs);
  for (const n of nodes) for (const x of n.inputs) used.add(x);
  const out = new Map<string, Tensor>();
  for (const [k, v] of constants) if (used.has(k)) out.set(k, v);
  return out;
}
