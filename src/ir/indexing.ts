/**
 * Data-movement ops as index maps: `out[i] = in[idx[i]]` over the flattened
 * (row-major) tensors. The evaluator applies them to data; the lowering
 * applies them to the rows of an affine map, which keeps permutations and
 * reshapes O(n) instead of dense O(n^2..n^3) matrix products.
 */
import { numel } from './graph.js';

export function stridesOf(shape: readonly number[]): number[] {
  const s = new Array<number>(shape.length);
  let acc = 1;
  for (let a = shape.length - 1; a >= 0; a--) {
    s[a] = acc;
    acc *= shape[a];
  }
  return s;
}

/** Numpy-style broadcast of two shapes; throws on incompatible dimensions. */
export function broadcastShape(a: readonly number[], b: readonly number[]): number[] {
  const r = Math.max(a.length, b.length);
  const out = new Array<number>(r);
  for (let i = 0; i < r; i++) {
    const da = a[a.length - r + i] ?? 1;
    const db = b[b.length - r + i] ?? 1;
    if (da !== db && da !== 1 && db !== 1) throw new Error(`cannot broadcast [${a}] with [${b}]`);
    out[i] = da === 1 ? db : da;
  }
  return out;
}

/** idx[i] = sum_a offsets[a][coord_a(i)], iterating `shape` in row-major order. */
function separable(shape: readonly number[], offsets: readonly Int32Array[]): Int32Array {
  const n = numel(shape);
  const idx = new Int32Array(n);
  const r = shape.length;
  if (n === 0) return idx;
  if (r === 0) {
    idx[0] = 0;
    return idx;
  }
  const c = new Array<number>(r - 1).fill(0);
  // base: the sum over all axes but the last, at the current coordinates.
  let base = 0;
  for (let a = 0; a < r - 1; a++) base += offsets[a][0];
  const last = offsets[r - 1];
  const inner = shape[r - 1];
  let pos = 0;
  for (;;) {
    for (let j = 0; j < inner; j++) idx[pos++] = base + last[j];
    let a = r - 2;
    for (; a >= 0; a--) {
      base -= offsets[a][c[a]];
      c[a]++;
      if (c[a] < shape[a]) {
        base += offsets[a][c[a]];
        break;
      }
      c[a] = 0;
      base += offsets[a][0];
    }
    if (a < 0) return idx;
  }
}

function axisOffsets(len: number, f: (c: number) => number): Int32Array {
  const o = new Int32Array(len);
  for (let c = 0; c < len; c++) o[c] = f(c);
  return o;
}

export function broadcastIndex(inShape: readonly number[], outShape: readonly number[]): Int32Array {
  const st = stridesOf(inShape);
  const r = outShape.length;
  const lead = r - inShape.length;
  const offs = outShape.map((d, a) => {
    const ia = a - lead;
    const broadcast = ia < 0 || inShape[ia] === 1;
    return axisOffsets(d, (c) => (broadcast ? 0 : c * st[ia]));
  });
  return separable(outShape, offs);
}

export function transposeShape(inShape: readonly number[], perm: readonly number[]): number[] {
  return perm.map((p) => inShape[p]);
}

export function transposeIndex(inShape: readonly number[], perm: readonly number[]): Int32Array {
  const st = stridesOf(inShape);
  const outShape = transposeShape(inShape, perm);
  return separable(outShape, outShape.map((d, a) => axisOffsets(d, (c) => c * st[perm[a]])));
}

/** Gather along `axis` with already normalised (non-negative) flat indices. */
export function gatherIndex(inShape: readonly number[], axis: number, indices: readonly number[]): Int32Array {
  const st = stridesOf(inShape);
  const virt = [...inShape.slice(0, axis), indices.length, ...inShape.slice(axis + 1)];
  const offs = virt.map((d, a) => axisOffsets(d, (c) => (a === axis ? indices[c] * st[axis] : c * st[a])));
  return separable(virt, offs);
}

export interface SliceAxis {
  readonly start: number;
  readonly step: number;
  readonly count: number;
}

/** ONNX Slice clamping rules for one axis of length `dim`. */
export function sliceAxis(dim: number, start: number, end: number, step: number): SliceAxis {
  if (step === 0) throw new Error('Slice step 0');
  let s = start < 0 ? start + dim : start;
  let e = end < 0 ? end + dim : end;
  if (step > 0) {
    s = Math.min(Math.max(s, 0), dim);
    e = Math.min(Math.max(e, 0), dim);
    return { start: s, step, count: Math.max(0, Math.ceil((e - s) / step)) };
  }
  s = Math.min(Math.max(s, 0), dim - 1);
  e = Math.min(Math.max(e, -1), dim - 1);
  return { start: s, step, count: Math.max(0, Math.ceil((s - e) / -step)) };
}

export function sliceIndex(inShape: readonly number[], axes: readonly SliceAxis[]): Int32Array {
  const st = stridesOf(inShape);
  const outShape = axes.map((a) => a.count);
  return separable(outShape, axes.map((ax, a) => axisOffsets(ax.count, (c) => (ax.start + c * ax.step) * st[a])));
}

/** Index into the concatenation of the inputs' flat buffers (input k starts after inputs 0..k-1). */
export function concatIndex(shapes: readonly (readonly number[])[], axis: number): Int32Array {
  const outer = numel(shapes[0].slice(0, axis));
  const inner = numel(shapes[0].slice(axis + 1));
  const starts: number[] = [];
  let acc = 0;
  for (const s of shapes) {
    starts.push(acc);
    acc += numel(s);
  }
  const idx = new Int32Array(acc);
  let pos = 0;
  for (let o = 0; o < outer; o++) {
    shapes.forEach((s, k) => {
      const block = s[axis] * inner;
      const from = starts[k] + o * block;
      for (let j = 0; j < block; j++) idx[pos++] = from + j;
    });
  }
  return idx;
}

/**
 * Geometry of an ONNX MatMul (numpy semantics: 1-D operands promoted, batch
 * dimensions broadcast): M, K, N and, per output batch t, the batch index of
 * each operand.
 */
export function matmulGeometry(
  aShape: readonly number[],
  bShape: readonly number[],
  out: readonly number[],
): { M: number; K: number; N: number; ia: number[]; ib: number[] } {
  const as = aShape.length === 1 ? [1, aShape[0]] : aShape;
  const bs = bShape.length === 1 ? [bShape[0], 1] : bShape;
  const batchOut = out.slice(0, out.length - (aShape.length > 1 ? 1 : 0) - (bShape.length > 1 ? 1 : 0));
  return {
    M: as[as.length - 2],
    K: as[as.length - 1],
    N: bs[bs.length - 1],
    ia: Array.from(broadcastIndex(as.slice(0, -2), batchOut)),
    ib: Array.from(broadcastIndex(bs.slice(0, -2), batchOut)),
  };
}
