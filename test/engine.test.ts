/**
 * End to end through the real pipeline (ONNX bytes -> loader -> lowering,
 * VNN-LIB text -> parser -> canonical problem -> attacks, bounds, branch and
 * bound -> counterexample checked by onnxruntime on the original model),
 * with the exact MIP on the lowered network as ground truth.
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

const tmp = mkdtempSync(join(tmpdir(), 'verify-engine-'));
const log = pino({ level: 'silent' });
const options = (seconds: number, extra: Partial<EngineOptions> = {}): EngineOptions => ({
  ...DEFAULT_ENGINE_OPTIONS,
  deadline: performance.now() + seconds * 1000,
  ...extra,
});

function box(n: number, rng: () => number, radius: number): { lower: number[]; upper: number[] } {
  const c = Array.from({ length: n }, () => rng() * 2 - 1);
  return { lower: c.map((v) => v - radius), upper: c.map((v) => v + radius) };
}

function inputAsserts(lower: number[], upper: number[]): string {
  return lower.map((l, i) => `(assert (>= X_${i} ${l}))\n(assert (<= X_${i} ${upper[i]}))`).join('\n');
}

function declarations(nIn: number, nOut: number): string {
  return [...Array.from({ length: nIn }, (_, i) => `(declare-const X_${i} Real)`), ...Array.from({ length: nOut }, (_, j) => `(declare-const Y_${j} Real)`)].join('\n');
}

/** Robustness-style property: unsafe iff some other output reaches output `label` (9 disjuncts for 10 classes). */
function robustness(nIn: number, nOut: number, label: number, lower: number[], upper: number[], margin: number): string {
  const others = Array.from({ length: nOut }, (_, j) => j).filter((j) => j !== label);
  const dnf = others.map((j) => `(and (>= (+ Y_${j} ${margin}) Y_${label}))`).join(' ');
  return `${declarations(nIn, nOut)}\n${inputAsserts(lower, upper)}\n(assert (or ${dnf}))\n`;
}

/** Exact min over the box of min_j (y_label - y_j - margin): the property holds iff it is > 0. */
async function exactRobustMargin(bytes: Uint8Array, nOut: number, label: number, lower: number[], upper: number[], margin: number) {
  const net = lowerToLayered(loadOnnx(bytes, 'test.onnx'));
  let best = Infinity;
  for (let j = 0; j < nOut; j++) {
    if (j === label) continue;
    const C = new Float64Array(nOut);
    C[label] = 1;
    C[j] = -1;
    const folded = foldOutputRows(net, C, Float64Array.of(margin));
    const r = await exactMinimum(folded, Float64Array.from(lower), Float64Array.from(upper), [0]);
    assert.equal(r.status, 'optimal');
    best = Math.min(best, r.value);
  }
  return best;
}

for (const seed of [1, 2, 3, 4, 5, 6]) {
  test(`random FC network, robustness property, answer matches the exact MIP (seed ${seed})`, async () => {
    const rng = mulberry32(seed);
    const sizes = [6, 16, 16, 4];
    const bytes = randomFcOnnx({ seed, sizes, style: seed % 2 ? 'gemm' : 'matmul' });
    const onnx = join(tmp, `fc${seed}.onnx`);
    writeFileSync(onnx, bytes);
    const { lower, upper } = box(6, rng, 0.15);
    // Label = the class the network picks at the box centre; margin makes it non-trivial.
    const ref = await ReferenceModel.create(bytes);
    const y = await ref.run(Float64Array.from(lower, (l, i) => 0.5 * (l + upper[i])));
    const label = y.indexOf(Math.max(...y));
    for (const margin of [0, 0.3]) {
      const vnnlib = join(tmp, `fc${seed}-${margin}.vnnlib`);
      writeFileSync(vnnlib, robustness(6, 4, label, lower, upper, margin));
      const truth = await exactRobustMargin(bytes, 4, label, lower, upper, margin);
      // Seeds 5 and 6 also go through the exact-MIP complete path (--bounder mip).
      for (const bounder of seed >= 5 ? (['auto', 'mip'] as const) : (['auto'] as const)) {
        const out = await runInstance(onnx, vnnlib, options(60, { bounder }), log);
        if (truth > 1e-4) assert.equal(out.verdict, 'unsat', `${bounder}: exact margin ${truth}`);
        else if (truth < -1e-4) assert.equal(out.verdict, 'sat', `${bounder}: exact margin ${truth}`);
        else assert.ok(['sat', 'unsat', 'unknown', 'timeout'].includes(out.verdict));
        if (out.verdict === 'sat') {
          // The reported outputs are onnxruntime's, and they reach the unsafe set.
          const { x, y: yc } = out.counterexample;
          x.forEach((v, i) => assert.ok(v >= lower[i] && v <= upper[i]));
          assert.deepEqual(Array.from(await ref.run(x)), Array.from(yc));
          assert.ok(yc.some((v, j) => j !== label && v + margin >= yc[label]));
        }
      }
    }
  });
}

