/**
 * Typed reads of node attributes with ONNX defaults. Shared by shape
 * inference, evaluation and lowering so that all three read an attribute the
 * same way.
 */
import type { IRNode, Tensor } from './graph.js';

export function attrInt(node: IRNode, name: string, dflt: number): number {
  const a = node.attrs.get(name);
  if (!a) return dflt;
  if (a.kind === 'int' || a.kind === 'float') return a.value;
  throw new Error(`attribute ${name} of ${node.name} is ${a.kind}, expected int`);
}

export function attrFloat(node: IRNode, name: string, dflt: number): number {
  const a = node.attrs.get(name);
  if (!a) return dflt;
  if (a.kind === 'int' || a.kind === 'float') return a.value;
  throw new Error(`attribute ${name} of ${node.name} is ${a.kind}, expected float`);
}

export function attrInts(node: IRNode, name: string): readonly number[] | undefined {
  const a = node.attrs.get(name);
  if (!a) return undefined;
  if (a.kind === 'ints' || a.kind === 'floats') return a.value;
  if (a.kind === 'int') return [a.value];
  throw new Error(`attribute ${name} of ${node.name} is ${a.kind}, expected ints`);
}

export function attrString(node: IRNode, name: string, dflt: string): string {
  const a = node.attrs.get(name);
  if (!a) return dflt;
  if (a.kind === 'string') return a.value;
  throw new Error(`attribute ${name} of ${node.name} is ${a.kind}, expected string`);
}

export function attrTensor(node: IRNode, name: string): Tensor | undefined {
  const a = node.attrs.get(name);
  return a && a.kind === 'tensor' ? a.value : undefined;
}

/** Values of a tensor as plain numbers (for shapes, axes, indices given as inputs). */
export function tensorNumbers(t: Tensor): number[] {
  return Array.from(t.data as ArrayLike<number>);
}

/** Normalise a possibly negative axis against a rank. */
export function normAxis(axis: number, rank: number): number {
  const a = axis < 0 ? axis + rank : axis;
  if (a < 0 || a >= rank) throw new Error(`axis ${axis} out of range for rank ${rank}`);
  return a;
}
