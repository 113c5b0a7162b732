/**
 * The activations the lowering recognises, by ONNX op. Adding one: a file in
 * this folder implementing `Activation` (activation.ts), its test in
 * test/activations/, and one line here.
 */
import type { Activation } from './activation.js';
import { identity } from './identity.js';
import { leakyRelu } from './leaky-relu.js';
import { relu } from './relu.js';
import { sigmoid } from './sigmoid.js';
import { sign } from './sign.js';
import { tanh } from './tanh.js';

/** Reads a float attribute of the ONNX node, with its ONNX default. */
export type AttrReader = (name: string, fallback: number) => number;

const BY_ONNX_OP: ReadonlyMap<string, (attr: AttrReader) => Activation> = new Map<string, (attr: AttrReader) => Activation>([
  ['Relu', () => relu],
  ['Sigmoid', () => sigmoid],
  ['Tanh', () => tanh],
  ['Sign', () => sign],
  ['LeakyRelu', (attr: AttrReader) => leakyRelu(attr('alpha', 0.01))],
]);

/** Activations by key: each op's with its default attributes, and identity; other parameters are parsed in `activationByKey`. */
const BY_KEY: ReadonlyMap<string, Activation> = new Map(
  [identity, ...[...BY_ONNX_OP.values()].map((make) => make((_name, fallback) => fallback))].map((a) => [a.key, a]),
);

/** The activation whose `key` this is (keys cross thread boundaries, functions do not). */
export function activationByKey(key: string): Activation {
  const plain = BY_KEY.get(key);
  if (plain) return plain;
  const m = /^leaky_relu\((.+)\)$/.exec(key);
  if (m) return leakyRelu(Number(m[1]));
  throw new Error(`unknown activation key '${key}'`);
}

export const ACTIVATION_OPS: ReadonlySet<string> = new Set(BY_ONNX_OP.keys());

/** The activation an ONNX op computes elementwise, or undefined when the op is not one. */
export function activationForOp(op: string, attr: AttrReader): Activation | undefined {
  return BY_ONNX_OP.get(op)?.(attr);
}

export { identity, relu, sigmoid, tanh, sign, leakyRelu };
export type { Activation, RelaxLines } from './activation.js';
