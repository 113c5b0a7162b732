/**
 * Weights must be finite. One Inf or NaN in an initializer reached branch and
 * bound as NaN bounds and crashed it far from the cause; checked here, after
 * constant folding (which can make Inf out of finite weights: 1 / 0), the
 * error names the initializer or the node that holds it.
 */
import type { IRNode, Tensor } from '../ir/graph.js';
import { echo } from '../util/user-text.js';
import { OnnxError } from './errors.js';

function describeValue(v: number): string {
  return Number.isNaN(v) ? 'NaN' : String(v);
}

/** "NaN at element 3 of [2, 2]" for the first non-finite value, or undefined. */
function nonFinite(t: Tensor): string | undefined {
  if (t.kind !== 'float') return undefined;
  const d = t.data;
  for (let i = 0; i < d.length; i++) {
    if (!Number.isFinite(d[i])) return `${describeValue(d[i])} at element ${i} of [${t.shape.join(', ')}]`;
  }
  return undefined;
}

/** Float attributes (Gemm's alpha, BatchNormalization's epsilon, ...). */
export function checkFiniteAttributes(node: IRNode, source: string): void {
  for (const [name, a] of node.attrs) {
    const values = a.kind === 'float' ? [a.value] : a.kind === 'floats' ? a.value : [];
    const bad = values.find((v) => !Number.isFinite(v));
    if (bad !== undefined) throw new OnnxError(source, node, `attribute '${echo(name)}' is ${describeValue(bad)}: the verifier needs finite parameters`);
  }
}

/**
 * Every constant the network reads: the initializers nodes use and the
 * constants folding made (named after the node that produced them).
 */
export function checkFiniteConstants(
  sorted: readonly IRNode[],
  initializers: ReadonlyMap<string, Tensor>,
  liveConstants: ReadonlyMap<string, Tensor>,
  source: string,
): void {
  const used = new Set<string>();
  for (const n of sorted) for (const x of n.inputs) used.add(x);
  for (const [name, t] of initializers) {
    if (!used.has(name)) continue;
    const bad = nonFinite(t);
    if (bad) throw new OnnxError(source, undefined, `initializer '${echo(name)}' holds ${bad}: the verifier needs finite weights`);
  }
  const producer = new Map<string, IRNode>();
  for (const n of sorted) for (const o of n.outputs) producer.set(o, n);
  for (const [name, t] of liveConstants) {
    if (initializers.has(name)) continue;
    const bad = nonFinite(t);
    const node = producer.get(name);
    if (bad) throw new OnnxError(source, node, `constant '${echo(name)}' holds ${bad}${node?.op === 'Constant' ? '' : ' after constant folding'}: the verifier needs finite weights`);
  }
}
