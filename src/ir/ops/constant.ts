/** Constant: always folded by the loader, so it is never lowered. */
import type { IRNode, Tensor } from '../graph.js';
import { attrTensor } from '../attrs.js';
import { floatT, intT, type OpModule } from './op.js';

function constantValue(node: IRNode): Tensor {
  const t = attrTensor(node, 'value');
  if (t) return t;
  const a = node.attrs.get('value_float') ?? node.attrs.get('value_floats') ?? node.attrs.get('value_int') ?? node.attrs.get('value_ints');
  if (a?.kind === 'float') return floatT([], Float64Array.of(a.value));
  if (a?.kind === 'floats') return floatT([a.value.length], Float64Array.from(a.value));
  if (a?.kind === 'int') return intT([], [a.value]);
  if (a?.kind === 'ints') return intT([a.value.length], [...a.value]);
  throw new Error('Constant without a supported value attribute');
}

export const constant: OpModule = {
  ops: ['Constant'],
  shape(node) {
    const t = attrTensor(node, 'value');
    if (t) return [[...t.shape]];
    const a = node.attrs.get('value_floats') ?? node.attrs.get('value_ints');
    if (a && (a.kind === 'floats' || a.kind === 'ints')) return [[a.value.length]];
    if (node.attrs.has('value_float') || node.attrs.has('value_int')) return [[]];
    throw new Error('Constant without a supported value attribute');
  },
  evaluate: (node) => [constantValue(node)],
  notLinear: 'a Constant is folded by the loader and never lowered',
};
