/**
 * Window geometry shared by AveragePool and MaxPool (any number of spatial
 * axes; kernel_shape, strides, pads, dilations, ceil_mode, auto_pad), as
 * separable per-axis taps over the input: axes 0 and 1 (N, C) map to
 * themselves; a spatial output coordinate lists the input coordinates of its
 * window that lie inside the input (padding cells are not taps).
 */
import type { IRNode } from '../graph.js';
import { attrInt, attrInts, attrString } from '../attrs.js';
import type { Shape } from './op.js';
import { identityTaps, type AxisTap } from './util.js';

export interface PoolAxis {
  readonly out: number;
  /** Window start of each output coordinate (may be negative: inside the begin padding). */
  readonly starts: number[];
  readonly k: number;
  readonly dil: number;
  readonly inSize: number;
  readonly padEnd: number;
}

export function poolAxes(node: IRNode, x: Shape): PoolAxis[] {
  const sp = x.length - 2;
  if (sp < 1) throw new Error(`${node.op} needs an input of rank 3 or more, got [${x}]`);
  const kernel = attrInts(node, 'kernel_shape');
  if (!kernel || kernel.length !== sp) throw new Error(`${node.op} needs kernel_shape with ${sp} entries`);
  const strides = attrInts(node, 'strides') ?? new Array(sp).fill(1);
  const dil = attrInts(node, 'dilations') ?? new Array(sp).fill(1);
  const pads = attrInts(node, 'pads') ?? new Array(2 * sp).fill(0);
  const ceil = attrInt(node, 'ceil_mode', 0) === 1;
  const autoPad = attrString(node, 'auto_pad', 'NOTSET');
  return kernel.map((k, a) => {
    const d = x[a + 2];
    const s = strides[a];
    const span = (k - 1) * dil[a] + 1;
    let pb = pads[a];
    let pe = pads[sp + a];
    let out: number;
    if (autoPad === 'SAME_UPPER' || autoPad === 'SAME_LOWER') {
      out = Math.ceil(d / s);
      const total = Math.max(0, (out - 1) * s + span - d);
      pb = autoPad === 'SAME_UPPER' ? Math.floor(total / 2) : Math.ceil(total / 2);
      pe = total - pb;
    } else {
      if (autoPad === 'VALID') pb = pe = 0;
      const q = (d + pb + pe - span) / s;
      out = (ceil ? Math.ceil(q) : Math.floor(q)) + 1;
      // A window must start inside the input or its begin padding.
      if (ceil && (out - 1) * s >= d + pb) out--;
    }
    if (out <= 0) throw new Error(`${node.op} output would be empty on axis ${a + 2}`);
    return { out, starts: Array.from({ length: out }, (_, c) => c * s - pb), k, dil: dil[a], inSize: d, padEnd: pe };
  });
}

/** The in-bounds window taps of each spatial axis (weight 1), N and C as identity. */
export function windowTaps(x: Shape, axes: readonly PoolAxis[], weight: (ax: PoolAxis, c: number, count: number) => number = () => 1): AxisTap[][][] {
  return [
    identityTaps(x[0]),
    identityTaps(x[1]),
    ...axes.map((ax) => ax.starts.map((st, c) => {
      const taps: number[] = [];
      for (let j = 0; j < ax.k; j++) {
        const i = st + j * ax.dil;
        if (i >= 0 && i < ax.inSize) taps.push(i);
      }
      const w = weight(ax, c, taps.length);
      return taps.map((src) => ({ src, w }));
    })),
  ];
}
