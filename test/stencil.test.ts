/**
 * Stencil products (src/tensor/stencil.ts): a materialised convolution is
 * found to repeat its kernel block, and the products through the blocks give
 * the CSR products' numbers; a sparse matrix without repetition is refused.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { csrFromDense, denseTimesCsr, transposeCsr, type Csr } from '../src/tensor/matmul.js';
import { findStencil, IM2COL_MIN_DIM, MIN_LONE_ROWS, stencilBackward, stencilForward, type Stencil } from '../src/tensor/stencil.js';
import { backwardProduct, absForwardProduct, forwardProduct, layerStencil } from '../src/network/linear.js';
import { sparseLayer } from '../src/network/layered.js';
import { makeRng } from './helpers/random-net.js';

interface Conv {
  cin: number;
  h: number;
  w: number;
  cout: number;
  k: number;
  stride: number;
  pad: number;
}

/**
 * The dense (cout·ho·wo) x (cin·h·w) matrix of a convolution, with a
 * per-input-channel scale folded in (a normalisation); `zeros`: fraction of
 * kernel weights that are exactly 0 (pruned).
 */
function convMatrix(c: Conv, rng: () => number, zeros = 0): { W: Float64Array; rows: number; cols: number; ho: number; wo: number } {
  const ho = Math.floor((c.h + 2 * c.pad - c.k) / c.stride) + 1;
  const wo = Math.floor((c.w + 2 * c.pad - c.k) / c.stride) + 1;
  const kernel = Float64Array.from({ length: c.cout * c.cin * c.k * c.k }, () => (rng() < zeros ? 0 : rng() - 0.5));
  const scale = Float64Array.from({ length: c.cin }, () => 0.5 + rng());
  const rows = c.cout * ho * wo;
  const cols = c.cin * c.h * c.w;
  const W = new Float64Array(rows * cols);
  for (let o = 0; o < c.cout; o++)
    for (let y = 0; y < ho; y++)
      for (let x = 0; x < wo; x++)
        for (let i = 0; i < c.cin; i++)
          for (let dy = 0; dy < c.k; dy++)
            for (let dx = 0; dx < c.k; dx++) {
              const iy = y * c.stride + dy - c.pad;
              const ix = x * c.stride + dx - c.pad;
              if (iy < 0 || ix < 0 || iy >= c.h || ix >= c.w) continue;
              W[(o * ho * wo + y * wo + x) * cols + i * c.h * c.w + iy * c.w + ix] = kernel[((o * c.cin + i) * c.k + dy) * c.k + dx] * scale[i];
            }
  return { W, rows, cols, ho, wo };
}

function randomRows(rng: () => number, R: number, n: number): Float64Array {
  // Zeros as inactive ReLUs leave them.
  return Float64Array.from({ length: R * n }, () => (rng() < 0.3 ? 0 : rng() * 4 - 2));
}

function assertClose(got: Float64Array, want: Float64Array, label: string): void {
  assert.equal(got.length, want.length, label);
  for (let i = 0; i < want.length; i++) {
    assert.ok(Math.abs(got[i] - want[i]) <= 1e-12 * (1 + Math.abs(want[i])), `${label}[${i}]: ${got[i]} vs ${want[i]}`);
  }
}

function absCsr(c: Csr): Csr {
  return { ...c, val: c.val.map(Math.abs) };
}

test('stencil: a convolution (stride 2, padding, folded scale) repeats its kernel block, and every product equals the CSR one', async () => {
  const rng = makeRng(11);
  for (const c of [
    { cin: 3, h: 12, w: 12, cout: 5, k: 4, stride: 2, pad: 1 },
    { cin: 2, h: 9, w: 11, cout: 4, k: 3, stride: 1, pad: 1 },
    { cin: 4, h: 10, w: 10, cout: 3, k: 3, stride: 1, pad: 0 },
    { cin: 2, h: 8, w: 8, cout: 3, k: 3, stride: 1, pad: 1 },
  ]) {
    const { W, rows, cols, ho, wo } = convMatrix(c, rng);
    const csr = csrFromDense(W, rows, cols);
    const st = findStencil(csr, rows, cols);
    assert.ok(st, `${JSON.stringify(c)}: a stencil`);
    // Interior positions (full receptive field) form one class holding all output channels.
    const inner = (nOut: number, nIn: number) => {
      let m = 0;
      for (let y = 0; y < nOut; y++) if (y * c.stride - c.pad >= 0 && y * c.stride - c.pad + c.k <= nIn) m++;
      return m;
    };
    const interior = inner(ho, c.h) * inner(wo, c.w);
    const big = st.classes.reduce((a, b) => (b.members > a.members ? b : a));
    assert.equal(big.members, interior, 'one class of all interior positions');
    assert.equal(big.c, c.cout);
    assert.equal(big.w, c.cin * c.k * c.k);
    const covered = st.classes.reduce((s, cl) => s + cl.members * cl.c * cl.w, 0);
    assert.equal(covered + st.restNnz, csr.val.length, 'classes and rest hold every nonzero once');
    // Positions alone in their shape (the corners of a padded convolution) get a class of their own when
    // their block has MIN_LONE_ROWS rows; smaller ones stay in CSR.
    if (c.cout >= MIN_LONE_ROWS) assert.equal(st.restNnz, 0, `${JSON.stringify(c)}: every position in a class`);
    else if (c.pad > 0) assert.ok(st.restNnz > 0, `${JSON.stringify(c)}: the corners stay in CSR`);
    await assertProductsMatch(st, csr, rows, cols, rng);
  }
});

