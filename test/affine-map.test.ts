/**
 * AffineMap forms (src/network/affine-map.ts): every map operation gives the
 * same matrix and offsets whether its operands are selections, dense or
 * sparse (CSR), sparse results stay sparse, compositions of convolutions
 * never densify, the nonzero cap is a named error, and a lowered net with
 * sparse layers agrees with onnxruntime.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  addMaps, combineRows, denseMap, gatherRows, MAX_DENSE_ENTRIES, scaleShift, selectionMap, shiftColumns, sparseMap, stackMaps, toDense,
  TooLargeError, type AffineMap,
} from '../src/network/affine-map.js';
import { loadOnnx, OnnxError } from '../src/onnx/index.js';
import { lowerToLayered, SPARSE_LAYER_MIN_ENTRIES } from '../src/network/lower.js';
import { OnnxBuilder } from './helpers/onnx-builder.js';
import { checkOp, rnd } from './helpers/op-check.js';
import { mulberry32 } from './helpers/random-onnx.js';

type Rng = () => number;

/** A random rows x cols map, `density` of its entries nonzero (some rows empty), in the three forms where possible. */
function randomMatrix(rng: Rng, rows: number, cols: number, density: number): AffineMap {
  const W = new Float64Array(rows * cols);
  for (let i = 0; i < rows; i++) {
    if (rng() < 0.15) continue;
    for (let j = 0; j < cols; j++) if (rng() < density) W[i * cols + j] = Math.round((rng() * 2 - 1) * 64) / 16 || 0;
  }
  return { rows, cols, W, b: Float64Array.from({ length: rows }, () => rng() * 2 - 1) };
}

function randomSelection(rng: Rng, rows: number, cols: number): AffineMap {
  const sel = Int32Array.from({ length: rows }, () => (rng() < 0.2 ? -1 : Math.floor(rng() * cols)));
  const scale = Float64Array.from(sel, (s) => (s < 0 ? 0 : rng() * 4 - 2));
  return selectionMap(cols, sel, scale, Float64Array.from({ length: rows }, () => rng() - 0.5));
}

/** The same map as dense and as CSR (and as given). */
function forms(m: AffineMap): AffineMap[] {
  return [m, denseMap(m), sparseMap(m)];
}

function formName(m: AffineMap): string {
  return m.csr ? 'csr' : m.W ? 'dense' : 'selection';
}

/** Exactly the same matrix and offsets (the forms sum the same terms in the same order). */
function same(a: AffineMap, b: AffineMap, label: string): void {
  assert.equal(a.rows, b.rows, `${label}: rows`);
  assert.equal(a.cols, b.cols, `${label}: cols`);
  for (let i = 0; i < a.rows; i++) assert.ok(a.b[i] === b.b[i], `${label}: offset ${i}: ${a.b[i]} vs ${b.b[i]}`);
  const [A, B] = [toDense(a), toDense(b)];
  for (let k = 0; k < A.length; k++) assert.ok(A[k] === B[k], `${label}: entry ${k}: ${A[k]} vs ${B[k]} (${formName(a)} vs ${formName(b)})`);
}

/** Reference: the dense matrix of each operation computed entry by entry from dense inputs. */
function refCombine(m: AffineMap, rows: number, bias: Float64Array, terms: [number, number, number][]): { W: Float64Array; b: Float64Array } {
  const M = toDense(m);
  const W = new Float64Array(rows * m.cols);
  const b = Float64Array.from(bias);
  for (const [o, j, c] of terms) {
    b[o] += c * m.b[j];
    for (let k = 0; k < m.cols; k++) W[o * m.cols + k] += c * M[j * m.cols + k];
  }
  return { W, b };
}

function closeTo(a: Float64Array, b: Float64Array, label: string): void {
  assert.equal(a.length, b.length, label);
  for (let k = 0; k < a.length; k++) assert.ok(Math.abs(a[k] - b[k]) <= 1e-12 * (1 + Math.abs(b[k])), `${label}[${k}]: ${a[k]} vs ${b[k]}`);
}

