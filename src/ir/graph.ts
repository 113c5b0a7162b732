/**
 * Typed graph IR produced by the ONNX loader (src/onnx) and consumed by the
 * forward evaluator and by the lowering to a layered piecewise-linear network.
 *
 * Float tensors are always held as Float64Array whatever their ONNX type, so
 * that every later computation (evaluation, bounding) runs in float64.
 * Integer tensors (shapes, indices, axes) are held as plain number arrays.
 */

export type FloatTensor = { readonly kind: 'float'; readonly shape: readonly number[]; readonly data: Float64Array };
export type IntTensor = { readonly kind: 'int'; readonly shape: readonly number[]; readonly data: readonly number[] };
export type Tensor = FloatTensor | IntTensor;

export type AttrValue =
  | { readonly kind: 'int'; readonly value: number }
  | { readonly kind: 'float'; readonly value: number }
  | { readonly kind: 'string'; readonly value: string }
  | { readonly kind: 'ints'; readonly value: readonly number[] }
  | { readonly kind: 'floats'; readonly value: readonly number[] }
  | { readonly kind: 'tensor'; readonly value: Tensor };

export interface IRNode {
  /** ONNX node name, or a generated `<op>_<index>` when the file leaves it empty. */
  readonly name: string;
  readonly op: string;
  /** Input value names; '' marks an omitted optional input. */
  readonly inputs: readonly string[];
  readonly outputs: readonly string[];
  readonly attrs: ReadonlyMap<string, AttrValue>;
  /** The model's opset of the default ONNX domain, where an op's semantics changed between opsets (Softmax); absent: the newest. */
  readonly opset?: number;
}

export interface ValueInfo {
  readonly name: string;
  /** Concrete shape (symbolic and batch dimensions resolved to 1). */
  readonly shape: readonly number[];
  /** ONNX element type name of the model's own tensor, e.g. 'float32', 'float64'. */
  readonly elemType: string;
}

export interface Graph {
  /** Real (non-initializer) inputs, in file order. */
  readonly inputs: readonly ValueInfo[];
  readonly outputs: readonly ValueInfo[];
  /** Topologically sorted; constant subgraphs already folded into `constants`. */
  readonly nodes: readonly IRNode[];
  /** Initializers and folded constants. */
  readonly constants: ReadonlyMap<string, Tensor>;
  /** Inferred shape of every value (inputs, intermediates, outputs, constants). */
  readonly shapes: ReadonlyMap<string, readonly number[]>;
  /** Where it came from, for error messages. */
  readonly source: string;
}

export function numel(shape: readonly number[]): number {
  let n = 1;
  for (const d of shape) n *= d;
  return n;
}