async function assertProductsMatch(st: Stencil, csr: Csr, rows: number, cols: number, rng: () => number): Promise<void> {
  const t = transposeCsr(csr, rows, cols);
  for (const R of [1, 3, 40]) {
    const G = randomRows(rng, R, rows);
    const X = randomRows(rng, R, cols);
    assertClose(await stencilBackward(st, G, R), denseTimesCsr(G, csr, R, rows, cols), `G·M R=${R}`);
    assertClose(await stencilForward(st, X, R), denseTimesCsr(X, t, R, cols, rows), `X·Mᵀ R=${R}`);
    assertClose(await stencilForward(st, X, R, true), denseTimesCsr(X, absCsr(t), R, cols, rows), `X·|M|ᵀ R=${R}`);
  }
}

test('stencil: a wide convolution multiplies its large blocks in im2col form and its small border blocks in the kernel, with the CSR products', async () => {
  const rng = makeRng(15);
  // Interior block 32 x 36 (>= IM2COL_MIN_DIM both ways); edge blocks 32 x 24 and corners 32 x 16 stay in the kernel.
  const { W, rows, cols } = convMatrix({ cin: 4, h: 8, w: 8, cout: IM2COL_MIN_DIM, k: 3, stride: 1, pad: 1 }, rng);
  const csr = csrFromDense(W, rows, cols);
  const st = findStencil(csr, rows, cols);
  assert.ok(st, 'a stencil');
  assert.ok(st.classes.some((cl) => cl.im2col) && st.classes.some((cl) => !cl.im2col), 'both forms in one product');
  for (const cl of st.classes) assert.equal(cl.im2col, Math.min(cl.c, cl.w) >= IM2COL_MIN_DIM);
  await assertProductsMatch(st, csr, rows, cols, rng);
});

test('stencil: a pruned convolution (kernel weights exactly 0: channels differ in their column sets) still gives the CSR products', async () => {
  const rng = makeRng(14);
  const { W, rows, cols } = convMatrix({ cin: 3, h: 12, w: 12, cout: 5, k: 4, stride: 2, pad: 1 }, rng, 0.1);
  const csr = csrFromDense(W, rows, cols);
  const st = findStencil(csr, rows, cols);
  assert.ok(st, 'each channel repeats its own block');
  await assertProductsMatch(st, csr, rows, cols, rng);
});

test('stencil: a sparse matrix whose rows repeat no block is refused', () => {
  const rng = makeRng(12);
  const rows = 300;
  const cols = 400;
  const W = Float64Array.from({ length: rows * cols }, () => (rng() < 0.03 ? rng() - 0.5 : 0));
  assert.equal(findStencil(csrFromDense(W, rows, cols), rows, cols), null);
});

test('stencil: the layer products of src/network/linear.ts use it on a large convolution layer and give the CSR numbers', async () => {
  const rng = makeRng(13);
  const { W, rows, cols } = convMatrix({ cin: 4, h: 24, w: 24, cout: 16, k: 3, stride: 1, pad: 1 }, rng);
  const csr = csrFromDense(W, rows, cols);
  const layer = sparseLayer({ inDim: cols, outDim: rows, csr, b: new Float64Array(rows) });
  assert.ok(layerStencil(layer), 'the layer has a stencil');
  const t = transposeCsr(csr, rows, cols);
  const R = 24;
  const G = randomRows(rng, R, rows);
  const X = randomRows(rng, R, cols);
  assertClose(await backwardProduct(layer, G, R), denseTimesCsr(G, csr, R, rows, cols), 'backwardProduct');
  assertClose(await forwardProduct(layer, X, R), denseTimesCsr(X, t, R, cols, rows), 'forwardProduct');
  assertClose(await absForwardProduct(layer, X, R), denseTimesCsr(X, absCsr(t), R, cols, rows), 'absForwardProduct');
});
