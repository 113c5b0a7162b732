/**
 * A classifier's final Softmax, removed where the property cannot tell it
 * apart from the logits. softmax(z)_i = exp(z_i) / Σ_k exp(z_k) has one
 * positive denominator for all i, so softmax_i >= softmax_j iff z_i >= z_j:
 * a property whose every output atom compares two outputs with no constant
 * (src/problem/output-comparisons.ts) holds for the softmax outputs exactly
 * when it holds for the logits. Counterexamples are still checked on the
 * original model, Softmax included (src/attack/validate.ts).
 */
import type { Graph, IRNode } from './graph.js';

/** The Softmax node that produces the graph's output over its last axis, all other dimensions 1 ([K], [1, K], [1, 1, K]...). */
export function finalSoftmax(graph: Graph): IRNode | undefined {
  const out = graph.outputs[0];
  if (!out) return undefined;
  const node = graph.nodes.find((n) => n.outputs[0] === out.name);
  if (!node || node.op !== 'Softmax' || node.inputs.length !== 1) return undefined;
  const shape = graph.shapes.get(out.name) ?? out.shape;
  const r = shape.length;
  if (r === 0 || shape.slice(0, -1).some((d) => d !== 1)) return undefined;
  // Absent: -1 (opset 13) or 1 (earlier: softmax of the flattened trailing dims), the same over these shapes.
  const axis = node.attrs.get('axis');
  if (axis && !(axis.kind === 'int' && (axis.value < 0 ? axis.value + r : axis.value) === r - 1)) return undefined;
  // Nothing else may read the probabilities.
  if (graph.nodes.some((n) => n !== node && n.inputs.includes(out.name))) return undefined;
  if (graph.constants.has(node.inputs[0])) return undefined;
  return node;
}

/** The graph whose output is the final Softmax's input (the logits), or undefined when there is no such Softmax. */
export function withoutFinalSoftmax(graph: Graph): { graph: Graph; node: IRNode } | undefined {
  const node = finalSoftmax(graph);
  if (!node) return undefined;
  const logits = node.inputs[0];
  const out = graph.outputs[0];
  return {
    node,
    graph: {
      ...graph,
      nodes: graph.nodes.filter((n) => n !== node),
      outputs: [{ ...out, name: logits, shape: graph.shapes.get(logits) ?? out.shape }, ...graph.outputs.slice(1)],
    },
  };
}
