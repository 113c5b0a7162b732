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
