/**
 * Elementwise activations of src/network/activations (Relu, Sigmoid, Tanh,
 * Sign, LeakyRelu): evaluated by the activation's own function, lowered by
 * closing a layer (LowerCtx.activate).
 */
import { attrFloat } from '../attrs.js';
import type { IRNode } from '../graph.js';
import { ACTIVATION_OPS, activationForOp, type Activation } from '../../network/activations/registry.js';
import { asFloat, floatT, intT, NotLinear, type OpModule } from './op.js';

export function activationOf(node: IRNode): Activation {
  const act = activationForOp(node.op, (name, fallback) => attrFloat(node, name, fallback));
  if (!act) throw new Error(`internal: ${node.op} is not an activation`);
  return act;
}

export const activationOps: OpModule = {
  ops: [...ACTIVATION_OPS],
  shape: (_node, s) => [[...(s[0] as number[])]],
  evaluate(node, ins) {
    const X = ins[0]!;
    const act = activationOf(node);
    // Relu keeps integer tensors integer (shape arithmetic).
    if (X.kind === 'int' && node.op === 'Relu') return [intT(X.shape, X.data.map((v) => (v > 0 ? v : 0)))];
    return [floatT(X.shape, asFloat(X).map((v) => act.evaluate(v)))];
  },
  lower(ctx) {
    const x = ctx.need(0);
    if (!x.map) throw new NotLinear(`${ctx.node.op} of a constant should have been folded`);
    return [ctx.activate(x.map, activationOf(ctx.node))];
  },
};
