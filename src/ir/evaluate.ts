/**
 * Float64 forward pass of the graph IR. Each node is evaluated by its op
 * module (src/ir/ops/registry.ts); output shapes come from the graph's
 * inferred shapes. `evalNode` is also what the loader's constant folding runs.
 */
import { numel, type Graph, type IRNode, type Tensor } from './graph.js';
import { opModule } from './ops/registry.js';
import { asFloat, floatT } from './ops/op.js';

/**
 * Evaluate one node. `ins[i]` is undefined for omitted optional inputs;
 * `outShapes` are the node's inferred output shapes.
 */
export function evalNode(node: IRNode, ins: readonly (Tensor | undefined)[], outShapes: readonly (readonly number[])[]): Tensor[] {
  const mod = opModule(node.op);
  if (!mod) throw new Error(`evaluate: node '${node.name}' has unsupported op ${node.op}`);
  return mod.evaluate(node, ins, outShapes);
}

/** Forward pass in float64; returns output 0 flattened. A bare array feeds input 0. */
export function evaluateGraph(graph: Graph, inputs: Map<string, Float64Array> | Float64Array): Float64Array {
  const env = new Map<string, Tensor>(graph.constants);
  graph.inputs.forEach((vi, k) => {
    const data = inputs instanceof Float64Array ? (k === 0 ? inputs : undefined) : inputs.get(vi.name);
    if (!data) throw new Error(`${graph.source}: no value given for input '${vi.name}'`);
    if (data.length !== numel(vi.shape)) throw new Error(`${graph.source}: input '${vi.name}' has ${data.length} values, expected ${numel(vi.shape)} ([${vi.shape}])`);
    env.set(vi.name, floatT(vi.shape, data));
  });
  for (const node of graph.nodes) {
    const ins = node.inputs.map((n) => (n === '' ? undefined : env.get(n)));
    const outShapes = node.outputs.map((o) => graph.shapes.get(o) ?? []);
    const outs = evalNode(node, ins, outShapes);
    node.outputs.forEach((o, i) => {
      if (o !== '' && outs[i]) env.set(o, outs[i]);
    });
  }
  const y = env.get(graph.outputs[0].name);
  if (!y) throw new Error(`${graph.source}: output '${graph.outputs[0].name}' was not computed`);
  return asFloat(y);
}
