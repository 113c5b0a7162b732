import { test } from 'node:test';
import assert from 'node:assert/strict';
import { OnnxBuilder } from '../helpers/onnx-builder.js';
import { checkOp, rnd } from '../helpers/op-check.js';

test('LeakyRelu (alpha default and given): shape and evaluation like onnxruntime, lowering through the activation', async () => {
  for (const alpha of [undefined, 0.2]) {
    const b = new OnnxBuilder({ opset: 13 })
      .input('x', [1, 4])
      .init('W', rnd(6, 4 * 5), [4, 5])
      .node('MatMul', ['x', 'W'], ['m'])
      .node('LeakyRelu', ['m'], ['l'], alpha === undefined ? {} : { alpha })
      .init('W2', rnd(7, 5 * 2), [5, 2])
      .node('MatMul', ['l', 'W2'], ['y'])
      .output('y');
    const c = await checkOp(b.build(), `leaky ${alpha}`);
    assert.equal(c.net!.layers.length, 2);
    assert.match(c.net!.layers[0].act!.kinds[0].key, alpha === undefined ? /^leaky_relu\(0\.01\)$/ : /^leaky_relu\(0\.2/);
  }
});
