/**
 * Helpers shared by the op modules: broadcasting operands during lowering,
 * index maps with fill values, and separable per-axis taps (Pad, Resize,
 * pooling) that serve evaluation and lowering alike.
 */
import { numel, type Tensor } from '../graph.js';
import { broadcastIndex, stridesOf } from '../indexing.js';
import { combineRows, constantMap, gatherRows, type AffineMap } from '../../network/affine-map.js';
import { asFloat, sameShape, type LowerCtx, type Operand, type Shape } from './op.js';

/** An operand's map broadcast to `out` (constants become constant maps). */
export function broadcastMap(ctx: LowerCtx, x: Operand, out: Shape): AffineMap {
  const m = x.map ?? constantMap(ctx.cols, asFloat(x.c as Tensor));
  if (sameShape(x.shape, out)) return m;
  return gatherRows(m, broadcastIndex(x.shape, out));
}

export function broadcastConst(c: Tensor, out: Shape): Float64Array {
  const d = asFloat(c);
  const idx = broadcastIndex(c.shape, out);
  return Float64Array.from(idx, (i) => d[i]);
}

/** Rows idx[i] of m; idx[i] < 0 gives the constant `fill`. Selection maps stay selections, sparse ones sparse. */
export function indexRows(m: AffineMap, idx: Int32Array, fill: number): AffineMap {
  const r = gatherRows(m, idx);
  if (fill !== 0) for (let i = 0; i < idx.length; i++) if (idx[i] < 0) r.b[i] = fill;
  return r;
}

/** Data indexed like indexRows: out[i] = x[idx[i]], or `fill` where idx[i] < 0. */
export function indexData(x: Float64Array, idx: Int32Array, fill: number): Float64Array {
  return Float64Array.from(idx, (i) => (i >= 0 ? x[i] : fill));
}

/** One input coordinate and its weight. */
export interface AxisTap {
  readonly src: number;
  readonly w: number;
}

/**
 * Per-axis taps: taps[a][c] lists the input coordinates along axis a (with
 * weights) that output coordinate c reads. The op is their tensor product:
 * out[c_0..c_r] = sum over one tap per axis of prod w * in[src_0..src_r].
 */
export type SeparableTaps = readonly (readonly (readonly AxisTap[])[])[];

/** Calls fn(out, in, w) for every product tap, output elements in row-major order. */
export function forEachSeparableTap(inShape: Shape, taps: SeparableTaps, fn: (out: number, inp: number, w: number) => void): void {
  const r = inShape.length;
  const st = stridesOf(inShape);
  const outShape = taps.map((t) => t.length);
  const n = numel(outShape);
  const c = new Array<number>(r).fill(0);
  const rec = (a: number, o: number, inp: number, w: number): void => {
    if (a === r) {
      fn(o, inp, w);
      return;
    }
    for (const t of taps[a][c[a]]) rec(a + 1, o, inp + t.src * st[a], w * t.w);
  };
  for (let o = 0; o < n; o++) {
    rec(0, o, 0, 1);
    for (let a = r - 1; a >= 0; a--) {
      if (++c[a] < outShape[a]) break;
      c[a] = 0;
    }
  }
}

/** True when every output coordinate has at most one tap of weight 1 on every axis: an index map. */
export function isIndexMap(taps: SeparableTaps): boolean {
  return taps.every((ax) => ax.every((t) => t.length === 0 || (t.length === 1 && t[0].w === 1)));
}

/** The index map of separable taps (-1 where some axis has no tap). */
export function separableIndex(inShape: Shape, taps: SeparableTaps): Int32Array {
  const idx = new Int32Array(numel(taps.map((t) => t.length))).fill(-1);
  forEachSeparableTap(inShape, taps, (o, i) => {
    idx[o] = i;
  });
  return idx;
}

/** Identity taps for an axis of length d. */
export function identityTaps(d: number): AxisTap[][] {
  return Array.from({ length: d }, (_, c) => [{ src: c, w: 1 }]);
}

/** Evaluate separable taps: out = taps(x) + fill where an output has no tap. */
export function applySeparable(x: Float64Array, inShape: Shape, taps: SeparableTaps, fill = 0): Float64Array {
  if (isIndexMap(taps)) return indexData(x, separableIndex(inShape, taps), fill);
  const r = new Float64Array(numel(taps.map((t) => t.length)));
  forEachSeparableTap(inShape, taps, (o, i, w) => {
    r[o] += w * x[i];
  });
  return r;
}

/** Lower separable taps: an index map when possible (sparse), else a combination of rows. */
export function lowerSeparable(m: AffineMap, inShape: Shape, taps: SeparableTaps, fill = 0): AffineMap {
  if (isIndexMap(taps)) return indexRows(m, separableIndex(inShape, taps), fill);
  const rows = numel(taps.map((t) => t.length));
  return combineRows(m, rows, new Float64Array(rows), (add) => forEachSeparableTap(inShape, taps, add));
}