test('incomplete mode never contradicts the exact answer, and proves what it should', async () => {
  let unsatCases = 0;
  for (const seed of [11, 12, 13]) {
    const rng = mulberry32(seed);
    const bytes = randomFcOnnx({ seed, sizes: [5, 12, 12, 3] });
    const onnx = join(tmp, `inc${seed}.onnx`);
    writeFileSync(onnx, bytes);
    const ref = await ReferenceModel.create(bytes);
    // Label = the centre's class: small boxes are robust (unsat), large ones are not.
    for (const radius of [0.02, 0.3]) {
      const { lower, upper } = box(5, rng, radius);
      const y = await ref.run(Float64Array.from(lower, (l, i) => 0.5 * (l + upper[i])));
      const label = y.indexOf(Math.max(...y));
      const vnnlib = join(tmp, `inc${seed}-${radius}.vnnlib`);
      writeFileSync(vnnlib, robustness(5, 3, label, lower, upper, 0));
      const truth = await exactRobustMargin(bytes, 3, label, lower, upper, 0);
      if (truth > 1e-3) unsatCases++;
      for (const bounder of ['ibp', 'crown', 'alpha', 'symbolic', 'lp', 'mip'] as const) {
        const out = await runInstance(onnx, vnnlib, options(30, { mode: 'incomplete', bounder }), log);
        if (out.verdict === 'unsat') assert.ok(truth > 0, `${bounder} said unsat, exact margin ${truth}`);
        if (out.verdict === 'sat') assert.ok(truth <= 0, `${bounder} said sat, exact margin ${truth}`);
        // One row per disjunct here, so the per-row MIP bound is exact.
        if (bounder === 'mip' && truth > 1e-3) assert.equal(out.verdict, 'unsat', `mip: exact margin ${truth}`);
      }
    }
  }
  assert.ok(unsatCases >= 2, `only ${unsatCases} robust cases: the test would not exercise unsat`);
});

test('convolutional network: unsat and sat thresholds decided correctly', async () => {
  const bytes = randomConvOnnx({ seed: 5, inputShape: [1, 1, 6, 6], convs: [{ out: 2, k: 3 }], fc: [8, 3] });
  const onnx = join(tmp, 'conv.onnx');
  writeFileSync(onnx, bytes);
  const rng = mulberry32(5);
  const { lower, upper } = box(36, rng, 0.02);
  const truth = await exactRobustMargin(bytes, 3, 0, lower, upper, 0);
  // Shift the property so that it is safe by 0.05, then unsafe by 0.05.
  for (const [shift, expected] of [
    [truth - 0.05, 'unsat'],
    [truth + 0.05, 'sat'],
  ] as const) {
    const vnnlib = join(tmp, `conv-${expected}.vnnlib`);
    writeFileSync(vnnlib, robustness(36, 3, 0, lower, upper, shift));
    const out = await runInstance(onnx, vnnlib, options(60), log);
    assert.equal(out.verdict, expected, `exact margin ${truth}, shift ${shift}`);
  }
});

test('several input boxes: sat when only the second box reaches the unsafe set', async () => {
  const bytes = randomFcOnnx({ seed: 21, sizes: [3, 10, 2] });
  const onnx = join(tmp, 'boxes.onnx');
  writeFileSync(onnx, bytes);
  const ref = await ReferenceModel.create(bytes);
  const yA = await ref.run(Float64Array.of(-0.5, -0.5, -0.5));
  const yB = await ref.run(Float64Array.of(0.5, 0.5, 0.5));
  // Threshold between the two boxes' centre values of Y_0, with both tiny boxes.
  const t = 0.5 * (yA[0] + yB[0]);
  const low = yA[0] < yB[0] ? [-0.5, -0.5, -0.5] : [0.5, 0.5, 0.5];
  const high = yA[0] < yB[0] ? [0.5, 0.5, 0.5] : [-0.5, -0.5, -0.5];
  const boxText = (c: number[]) => `(and ${c.map((v, i) => `(>= X_${i} ${v - 1e-4}) (<= X_${i} ${v + 1e-4})`).join(' ')})`;
  const vnnlib = join(tmp, 'boxes.vnnlib');
  // Unsafe: Y_0 >= t. The low box stays below t, the high box is above it.
  writeFileSync(vnnlib, `${declarations(3, 2)}\n(assert (or ${boxText(low)} ${boxText(high)}))\n(assert (>= Y_0 ${t}))\n`);
  const out = await runInstance(onnx, vnnlib, options(30), log);
  assert.equal(out.verdict, 'sat');
  if (out.verdict === 'sat') assert.equal(out.counterexample.region, 1);
});
