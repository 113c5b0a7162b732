/**
 * Lowering with inputs the property fixes (LowerOptions.fixedInputs): a
 * product or quotient of network values that involves only fixed inputs (a
 * mask, a count) becomes linear, the lowered net equals the model wherever
 * the fixed inputs hold their values, and without fixing the same model is
 * refused with the reason.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { evaluateGraph } from '../src/ir/evaluate.js';
import { forward } from '../src/network/layered.js';
import { lowerToLayered } from '../src/network/lower.js';
import { loadOnnx } from '../src/onnx/load.js';
import { OnnxError } from '../src/onnx/errors.js';
import { OnnxBuilder } from './helpers/onnx-builder.js';
import { makeRng } from './helpers/random-net.js';

/** x = [features (4), mask (4)]: y = W·relu(features * mask) / sum(mask), then relu and a sigmoid head (the MSCN pattern). */
function maskedModel(): Uint8Array {
  const rng = makeRng(4);
  const w = Array.from({ length: 4 * 3 }, () => rng() * 2 - 1);
  return new OnnxBuilder({ opset: 13 })
    .input('x', [1, 8])
    .init('sp', [4, 4], [2], 'int64')
    .node('Split', ['x', 'sp'], ['f', 'm'], { axis: 1 })
    .node('Mul', ['f', 'm'], ['fm'])
    .node('Relu', ['fm'], ['r'])
    .init('W', w, [4, 3])
    .node('MatMul', ['r', 'W'], ['h'])
    .init('ax', [1], [1], 'int64')
    .node('ReduceSum', ['m', 'ax'], ['cnt'], { keepdims: 1 })
    .node('Div', ['h', 'cnt'], ['avg'])
    .node('Relu', ['avg'], ['a'])
    .node('Sigmoid', ['a'], ['y'])
    .output('y')
    .build();
}

test('fixed mask: Mul and Div of network values lower, and the net equals the model where the mask holds', () => {
  const graph = loadOnnx(maskedModel(), 'masked.onnx');
  assert.throws(() => lowerToLayered(graph), (e: unknown) => e instanceof OnnxError && /product of two network values/.test(e.message));
  const mask = [1, 0, 1, 1];
  const fixed = new Map(mask.map((v, i) => [4 + i, v] as const));
  const net = lowerToLayered(graph, { fixedInputs: fixed });
  const rng = makeRng(8);
  for (let s = 0; s < 50; s++) {
    const x = Float64Array.from({ length: 8 }, (_, i) => (i < 4 ? rng() * 4 - 2 : mask[i - 4]));
    const a = evaluateGraph(graph, x);
    const b = forward(net, x);
    for (let j = 0; j < 3; j++) assert.ok(Math.abs(a[j] - b[j]) < 1e-12, `output ${j}: ${a[j]} vs ${b[j]}`);
  }
  // Fixed inputs get zero weights: moving them does not move the lowered net (it is only valid where they hold).
  const x = Float64Array.from([0.3, -0.2, 1.1, 0.7, 1, 0, 1, 1]);
  const moved = x.slice();
  moved[5] = 1;
  assert.deepEqual(forward(net, moved), forward(net, x));
  assert.notDeepEqual(evaluateGraph(graph, moved), evaluateGraph(graph, x));
});

test('everything fixed: the whole network folds to constants', () => {
  const graph = loadOnnx(maskedModel(), 'masked.onnx');
  const x = [0.5, -1, 2, 0.25, 1, 1, 0, 1];
  const net = lowerToLayered(graph, { fixedInputs: new Map(x.map((v, i) => [i, v] as const)) });
  const y = forward(net, Float64Array.from(x));
  const e = evaluateGraph(graph, Float64Array.from(x));
  for (let j = 0; j < 3; j++) assert.ok(Math.abs(y[j] - e[j]) < 1e-12);
});

test('verify: a masked model whose property fixes the mask is lowered per region and decided (sat and unsat)', async () => {
  const { mkdtempSync, writeFileSync } = await import('node:fs');
  const { tmpdir } = await import('node:os');
  const { join } = await import('node:path');
  const pino = (await import('pino')).default;
  const { loadProblem } = await import('../src/engine/load-problem.js');
  const { runInstance } = await import('../src/engine/run-instance.js');
  const { DEFAULT_ENGINE_OPTIONS } = await import('../src/engine/options.js');
  const dir = mkdtempSync(join(tmpdir(), 'verify-fixed-'));
  const onnx = join(dir, 'masked.onnx');
  writeFileSync(onnx, maskedModel());
  const graph = loadOnnx(maskedModel(), onnx);
  const mask = [1, 1, 0, 1];
  const lower = [-1, -0.5, 0, 0.2];
  const upper = [0.5, 1, 0.3, 1];
  let min = Infinity;
  const rng = makeRng(2);
  for (let s = 0; s < 4000; s++) {
    const x = Float64Array.from({ length: 8 }, (_, i) => (i < 4 ? (s % 4 === 0 ? (rng() < 0.5 ? lower[i] : upper[i]) : lower[i] + (upper[i] - lower[i]) * rng()) : mask[i - 4]));
    min = Math.min(min, evaluateGraph(graph, x)[0]);
  }
  const decl = [...Array.from({ length: 8 }, (_, i) => `(declare-const X_${i} Real)`), ...[0, 1, 2].map((j) => `(declare-const Y_${j} Real)`)].join('\n');
  const box = Array.from({ length: 8 }, (_, i) => (i < 4 ? [lower[i], upper[i]] : [mask[i - 4], mask[i - 4]])).map(([l, u], i) => `(assert (>= X_${i} ${l}))\n(assert (<= X_${i} ${u}))`).join('\n');
  const log = pino({ level: 'silent' });
  for (const [t, expected] of [[min - 0.01, 'unsat'], [min + 0.002, 'sat']] as const) {
    const vnnlib = join(dir, `${expected}.vnnlib`);
    writeFileSync(vnnlib, `${decl}\n${box}\n(assert (<= Y_0 ${t}))\n`);
    const loaded = loadProblem(onnx, vnnlib);
    assert.equal(loaded.kind, 'lowered');
    assert.ok(loaded.transforms.some((l) => /fixes as constants \(4 fixed\)/.test(l)), loaded.transforms.join('; '));
    const out = await runInstance(onnx, vnnlib, { ...DEFAULT_ENGINE_OPTIONS, deadline: performance.now() + 20_000 }, log);
    assert.equal(out.verdict, expected, `sampled min ${min}, threshold ${t}`);
  }
});
