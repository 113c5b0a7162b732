/**
 * Regressions of wrong or missing answers on degenerate boxes (issue 11):
 * inputs fixed to float64 values that are not float32 (lower == upper), or
 * intervals narrower than a float32 ulp, on networks whose activations are
 * large. Ground truth is the exact MIP on the lowered network.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { exactMinimum } from '../src/bounds/mip.js';
import { DEFAULT_ENGINE_OPTIONS, type EngineOptions } from '../src/engine/options.js';
import { runInstance } from '../src/engine/run-instance.js';
import { loadOnnx } from '../src/onnx/load.js';
import { ReferenceModel } from '../src/onnx/reference.js';
import { foldOutputRows } from '../src/network/layered.js';
import { lowerToLayered } from '../src/network/lower.js';
import { mulberry32 } from '../src/attack/rng.js';
import { randomConvOnnx, randomFcOnnx } from './helpers/random-onnx.js';

const tmp = mkdtempSync(join(tmpdir(), 'verify-soundness-'));
const log = pino({ level: 'silent' });
const options = (seconds: number, extra: Partial<EngineOptions> = {}): EngineOptions => ({
  ...DEFAULT_ENGINE_OPTIONS,
  threads: 1,
  deadline: performance.now() + seconds * 1000,
  ...extra,
});

/** A float64 value near v that is not a float32 value. */
function notFloat32(v: number): number {
  const w = v + 1e-9 * (1 + Math.abs(v)) * 0.37;
  assert.notEqual(Math.fround(w), w);
  return w;
}

/** Box with `free` varying dimensions (width 2r) and the rest fixed to non-float32 values. */
function degenerateBox(n: number, free: number, r: number, rng: () => number, scale = 1): { lower: number[]; upper: number[] } {
  const lower: number[] = [];
  const upper: number[] = [];
  for (let i = 0; i < n; i++) {
    const c = notFloat32(scale * (rng() * 2 - 1));
    if (i < free) {
      lower.push(c - r);
      upper.push(c + r);
    } else {
      lower.push(c);
      upper.push(c);
    }
  }
  return { lower, upper };
}

function vnnlib(lower: number[], upper: number[], nOut: number, output: string): string {
  const decl = [...lower.map((_, i) => `(declare-const X_${i} Real)`), ...Array.from({ length: nOut }, (_, j) => `(declare-const Y_${j} Real)`)];
  const box = lower.map((l, i) => `(assert (>= X_${i} ${l}))\n(assert (<= X_${i} ${upper[i]}))`);
  return `${decl.join('\n')}\n${box.join('\n')}\n${output}\n`;
}

async function exactMinY0(bytes: Uint8Array, lower: number[], upper: number[]): Promise<number> {
  const net = lowerToLayered(loadOnnx(bytes, 'net.onnx'));
  const C = new Float64Array(net.outputDim);
  C[0] = 1;
  const folded = foldOutputRows(net, C, Float64Array.of(0));
  const res = await exactMinimum(folded, Float64Array.from(lower), Float64Array.from(upper), [0], { timeLimit: 60 });
  assert.equal(res.status, 'optimal');
  return res.value;
}

