/**
 * The fused class products in WebAssembly (src/tensor/class-kernel.ts): every width the kernel's loops
 * split differently (blocks of eight outputs, pairs, an odd last one), adding and overwriting, rows in
 * several chunks, against plain loops; and the embedded module is the compiled stencil-kernel.wat.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { classProducts, type ClassOperands } from '../src/tensor/class-kernel.js';
import { STENCIL_KERNEL_BASE64 } from '../src/tensor/stencil-kernel.js';
import { compileKernel, WAT_PATH } from '../scripts/build-wasm.js';
import { makeRng } from './helpers/random-net.js';

/** A class of `members` members with distinct output indices per member (outputs of different members may coincide). */
function randomClass(rng: () => number, members: number, fw: number, tw: number, srcCols: number, outCols: number, distinctOut: boolean, used: Set<number>): ClassOperands {
  const from = new Int32Array(members * fw);
  const to = new Int32Array(members * tw);
  for (let g = 0; g < members; g++) {
    for (let q = 0; q < fw; q++) from[g * fw + q] = Math.floor(rng() * srcCols);
    const mine = new Set<number>();
    for (let t = 0; t < tw; t++) {
      let j: number;
      do j = Math.floor(rng() * outCols);
      while (mine.has(j) || (distinctOut && used.has(j)));
      mine.add(j);
      used.add(j);
      to[g * tw + t] = j;
    }
  }
  const op = Float64Array.from({ length: fw * tw }, () => rng() * 2 - 1);
  return { members, from, fw, to, tw, op };
}

function reference(classes: readonly ClassOperands[], src: Float64Array, srcCols: number, out: Float64Array, outCols: number, R: number, add: boolean): void {
  for (let r = 0; r < R; r++) {
    for (const cl of classes) {
      for (let g = 0; g < cl.members; g++) {
        for (let t = 0; t < cl.tw; t++) {
          let s = 0;
          for (let q = 0; q < cl.fw; q++) s += src[r * srcCols + cl.from[g * cl.fw + q]] * cl.op[q * cl.tw + t];
          const o = r * outCols + cl.to[g * cl.tw + t];
          out[o] = add ? out[o] + s : s;
        }
      }
    }
  }
}

test('class kernel: every output width (blocks of 8, pairs, odd tails), adding or overwriting, in chunks, equals plain loops', () => {
  const rng = makeRng(11);
  const srcCols = 37;
  const outCols = 400;
  const R = 9;
  for (const [fw, tw] of [[1, 1], [3, 2], [8, 48], [48, 8], [5, 17], [16, 27], [2, 9], [7, 15]]) {
    for (const add of [true, false]) {
      const used = new Set<number>();
      const classes = [randomClass(rng, 3, fw, tw, srcCols, outCols, !add, used), randomClass(rng, 1, tw, fw, srcCols, outCols, !add, used)];
      const src = Float64Array.from({ length: R * srcCols }, () => rng() * 2 - 1);
      const init = Float64Array.from({ length: R * outCols }, () => (add ? rng() : 0));
      const want = init.slice();
      reference(classes, src, srcCols, want, outCols, R, add);
      for (const chunk of [1 << 24, 8 * (srcCols + outCols) * 2, 1]) {
        const got = init.slice();
        // A fresh output (zeros) may skip being copied in: outZero.
        classProducts(classes, src, srcCols, got, outCols, R, add, !add && chunk === 1, chunk);
        for (let i = 0; i < want.length; i++) {
          const tol = 1e-12 * (1 + Math.abs(want[i]));
          assert.ok(Math.abs(got[i] - want[i]) <= tol, `fw=${fw} tw=${tw} add=${add} chunk=${chunk} entry ${i}: ${got[i]} vs ${want[i]}`);
        }
      }
    }
  }
});

test('class kernel: outputs outside the classes are left as they were; a NaN input makes its outputs NaN', () => {
  const rng = makeRng(3);
  const cl = randomClass(rng, 2, 4, 8, 10, 50, true, new Set());
  const src = Float64Array.from({ length: 10 }, () => rng());
  const out = new Float64Array(50).fill(7);
  classProducts([cl], src, 10, out, 50, 1, false);
  const touched = new Set(cl.to);
  for (let j = 0; j < 50; j++) if (!touched.has(j)) assert.equal(out[j], 7, `untouched output ${j}`);
  src[cl.from[0]] = NaN;
  classProducts([cl], src, 10, out, 50, 1, false);
  for (let t = 0; t < 8; t++) assert.ok(Number.isNaN(out[cl.to[t]]), 'a NaN input makes its member outputs NaN');
});

test('class kernel: the embedded module is stencil-kernel.wat compiled (node dist/scripts/build-wasm.js rebuilds it)', async () => {
  assert.equal(STENCIL_KERNEL_BASE64, await compileKernel(readFileSync(WAT_PATH, 'utf8')));
});
