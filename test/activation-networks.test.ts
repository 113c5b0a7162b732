/**
 * Networks with activations other than ReLU (src/network/activations): every
 * general bounder's bounds hold against samples, linear bounds beat
 * intervals, ReLU-only bounders refuse with a reason, the worker pool carries
 * the activations, and `verify` decides sigmoid / tanh ONNX networks
 * end to end (sat validated by onnxruntime, unsat where the sampled minimum
 * is clearly above the threshold).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { alphaBetaCrown, alphaCrown, crown, ibp, symbolic, unsupportedReason, type Bounder } from '../src/bounds/index.js';
import { pooledBounder } from '../src/bounds/pool.js';
import { leakyRelu, relu, sigmoid, sign, tanh, type Activation } from '../src/network/activations/registry.js';
import { forward, isReluNet, type LayeredNet } from '../src/network/layered.js';
import { fromPlainNet, toPlainNet } from '../src/network/transfer.js';
import { DEFAULT_ENGINE_OPTIONS, resolveBounders, type EngineOptions } from '../src/engine/options.js';
import { runInstance } from '../src/engine/run-instance.js';
import { ReferenceModel } from '../src/onnx/reference.js';
import { loadOnnx } from '../src/onnx/load.js';
import { lowerToLayered } from '../src/network/lower.js';
import { assertBoundsHoldOnSamples, batchOf, makeRng, randomBox, randomNet, sampleStats } from './helpers/random-net.js';
import { randomFcOnnx } from './helpers/random-onnx.js';

const SLACK = 1e-9;
const KINDS: [string, Activation[]][] = [
  ['sigmoid', [sigmoid]],
  ['tanh', [tanh]],
  ['sign', [sign]],
  ['leaky relu', [leakyRelu(0.1)]],
  ['mixed', [relu, sigmoid, tanh, leakyRelu(0.2), sign]],
];

function cases(acts: Activation[], seed: number): { net: LayeredNet; boxes: { lower: Float64Array; upper: Float64Array }[] }[] {
  const out = [];
  for (let c = 0; c < 4; c++) {
    const rng = makeRng(seed * 100 + c);
    const n0 = 2 + Math.floor(rng() * 4);
    const dims = [n0, 6 + Math.floor(rng() * 8), 6 + Math.floor(rng() * 8), 3];
    const net = randomNet(rng, dims, { activations: acts, identityFraction: c === 3 ? 0.2 : 0, weightScale: 2 });
    out.push({ net, boxes: [randomBox(rng, n0, 2), randomBox(rng, n0, 0.5), randomBox(rng, n0, 0.05)] });
  }
  return out;
}

const general: Bounder[] = [ibp, crown(), crown({ lowerSlope: 'zero' }), alphaCrown({ iterations: 10 }), symbolic(), alphaBetaCrown({ iterations: 10 })];

for (const [name, acts] of KINDS) {
  test(`${name} networks: every general bounder's output and hidden bounds hold against 4,000 samples`, async () => {
    for (const [ci, { net, boxes }] of cases(acts, name.length).entries()) {
      assert.equal(isReluNet(net), acts.every((a) => a === relu));
      const stats = boxes.map((b) => sampleStats(net, b.lower, b.upper, 4000, makeRng(ci + 7)));
      const batch = batchOf(boxes);
      for (const bounder of general) {
        const res = await bounder.bound(net, batch);
        assert.ok(!res.rowLower.some(Number.isNaN), `${bounder.name}: NaN bound`);
        assertBoundsHoldOnSamples(net, res, stats, `${name} case ${ci} ${bounder.name}`, SLACK);
      }
    }
  });
}

test('sigmoid and tanh networks: CROWN is tighter than IBP, and close to the sampled minimum on small boxes', async () => {
  let crownWins = 0;
  let total = 0;
  let gapSmall = 0;
  for (const acts of [[sigmoid], [tanh]]) {
    for (const { net, boxes } of cases(acts, 3)) {
      const batch = batchOf(boxes);
      const [i, c] = [await ibp.bound(net, batch), await crown().bound(net, batch)];
      const m = net.outputDim;
      for (let q = 0; q < c.rowLower.length; q++) {
        total++;
        if (c.rowLower[q] > i.rowLower[q] + 1e-9) crownWins++;
      }
      // Box 2 is tiny (width <= 0.05): the linear relaxation is nearly exact there.
      const st = sampleStats(net, boxes[2].lower, boxes[2].upper, 2000, makeRng(1));
      for (let r = 0; r < m; r++) gapSmall = Math.max(gapSmall, st.min[r] - c.rowLower[2 * m + r]);
    }
  }
  assert.ok(crownWins >= 0.8 * total, `CROWN beat IBP on ${crownWins} of ${total} rows`);
  assert.ok(gapSmall < 0.05, `CROWN gap to the sampled minimum on tiny boxes: ${gapSmall}`);
});

test('ReLU-only bounders refuse other activations with the reason; automatic choices accept them', () => {
  const net = cases([sigmoid], 9)[0].net;
  for (const name of ['lp', 'mip', 'bigm', 'activeset', 'bddplus'] as const) {
    assert.match(unsupportedReason(name, net) ?? '', /ReLU networks only.*sigmoid/);
  }
  for (const name of ['ibp', 'crown', 'alpha', 'beta', 'symbolic'] as const) assert.equal(unsupportedReason(name, net), undefined);
  assert.throws(() => resolveBounders({ bounder: 'lp', tightBounder: 'none' }, 'relu', net), (e: Error) => e.name === 'UsageError' && /sigmoid/.test(e.message));
  assert.deepEqual(resolveBounders({ bounder: 'auto', tightBounder: 'auto' }, 'relu', net), { bounder: 'beta', tight: undefined });
});

test('activations survive the trip to a bounding thread: pooled bounds equal local ones', async () => {
  const { net, boxes } = cases([relu, sigmoid, tanh, leakyRelu(0.3), sign], 5)[1];
  const plain = fromPlainNet(toPlainNet(net));
  const x = Float64Array.from(boxes[0].lower, (l, i) => 0.5 * (l + boxes[0].upper[i]));
  assert.deepEqual(forward(plain, x), forward(net, x));
  const batch = batchOf([...boxes, ...boxes, ...boxes, ...boxes, ...boxes, ...boxes, ...boxes, ...boxes, ...boxes, ...boxes, ...boxes, ...boxes, ...boxes, ...boxes, ...boxes, ...boxes, ...boxes, ...boxes, ...boxes, ...boxes, ...boxes, ...boxes]);
  const pool = pooledBounder('crown', 2, 'bab');
  try {
    await pool.started();
    const [a, b] = [await pool.bound(net, batch), await crown().bound(net, batch)];
    // Equal up to rounding: a slice's products may be small enough for the TypeScript loop where the whole
    // batch's go to onnxruntime (src/tensor/matmul.ts), which sums in another order.
    assert.equal(a.rowLower.length, b.rowLower.length);
    b.rowLower.forEach((v, i) => assert.ok(Math.abs(v - a.rowLower[i]) <= 1e-9 * (1 + Math.abs(v)), `row ${i}: ${a.rowLower[i]} vs ${v}`));
  } finally {
    await pool.close();
  }
});

const tmp = mkdtempSync(join(tmpdir(), 'verify-activations-'));
const log = pino({ level: 'silent' });
const options = (seconds: number, extra: Partial<EngineOptions> = {}): EngineOptions => ({ ...DEFAULT_ENGINE_OPTIONS, deadline: performance.now() + seconds * 1000, ...extra });

for (const op of ['Sigmoid', 'Tanh']) {
  test(`verify on a ${op} ONNX network: the lowered net matches onnxruntime; sat is validated, unsat proved below the sampled minimum`, async () => {
    const bytes = randomFcOnnx({ seed: 77, sizes: [4, 12, 12, 2], activation: op, scale: 1.2 });
    const onnx = join(tmp, `${op}.onnx`);
    writeFileSync(onnx, bytes);
    const net = lowerToLayered(loadOnnx(bytes, onnx));
    assert.ok(!isReluNet(net));
    const ref = await ReferenceModel.create(bytes);
    const rng = makeRng(3);
    const lower = [-0.3, 0.1, -0.5, 0.2];
    const upper = [0.1, 0.4, -0.1, 0.6];
    let min = Infinity;
    for (let s = 0; s < 3000; s++) {
      // Every fourth sample a corner: minima of monotone activations often sit there.
      const x = Float64Array.from(lower, (l, i) => (s % 4 === 0 ? (rng() < 0.5 ? l : upper[i]) : l + (upper[i] - l) * rng()));
      const y = forward(net, x);
      min = Math.min(min, y[0] - y[1]);
      if (s < 20) {
        const yr = await ref.run(x);
        assert.ok(Math.abs(yr[0] - y[0]) < 1e-5 && Math.abs(yr[1] - y[1]) < 1e-5, 'lowered net differs from onnxruntime');
      }
    }
    const decl = `(declare-const X_0 Real)\n(declare-const X_1 Real)\n(declare-const X_2 Real)\n(declare-const X_3 Real)\n(declare-const Y_0 Real)\n(declare-const Y_1 Real)\n`;
    const box = lower.map((l, i) => `(assert (>= X_${i} ${l}))\n(assert (<= X_${i} ${upper[i]}))`).join('\n');
    for (const [t, expected] of [[min - 0.02, 'unsat'], [min + 0.01, 'sat']] as const) {
      const vnnlib = join(tmp, `${op}-${expected}.vnnlib`);
      // Unsafe: Y_0 - Y_1 <= t.
      writeFileSync(vnnlib, `${decl}${box}\n(assert (<= (- Y_0 Y_1) ${t}))\n`);
      // Input splitting (automatic for 4 inputs) and neuron splitting (splits at 0, then input bisection).
      for (const branching of ['auto', 'relu'] as const) {
        const out = await runInstance(onnx, vnnlib, options(30, { branching }), log);
        assert.equal(out.verdict, expected, `${op} (${branching}): sampled min ${min}, threshold ${t}`);
      }
    }
  });
}

test('never unsat where a sampled point violates: random sigmoid / tanh / leaky / mixed ONNX nets, thresholds just above the sampled minimum', async () => {
  const ops: [string, Record<string, number> | undefined][] = [['Sigmoid', undefined], ['Tanh', undefined], ['LeakyRelu', { alpha: 0.1 }]];
  let sat = 0;
  let runs = 0;
  for (let c = 0; c < 9; c++) {
    const [op, attrs] = ops[c % ops.length];
    const n0 = 2 + (c % 4);
    const bytes = randomFcOnnx({ seed: 500 + c, sizes: [n0, 8, 8, 2], activation: op, activationAttrs: attrs, scale: 1.5 });
    let graph;
    try {
      graph = loadOnnx(bytes, 'fuzz.onnx');
    } catch {
      continue; // an op the loader does not know yet (LeakyRelu before the op registry lands)
    }
    const onnx = join(tmp, `fuzz-${c}.onnx`);
    writeFileSync(onnx, bytes);
    const net = lowerToLayered(graph);
    const rng = makeRng(c);
    const lower = Array.from({ length: n0 }, () => rng() * 2 - 1.5);
    const upper = lower.map((l) => l + 0.2 + rng());
    let min = Infinity;
    for (let s = 0; s < 4000; s++) {
      const x = Float64Array.from(lower, (l, i) => (s % 4 === 0 ? (rng() < 0.5 ? l : upper[i]) : l + (upper[i] - l) * rng()));
      const y = forward(net, x);
      min = Math.min(min, y[0] - y[1]);
    }
    const decl = [...lower.map((_, i) => `(declare-const X_${i} Real)`), '(declare-const Y_0 Real)', '(declare-const Y_1 Real)'].join('\n');
    const box = lower.map((l, i) => `(assert (>= X_${i} ${l}))\n(assert (<= X_${i} ${upper[i]}))`).join('\n');
    const vnnlib = join(tmp, `fuzz-${c}.vnnlib`);
    writeFileSync(vnnlib, `${decl}\n${box}\n(assert (<= (- Y_0 Y_1) ${min + 1e-3}))\n`);
    for (const extra of [{}, { branching: 'relu' as const }, { mode: 'incomplete' as const }]) {
      const out = await runInstance(onnx, vnnlib, options(5, extra), log);
      runs++;
      assert.notEqual(out.verdict, 'unsat', `${op} case ${c} ${JSON.stringify(extra)}: unsat although a sampled point reaches ${min}`);
      if (out.verdict === 'sat') sat++;
    }
  }
  assert.ok(runs >= 18 && sat >= 0.8 * runs, `sat found in ${sat} of ${runs} runs`);
});
