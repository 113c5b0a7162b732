/**
 * Shape inference, one node at a time, through the op registry
 * (src/ir/ops/registry.ts). Shapes that depend on values (Reshape's target,
 * Slice's bounds, ...) are read from constant inputs, which the folding pass
 * has produced by the time a node is reached. An op the registry does not
 * know is rejected, naming the node.
 */
import type { IRNode, Tensor } from '../ir/graph.js';
import { opModule, SUPPORTED_OPS } from '../ir/ops/registry.js';
import { OnnxError } from './errors.js';

export { SUPPORTED_OPS };

type Shape = readonly number[];

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
  const mod = opModule(node.op);
  if (!mod) throw new OnnxError(source, node, `unsupported op '${node.op}'`);
  try {
    if (node.op !== 'Constant' && inShapes[0] === undefined) throw new Error('missing input 0');
    return mod.shape(node, inShapes, constOf);
  } catch (e) {
    if (e instanceof OnnxError) throw e;
    throw new OnnxError(source, node, (e as Error).message);
  }
}
