/**
 * Pad (modes constant, edge, reflect, wrap; negative pads crop). Pads and the
 * constant value come from inputs 1 and 2 (opset 11+, with optional axes in
 * input 3) or from the `pads` and `value` attributes (older opsets). An index
 * map with a constant fill: the lowering keeps selection maps sparse.
 */
import type { IRNode } from '../graph.js';
import { attrFloat, attrString, normAxis } from '../attrs.js';
import { listParam, type ConstOf } from '../params.js';
import { asFloat, floatT, NotLinear, type OpModule, type Shape } from './op.js';
import { applySeparable, lowerSeparable, type AxisTap } from './util.js';

interface PadSpec {
  readonly begin: number[];
  readonly end: number[];
  readonly mode: string;
  readonly value: number;
}

function padSpec(node: IRNode, x: Shape, constOf: ConstOf): PadSpec {
  const r = x.length;
  const pads = listParam(node, constOf, 1, 'pads') ?? new Array<number>(2 * r).fill(0);
  const axesGiven = listParam(node, constOf, 3, 'axes_unused');
  const axes = axesGiven ? axesGiven.map((a) => normAxis(a, r)) : Array.from({ length: r }, (_, a) => a);
  if (pads.length !== 2 * axes.length) throw new Error(`Pad has ${pads.length} pads for ${axes.length} axes`);
  const begin = new Array<number>(r).fill(0);
  const end = new Array<number>(r).fill(0);
  axes.forEach((a, i) => {
    begin[a] = pads[i];
    end[a] = pads[axes.length + i];
  });
  let value = attrFloat(node, 'value', 0);
  if (node.inputs.length > 2 && node.inputs[2] !== '') {
    const t = constOf(2);
    if (!t) throw new Error(`input 2 ('${node.inputs[2]}') must be a constant`);
    value = t.data.length > 0 ? Number(t.data[0]) : 0;
  }
  const mode = attrString(node, 'mode', 'constant');
  if (!['constant', 'edge', 'reflect', 'wrap'].includes(mode)) throw new Error(`Pad mode '${mode}' is not supported`);
  return { begin, end, mode, value };
}

function srcCoord(c: number, d: number, mode: string): number {
  if (c >= 0 && c < d) return c;
  if (mode === 'constant') return -1;
  if (mode === 'edge') return Math.min(Math.max(c, 0), d - 1);
  if (mode === 'wrap') return ((c % d) + d) % d;
  // reflect: mirror without repeating the edge element.
  if (d === 1) return 0;
  const period = 2 * (d - 1);
  const m = ((c % period) + period) % period;
  return m < d ? m : period - m;
}

function padTaps(spec: PadSpec, x: Shape): AxisTap[][][] {
  return x.map((d, a) => {
    const n = d + spec.begin[a] + spec.end[a];
    if (n < 0) throw new Error(`Pad leaves axis ${a} with ${n} elements`);
    if (spec.mode === 'reflect' && (spec.begin[a] >= d || spec.end[a] >= d)) throw new Error(`reflect Pad of ${Math.max(spec.begin[a], spec.end[a])} on an axis of ${d}`);
    return Array.from({ length: n }, (_, c) => {
      const s = srcCoord(c - spec.begin[a], d, spec.mode);
      return s < 0 ? [] : [{ src: s, w: 1 }];
    });
  });
}

export const pad: OpModule = {
  ops: ['Pad'],
  shape(node, s, constOf) {
    const x = s[0] as Shape;
    return [padTaps(padSpec(node, x, constOf), x).map((t) => t.length)];
  },
  evaluate(node, ins, outShapes) {
    const X = ins[0]!;
    const spec = padSpec(node, X.shape, (i) => ins[i]);
    return [floatT(outShapes[0], applySeparable(asFloat(X), X.shape, padTaps(spec, X.shape), spec.value))];
  },
  lower(ctx) {
    const x = ctx.need(0);
    if (!x.map) throw new NotLinear('Pad of a constant should have been folded');
    const spec = padSpec(ctx.node, x.shape, (i) => ctx.graph.constants.get(ctx.node.inputs[i]));
    return [lowerSeparable(x.map, x.shape, padTaps(spec, x.shape), spec.value)];
  },
};