test('large activations on a degenerate box: never unsat below the true minimum, sat with a checked point', async () => {
  // Weights of scale 3 over 60 inputs give pre-activations in the thousands
  // that cancel to outputs in the hundreds: rounding of 1e-9 relative there
  // once made a domain look empty.
  let decided = 0;
  for (const seed of [1, 2, 3, 4]) {
    const bytes = randomFcOnnx({ seed, sizes: [60, 24, 24, 2], scale: 3 });
    const onnx = join(tmp, `big${seed}.onnx`);
    writeFileSync(onnx, bytes);
    const rng = mulberry32(100 + seed);
    const { lower, upper } = degenerateBox(60, 3, 0.05, rng, 40);
    const min = await exactMinY0(bytes, lower, upper);
    for (const [t, expected] of [
      [min + 1e-3 * (1 + Math.abs(min)), 'sat'],
      [min - 1e-3 * (1 + Math.abs(min)), 'unsat'],
    ] as const) {
      const file = join(tmp, `big${seed}-${expected}.vnnlib`);
      // Unsafe: Y_0 <= t.
      writeFileSync(file, vnnlib(lower, upper, 2, `(assert (<= Y_0 ${t}))`));
      for (const branching of ['relu', 'input'] as const) {
        const out = await runInstance(onnx, file, options(20, { branching }), log);
        assert.notEqual(out.verdict, expected === 'sat' ? 'unsat' : 'sat', `seed ${seed} ${branching}: min ${min}, threshold ${t}`);
        if (out.verdict === expected) decided++;
        if (out.verdict === 'sat') {
          const ref = await ReferenceModel.create(bytes);
          const y = await ref.run(out.counterexample.x);
          assert.ok(y[0] <= t);
        }
      }
    }
  }
  assert.ok(decided >= 12, `only ${decided} of 16 decided`);
});

test('all but three inputs fixed to non-float32 values: sat with the nearest float32 point, refused with --strict-box', async () => {
  const bytes = randomFcOnnx({ seed: 7, sizes: [100, 16, 16, 3] });
  const onnx = join(tmp, 'mnistlike.onnx');
  writeFileSync(onnx, bytes);
  const { lower, upper } = degenerateBox(100, 3, 0.03, mulberry32(7), 1);
  const file = join(tmp, 'mnistlike.vnnlib');
  writeFileSync(file, vnnlib(lower, upper, 3, '(assert (<= Y_0 1000))'));
  const out = await runInstance(onnx, file, options(20), log);
  assert.equal(out.verdict, 'sat');
  if (out.verdict !== 'sat') return;
  const { x, y } = out.counterexample;
  assert.equal(out.counterexample.outsideBox, 97);
  x.forEach((v, i) => {
    assert.equal(Math.fround(v), v, 'float32 point');
    if (i < 3) assert.ok(v >= lower[i] && v <= upper[i]);
    else assert.ok(Math.abs(v - lower[i]) <= 1e-4 && Math.abs(v - lower[i]) <= Math.abs(Math.fround(lower[i]) - lower[i]) * 2 + Number.EPSILON);
  });
  const ref = await ReferenceModel.create(bytes);
  assert.deepEqual(Array.from(await ref.run(x)), Array.from(y));
  const strict = await runInstance(onnx, file, options(3, { strictBox: true, mode: 'incomplete' }), log);
  assert.notEqual(strict.verdict, 'sat');
  assert.notEqual(strict.verdict, 'unsat');
});

test('conv network with large activations, degenerate box: the exact answer or no answer', async () => {
  const bytes = randomConvOnnx({ seed: 9, inputShape: [1, 1, 8, 8], convs: [{ out: 4, k: 3 }, { out: 4, k: 3 }], fc: [10, 2], gain: 4 });
  const onnx = join(tmp, 'bigconv.onnx');
  writeFileSync(onnx, bytes);
  const { lower, upper } = degenerateBox(64, 4, 0.05, mulberry32(9), 30);
  const min = await exactMinY0(bytes, lower, upper);
  let decided = 0;
  for (const [t, expected] of [
    [min + 1e-3 * (1 + Math.abs(min)), 'sat'],
    [min - 1e-3 * (1 + Math.abs(min)), 'unsat'],
  ] as const) {
    const file = join(tmp, `bigconv-${expected}.vnnlib`);
    writeFileSync(file, vnnlib(lower, upper, 2, `(assert (<= Y_0 ${t}))`));
    for (const bounder of ['auto', 'crown', 'alpha', 'mip'] as const) {
      const out = await runInstance(onnx, file, options(20, { bounder, branching: 'relu' }), log);
      assert.notEqual(out.verdict, expected === 'sat' ? 'unsat' : 'sat', `${bounder}: min ${min}, threshold ${t}`);
      if (out.verdict === expected) decided++;
    }
  }
  assert.ok(decided >= 6, `only ${decided} of 8 decided`);
});