test('every map operation gives the same matrix in selection, dense and sparse forms', () => {
  const rng = mulberry32(7);
  for (let trial = 0; trial < 12; trial++) {
    const rows = 3 + Math.floor(rng() * 20);
    const cols = 2 + Math.floor(rng() * 30);
    const density = [0.03, 0.1, 0.5, 1][trial % 4];
    const sources = [randomMatrix(rng, rows, cols, density), randomSelection(rng, rows, cols)];
    for (const src of sources) {
      const variants = forms(src);
      // combineRows: terms in random order, repeated pairs and zero coefficients included.
      const outRows = 1 + Math.floor(rng() * 25);
      const terms: [number, number, number][] = Array.from({ length: Math.floor(rng() * 4 * outRows) }, () => [
        Math.floor(rng() * outRows), Math.floor(rng() * rows), rng() < 0.1 ? 0 : Math.round((rng() * 2 - 1) * 32) / 8,
      ]);
      const bias = Float64Array.from({ length: outRows }, () => rng());
      const combined = variants.map((v) => combineRows(v, outRows, bias, (add) => terms.forEach(([o, j, c]) => add(o, j, c))));
      combined.forEach((c, k) => same(c, combined[0], `combineRows trial ${trial} variant ${k}`));
      const ref = refCombine(src, outRows, bias, terms);
      closeTo(toDense(combined[2]), ref.W, 'combineRows vs reference');
      closeTo(combined[2].b, ref.b, 'combineRows offsets vs reference');
      // gatherRows with repeats and (through indexRows) missing rows.
      const idx = Int32Array.from({ length: 1 + Math.floor(rng() * 30) }, () => (rng() < 0.15 ? -1 : Math.floor(rng() * rows)));
      const gathered = variants.map((v) => gatherRows(v, idx));
      gathered.forEach((g, k) => same(g, gathered[0], `gatherRows variant ${k}`));
      const G = toDense(gathered[2]);
      const S = toDense(src);
      idx.forEach((r, i) => {
        for (let c = 0; c < cols; c++) assert.ok(G[i * cols + c] === (r < 0 ? 0 : S[r * cols + c]), `gathered row ${i}`);
        assert.ok(gathered[2].b[i] === (r < 0 ? 0 : src.b[r]), `gathered offset ${i}`);
      });
      // scaleShift, by a vector and by a number.
      const a = Float64Array.from({ length: rows }, () => rng() * 4 - 2);
      const c = Float64Array.from({ length: rows }, () => rng());
      const scaled = variants.map((v) => scaleShift(v, a, c));
      scaled.forEach((s, k) => same(s, scaled[0], `scaleShift variant ${k}`));
      const neg = variants.map((v) => scaleShift(v, -1));
      neg.forEach((s, k) => same(s, neg[0], `scaleShift(-1) variant ${k}`));
      // shiftColumns into a wider base.
      const shifted = variants.map((v) => shiftColumns(v, cols + 7, 4));
      shifted.forEach((s, k) => same(s, shifted[0], `shiftColumns variant ${k}`));
      const Sh = toDense(shifted[2]);
      for (let i = 0; i < rows; i++) for (let j = 0; j < cols; j++) assert.ok(Sh[i * (cols + 7) + j + 4] === S[i * cols + j]);
      // addMaps against every form of another map, both signs.
      const other = rng() < 0.5 ? randomMatrix(rng, rows, cols, density) : randomSelection(rng, rows, cols);
      for (const sign of [1, -1] as const) {
        const sums = variants.flatMap((p) => forms(other).map((q) => addMaps(p, q, sign)));
        sums.forEach((s, k) => same(s, sums[0], `addMaps sign ${sign} pair ${k}`));
        const [P, Q] = [toDense(src), toDense(other)];
        closeTo(toDense(sums[0]), Float64Array.from(P, (v, k) => v + sign * Q[k]), 'addMaps vs reference');
      }
      // stackMaps over mixed forms.
      const parts = [src, other, randomSelection(rng, 5, cols)];
      const stacks = [parts, parts.map(denseMap), parts.map(sparseMap), [sparseMap(src), denseMap(other), parts[2]], [src, sparseMap(other), parts[2]]]
        .map((ps) => stackMaps(ps));
      stacks.forEach((s, k) => same(s, stacks[0], `stackMaps variant ${k}`));
    }
  }
});

