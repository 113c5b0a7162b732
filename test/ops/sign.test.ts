import { test } from 'node:test';
import assert from 'node:assert/strict';
import { OnnxBuilder } from '../helpers/onnx-builder.js';
import { checkOp, rnd } from '../helpers/op-check.js';

test('Sign: shape and evaluation like onnxruntime, lowering through the sign activation', async () => {
  const b = new OnnxBuilder({ opset: 13 })
    .input('x', [1, 4])
    .init('W', rnd(4, 4 * 6), [4, 6])
    .node('MatMul', ['x', 'W'], ['m'])
    .node('Sign', ['m'], ['s'])
    .init('W2', rnd(5, 6 * 3), [6, 3])
    .node('MatMul', ['s', 'W2'], ['y'])
    .output('y');
  const c = await checkOp(b.build(), 'sign', { samples: 10 });
  assert.equal(c.net!.layers[0].act?.kinds[0].key, 'sign');
});

test('Sign of constant weights folds (binarised weights, as in the traffic-sign networks)', async () => {
  const b = new OnnxBuilder({ opset: 13 })
    .input('x', [1, 3])
    .init('W', [0.3, -2, 0, 1, -0.1, 5], [3, 2])
    .node('Sign', ['W'], ['sw'])
    .node('MatMul', ['x', 'sw'], ['y'])
    .output('y');
  const c = await checkOp(b.build(), 'sign-weights');
  assert.equal(c.graph.nodes.length, 1);
});
