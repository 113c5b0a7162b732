import { test } from 'node:test';
import assert from 'node:assert/strict';
import { OnnxBuilder } from '../helpers/onnx-builder.js';
import { checkOp, rnd } from '../helpers/op-check.js';
import { OnnxError } from '../../src/onnx/index.js';
import { lowerToLayered } from '../../src/network/lower.js';

test('Softmax evaluates like onnxruntime (default and explicit axis); lowering gives the reason', async () => {
  const b = new OnnxBuilder({ opset: 13 })
    .input('x', [1, 4])
    .init('W', rnd(1, 4 * 5, -3, 3), [4, 5])
    .node('MatMul', ['x', 'W'], ['m'])
    .node('Softmax', ['m'], ['y'], {}, 'probs')
    .output('y');
  const c = await checkOp(b.build(), 'softmax', { lower: false });
  assert.throws(() => lowerToLayered(c.graph), (e: unknown) => e instanceof OnnxError && /'probs'/.test(e.message) && /Softmax is not piecewise linear/.test(e.message));
  const ax = new OnnxBuilder({ opset: 13 }).input('x', [2, 3, 4]).node('Softmax', ['x'], ['y'], { axis: 1 }).output('y');
  await checkOp(ax.build(), 'softmax-axis1', { lower: false, lo: -5, hi: 5 });
});

test('Softmax before opset 13: the input as a matrix from axis on (default axis 1)', async () => {
  for (const attrs of [{}, { axis: 2 }, { axis: 0 }] as Record<string, number>[]) {
    const b = new OnnxBuilder({ opset: 11 }).input('x', [2, 3, 4]).node('Softmax', ['x'], ['y'], attrs).output('y');
    await checkOp(b.build(), `softmax-11 ${JSON.stringify(attrs)}`, { lower: false, lo: -5, hi: 5 });
  }
});
