/**
 * One ONNX operator (or a tiny family of them) as a module: shape inference,
 * float64 evaluation and lowering to an affine map of the current layer's
 * variables. src/onnx/shapes.ts, src/ir/evaluate.ts and src/network/lower.ts
 * dispatch through registry.ts; adding an op is one file here, its test in
 * test/ops/ and one registry line.
 */
import type { Graph, IRNode, Tensor } from '../graph.js';
import type { ConstOf } from '../params.js';
import type { AffineMap } from '../../network/affine-map.js';
import type { Activation } from '../../network/activations/activation.js';

export type Shape = readonly number[];

/** Thrown by a lowering that cannot express its node as an affine map: the reason names what is not linear. */
export class NotLinear extends Error {}

/** An input during lowering: a constant tensor or a network value (an affine map of the current base). */
export interface Operand {
  readonly map?: AffineMap;
  readonly c?: Tensor;
  readonly shape: Shape;
}

export interface LowerCtx {
  readonly node: IRNode;
  readonly graph: Graph;
  /** Number of variables of the current base (the current layer's outputs). */
  readonly cols: number;
  /** Input i (undefined for an omitted optional input). */
  input(i: number): Operand | undefined;
  /** Input i, which must be given. */
  need(i: number): Operand;
  /** Input i as a network value (not a constant). */
  needMap(i: number): AffineMap;
  /** Output k's inferred shape. */
  outShape(k?: number): Shape;
  /**
   * Close a hidden layer: the rows of `map` become the layer's neurons, each
   * under `act` (one activation for all rows, or one per row); every value
   * still needed later is carried through the layer. Returns the activated
   * rows as a map of the new base. Maps obtained before the call (operands
   * included) belong to the old base and must not be used after it.
   */
  activate(map: AffineMap, act: Activation | readonly Activation[]): AffineMap;
}

export interface OpModule {
  /** ONNX op types this module handles. */
  readonly ops: readonly string[];
  /** Output shapes from input shapes (undefined: omitted optional input) and constant inputs. */
  shape(node: IRNode, inShapes: readonly (Shape | undefined)[], constOf: ConstOf): number[][];
  /** Float64 evaluation; `outShapes` are the inferred output shapes. */
  evaluate(node: IRNode, ins: readonly (Tensor | undefined)[], outShapes: readonly Shape[]): Tensor[];
  /**
   * The node's outputs as affine maps of the current base (one per output;
   * an empty string output may get any map). Throws NotLinear with a reason
   * when the op is not expressible. Absent: not piecewise linear (`notLinear` says why).
   */
  lower?(ctx: LowerCtx): AffineMap[];
  /** Why an op without `lower` cannot be lowered. */
  readonly notLinear?: string;
}

export const floatT = (shape: Shape, data: Float64Array): Tensor => ({ kind: 'float', shape: [...shape], data });
export const intT = (shape: Shape, data: readonly number[]): Tensor => ({ kind: 'int', shape: [...shape], data });

export function asFloat(t: Tensor): Float64Array {
  return t.kind === 'float' ? t.data : Float64Array.from(t.data);
}

export function sameShape(a: Shape, b: Shape): boolean {
  return a.length === b.length && a.every((d, i) => d === b[i]);
}
