/**
 * Resize (opset 10+) and Upsample (opset 7-9): modes nearest and linear
 * (multilinear over every resized axis), scales or sizes from constant
 * inputs (Upsample opset 7: the `scales` attribute). Coordinate transforms:
 * half_pixel (default), pytorch_half_pixel, align_corners, asymmetric,
 * tf_half_pixel_for_nn; nearest modes round_prefer_floor (default),
 * round_prefer_ceil, floor, ceil. Upsample is Resize with asymmetric
 * coordinates and floor rounding. Separable taps: nearest is an index map.
 */
import type { IRNode, Tensor } from '../graph.js';
import { attrInt, attrInts, attrString } from '../attrs.js';
import type { ConstOf } from '../params.js';
import { asFloat, floatT, NotLinear, type OpModule, type Shape } from './op.js';
import { applySeparable, lowerSeparable, type AxisTap } from './util.js';

interface Plan {
  readonly out: number[];
  readonly scales: number[];
  readonly mode: string;
  readonly coord: string;
  readonly nearest: string;
}

function constFloats(constOf: ConstOf, node: IRNode, i: number): number[] | undefined {
  if (node.inputs.length <= i || node.inputs[i] === '') return undefined;
  const t: Tensor | undefined = constOf(i);
  if (!t) throw new Error(`input ${i} ('${node.inputs[i]}') must be a constant`);
  return t.data.length > 0 ? Array.from(t.data as ArrayLike<number>) : undefined;
}

function plan(node: IRNode, x: Shape, constOf: ConstOf): Plan {
  const r = x.length;
  const mode = attrString(node, 'mode', 'nearest');
  if (mode !== 'nearest' && mode !== 'linear' && mode !== 'bilinear') throw new Error(`${node.op} mode '${mode}' is not supported (nearest, linear)`);
  const upsample = node.op === 'Upsample';
  // Resize opset 10 has (X, scales); opset 11+ has (X, roi, scales, sizes).
  const opset10 = !upsample && node.inputs.length === 2;
  let scales = upsample
    ? constFloats(constOf, node, 1) ?? attrInts(node, 'scales')?.map(Number)
    : constFloats(constOf, node, opset10 ? 1 : 2);
  const sizes = upsample || opset10 ? undefined : constFloats(constOf, node, 3);
  if (attrInts(node, 'axes')) throw new Error(`${node.op} with the axes attribute is not supported`);
  if (attrInt(node, 'antialias', 0) !== 0) throw new Error(`${node.op} with antialias is not supported`);
  const keep = attrString(node, 'keep_aspect_ratio_policy', 'stretch');
  if (keep !== 'stretch') throw new Error(`${node.op} keep_aspect_ratio_policy '${keep}' is not supported`);
  let out: number[];
  if (sizes) {
    if (sizes.length !== r) throw new Error(`${node.op} sizes has ${sizes.length} entries for rank ${r}`);
    out = sizes;
    scales = sizes.map((s, a) => s / x[a]);
  } else if (scales) {
    if (scales.length !== r) throw new Error(`${node.op} scales has ${scales.length} entries for rank ${r}`);
    out = x.map((d, a) => Math.floor(d * scales![a]));
  } else {
    throw new Error(`${node.op} needs scales or sizes`);
  }
  if (out.some((d) => d <= 0)) throw new Error(`${node.op} output would be empty`);
  const coord = upsample ? 'asymmetric' : attrString(node, 'coordinate_transformation_mode', 'half_pixel');
  const nearest = upsample ? 'floor' : attrString(node, 'nearest_mode', 'round_prefer_floor');
  return { out, scales, mode: mode === 'bilinear' ? 'linear' : mode, coord, nearest };
}

function original(c: number, inSize: number, outSize: number, scale: number, coord: string): number {
  switch (coord) {
    case 'half_pixel': return (c + 0.5) / scale - 0.5;
    case 'pytorch_half_pixel': return outSize > 1 ? (c + 0.5) / scale - 0.5 : 0;
    case 'align_corners': return outSize === 1 ? 0 : (c * (inSize - 1)) / (outSize - 1);
    case 'asymmetric': return c / scale;
    case 'tf_half_pixel_for_nn': return (c + 0.5) / scale;
    default: throw new Error(`coordinate_transformation_mode '${coord}' is not supported`);
  }
}

function round(v: number, mode: string): number {
  switch (mode) {
    case 'round_prefer_floor': return v - Math.floor(v) === 0.5 ? Math.floor(v) : Math.round(v);
    case 'round_prefer_ceil': return Math.round(v);
    case 'floor': return Math.floor(v);
    case 'ceil': return Math.ceil(v);
    default: throw new Error(`nearest_mode '${mode}' is not supported`);
  }
}

function taps(p: Plan, x: Shape): AxisTap[][][] {
  return x.map((d, a) => Array.from({ length: p.out[a] }, (_, c) => {
    if (p.out[a] === d && p.scales[a] === 1) return [{ src: c, w: 1 }];
    const v = original(c, d, p.out[a], p.scales[a], p.coord);
    if (p.mode === 'nearest') return [{ src: Math.min(Math.max(round(v, p.nearest), 0), d - 1), w: 1 }];
    const u = Math.min(Math.max(v, 0), d - 1);
    const i0 = Math.floor(u);
    const i1 = Math.min(i0 + 1, d - 1);
    const t = u - i0;
    if (i1 === i0 || t === 0) return [{ src: i0, w: 1 }];
    return [{ src: i0, w: 1 - t }, { src: i1, w: t }];
  }));
}

export const resize: OpModule = {
  ops: ['Resize', 'Upsample'],
  shape: (node, s, constOf) => [plan(node, s[0] as Shape, constOf).out],
  evaluate(node, ins, outShapes) {
    const X = ins[0]!;
    return [floatT(outShapes[0], applySeparable(asFloat(X), X.shape, taps(plan(node, X.shape, (i) => ins[i]), X.shape)))];
  },
  lower(ctx) {
    const x = ctx.need(0);
    if (!x.map) throw new NotLinear(`${ctx.node.op} of a constant should have been folded`);
    const p = plan(ctx.node, x.shape, (i) => ctx.graph.constants.get(ctx.node.inputs[i]));
    return [lowerSeparable(x.map, x.shape, taps(p, x.shape))];
  },
};