test('operations on sparse maps keep them sparse; dense enough results become dense', () => {
  const rng = mulberry32(3);
  const s = sparseMap(randomMatrix(rng, 200, 300, 0.02));
  assert.ok(gatherRows(s, Int32Array.from({ length: 100 }, (_, i) => (i * 7) % 200)).csr);
  assert.ok(scaleShift(s, 2).csr);
  assert.ok(addMaps(s, sparseMap(randomMatrix(rng, 200, 300, 0.02)), -1).csr);
  assert.ok(stackMaps([s, randomSelection(rng, 10, 300)]).csr);
  assert.ok(shiftColumns(s, 1000, 500).csr);
  assert.ok(combineRows(s, 50, new Float64Array(50), (add) => {
    for (let o = 0; o < 50; o++) add(o, 2 * o, 1);
  }).csr);
  // Every output row the sum of all 300 inputs: a dense result is held dense.
  const sel = selectionMap(300, Int32Array.from({ length: 300 }, (_, i) => i));
  const full = combineRows(sel, 4, new Float64Array(4), (add) => {
    for (let o = 0; o < 4; o++) for (let j = 0; j < 300; j++) add(o, j, 1);
  });
  assert.ok(full.W && !full.csr);
});

/** Rows of a 3x3 same-padded convolution of an image of c channels, h x h, into c channels. */
function convTerms(c: number, h: number, w: Float64Array) {
  return (add: (o: number, j: number, coef: number) => void) => {
    for (let co = 0; co < c; co++)
      for (let y = 0; y < h; y++)
        for (let x = 0; x < h; x++)
          for (let ci = 0; ci < c; ci++)
            for (let dy = -1; dy <= 1; dy++)
              for (let dx = -1; dx <= 1; dx++) {
                const [yy, xx] = [y + dy, x + dx];
                if (yy < 0 || yy >= h || xx < 0 || xx >= h) continue;
                add((co * h + y) * h + x, (ci * h + yy) * h + xx, w[((co * c + ci) * 3 + dy + 1) * 3 + dx + 1]);
              }
  };
}

test('a composition of two convolutions stays sparse, also beyond the dense limit, and equals the dense composition', () => {
  // Small: the same matrix as composing dense maps.
  {
    // 2 channels of 12 x 12: the composition has at most 2 x 5 x 5 of 288 columns per row.
    const [c, h] = [2, 12];
    const n = c * h * h;
    const w1 = rnd(1, c * c * 9);
    const w2 = rnd(2, c * c * 9);
    const id = selectionMap(n, Int32Array.from({ length: n }, (_, i) => i));
    const conv1 = combineRows(id, n, rnd(3, n), convTerms(c, h, w1));
    assert.ok(conv1.csr, 'one convolution: sparse');
    const conv2 = combineRows(conv1, n, rnd(4, n), convTerms(c, h, w2));
    assert.ok(conv2.csr && !conv2.W, 'conv after conv: sparse');
    const dense2 = combineRows(denseMap(conv1), n, rnd(4, n), convTerms(c, h, w2));
    assert.ok(dense2.W);
    same(conv2, dense2, 'conv o conv');
  }
  // Large: 8 x 64 x 64 = 32768 values, a 2^30-entry matrix: sparse all the way (25 x 8 nonzeros per row at most).
  {
    const [c, h] = [8, 64];
    const n = c * h * h;
    assert.ok(n * n > MAX_DENSE_ENTRIES);
    const id = selectionMap(n, Int32Array.from({ length: n }, (_, i) => i));
    const conv1 = combineRows(id, n, new Float64Array(n), convTerms(c, h, rnd(5, c * c * 9)));
    const conv2 = combineRows(scaleShift(conv1, 0.5, rnd(6, n)), n, new Float64Array(n), convTerms(c, h, rnd(7, c * c * 9)));
    assert.ok(conv2.csr && !conv2.W);
    assert.ok(conv2.csr.val.length <= n * 25 * c);
    const sum = addMaps(conv2, id, 1);
    assert.ok(sum.csr);
    // Row 1000 of the composition against the product computed by hand.
    const o = 1000;
    const row1 = new Map<number, number>();
    convTerms(c, h, rnd(7, c * c * 9))((oo, j, coef) => {
      if (oo !== o) return;
      const { rowPtr, col, val } = conv1.csr!;
      for (let q = rowPtr[j]; q < rowPtr[j + 1]; q++) row1.set(col[q], (row1.get(col[q]) ?? 0) + coef * 0.5 * val[q]);
    });
    const { rowPtr, col, val } = conv2.csr;
    const got = new Map<number, number>();
    for (let q = rowPtr[o]; q < rowPtr[o + 1]; q++) got.set(col[q], val[q]);
    for (const [k, v] of row1) assert.ok(Math.abs((got.get(k) ?? 0) - v) <= 1e-12 * (1 + Math.abs(v)), `column ${k}`);
    assert.ok(got.size <= row1.size);
  }
});

test('the nonzero cap is a named TooLargeError, raised before allocating', () => {
  // One row depending on 2^20 inputs, repeated 257 times: 2^28 + 2^20 nonzeros.
  const n = 2 ** 20;
  const sum = combineRows(selectionMap(n, Int32Array.from({ length: n }, (_, i) => i)), 1, new Float64Array(1), (add) => {
    for (let j = 0; j < n; j++) add(0, j, 1);
  });
  assert.throws(() => gatherRows(sum, new Int32Array(257)), (e: unknown) => e instanceof TooLargeError
    && /a 257 x 1048576 sparse matrix with 269484032 nonzeros \(3\.0 GiB\) is too large for this verifier \(limit 268435456 nonzeros\)/.test(e.message));
  // The same through lowering: a named reason on the node.
  const b = new OnnxBuilder({ opset: 13 })
    .input('x', [1, n])
    .init('axes', [1], [1], 'int64')
    .init('shape', [1, 257], [2], 'int64')
    .node('ReduceSum', ['x', 'axes'], ['s'], { keepdims: 1 })
    .node('Expand', ['s', 'shape'], ['e'], {}, 'expand')
    .node('Relu', ['e'], ['y'])
    .output('y');
  assert.throws(() => lowerToLayered(loadOnnx(b.build(), 'wide.onnx')), (e: unknown) => e instanceof OnnxError
    && /node 'expand' \(op Expand\)/.test(e.message) && /sparse matrix with 269484032 nonzeros/.test(e.message));
});

test('a lowered conv net with sparse layers (ConvTranspose, Conv, BatchNorm, residual Add, Pad, pooling) equals onnxruntime', async () => {
  // 1x4x48x48 = 9216 inputs; the ConvTranspose gives 4x96x96 = 36864 values: layers of 3.4e8 entries, held sparse.
  const c = 4;
  const bld = new OnnxBuilder({ opset: 13 })
    .input('x', [1, c, 48, 48])
    .init('Wt', rnd(11, c * c * 4, -0.5, 0.5), [c, c, 2, 2])
    .init('Bt', rnd(12, c), [c])
    .init('Wc', rnd(13, c * c * 9, -0.3, 0.3), [c, c, 3, 3])
    .init('Bc', rnd(14, c), [c])
    .init('scale', rnd(15, c, 0.5, 1.5), [c])
    .init('bias', rnd(16, c), [c])
    .init('mean', rnd(17, c), [c])
    .init('var', rnd(18, c, 0.5, 2), [c])
    .init('Wd', rnd(19, c * c * 9, -0.3, 0.3), [c, c, 3, 3])
    .init('pads', [0, 0, 1, 1, 0, 0, 1, 1], [8], 'int64')
    .init('Wg', rnd(20, 10 * c * 24 * 24, -0.01, 0.01), [10, c * 24 * 24])
    .node('ConvTranspose', ['x', 'Wt', 'Bt'], ['t'], { strides: [2, 2] })
    .node('Conv', ['t', 'Wc', 'Bc'], ['u'], { pads: [1, 1, 1, 1] })
    .node('BatchNormalization', ['u', 'scale', 'bias', 'mean', 'var'], ['v'])
    .node('Add', ['v', 't'], ['w'])
    .node('Relu', ['w'], ['r'])
    .node('Pad', ['r', 'pads'], ['p'])
    .node('Conv', ['p', 'Wd'], ['d'], { strides: [2, 2] })
    .node('Relu', ['d'], ['r2'])
    .node('AveragePool', ['r2'], ['a'], { kernel_shape: [2, 2], strides: [2, 2] })
    .node('Flatten', ['a'], ['f'])
    .node('Gemm', ['f', 'Wg'], ['y'], { transB: 1 })
    .output('y');
  const { net, lowerErr } = await checkOp(bld.build(), 'sparse-conv-net', { samples: 2 });
  assert.ok(net);
  const sparse = net.layers.filter((l) => l.csr);
  assert.ok(sparse.length >= 2, `${sparse.length} sparse layers`);
  assert.ok(sparse.every((l) => l.inDim * l.outDim > SPARSE_LAYER_MIN_ENTRIES));
  // The first layer composes ConvTranspose, Conv and BatchNorm with the residual: 4 x 3x3 taps of 2x2-strided outputs plus one.
  assert.ok(net.layers[0].csr);
  assert.equal(net.layers[0].outDim, c * 96 * 96);
  assert.ok(net.layers[0].csr.val.length < 0.01 * net.layers[0].inDim * net.layers[0].outDim);
  assert.ok(lowerErr < 1e-9);
});
