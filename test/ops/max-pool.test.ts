import { test } from 'node:test';
import assert from 'node:assert/strict';
import { OnnxBuilder, type AttrSpec } from '../helpers/onnx-builder.js';
import { checkOp, rnd } from '../helpers/op-check.js';

function pool(shape: number[], attrs: Record<string, AttrSpec>) {
  return new OnnxBuilder({ opset: 13 }).input('x', shape).node('MaxPool', ['x'], ['y'], attrs).output('y');
}

test('MaxPool lowers exactly into a ReLU tree: ceil(log2 k) hidden layers, equal to onnxruntime on random inputs', async () => {
  const cases: [number[], Record<string, AttrSpec>, number][] = [
    // [input shape, attributes, hidden layers = ceil(log2 largest window)]
    [[1, 2, 6, 6], { kernel_shape: [2, 2], strides: [2, 2] }, 2],
    [[1, 2, 7, 7], { kernel_shape: [3, 3], strides: [2, 2], pads: [1, 1, 1, 1] }, 4],
    [[1, 1, 5, 6], { kernel_shape: [3, 2], strides: [2, 2], ceil_mode: 1 }, 3],
    [[1, 3, 9], { kernel_shape: [3], strides: [2], dilations: [2] }, 2],
    [[1, 1, 4, 4], { kernel_shape: [1, 1], strides: [2, 2] }, 0],
  ];
  for (const [shape, attrs, hidden] of cases) {
    const c = await checkOp(pool(shape, attrs).build(), `maxpool ${JSON.stringify(attrs)}`, { samples: 8 });
    assert.equal(c.net!.layers.length, hidden + 1, `hidden layers of ${JSON.stringify(attrs)}`);
  }
});

test('MaxPool inside a conv net, with a skip connection around it, lowers exactly', async () => {
  const b = new OnnxBuilder({ opset: 13 })
    .input('x', [1, 1, 6, 6])
    .init('W', rnd(1, 2 * 9), [2, 1, 3, 3])
    .init('B', rnd(2, 2), [2])
    .node('Conv', ['x', 'W', 'B'], ['c'], { pads: [1, 1, 1, 1] })
    .node('MaxPool', ['c'], ['m'], { kernel_shape: [2, 2], strides: [2, 2] })
    .node('AveragePool', ['c'], ['a'], { kernel_shape: [2, 2], strides: [2, 2] })
    .node('Add', ['m', 'a'], ['s'])
    .node('Relu', ['s'], ['r'])
    .node('Flatten', ['r'], ['f'])
    .init('G', rnd(3, 18 * 3), [18, 3])
    .node('MatMul', ['f', 'G'], ['y'])
    .output('y', [1, 3]);
  const c = await checkOp(b.build(), 'maxpool-net', { samples: 8 });
  assert.equal(c.net!.layers.length, 4);
});

test('MaxPool with an Indices output is refused naming the node', async () => {
  const { loadOnnx, OnnxError } = await import('../../src/onnx/index.js');
  const b = new OnnxBuilder({ opset: 13 }).input('x', [1, 1, 4, 4]).node('MaxPool', ['x'], ['y', 'i'], { kernel_shape: [2, 2] }, 'mp').output('y');
  assert.throws(() => loadOnnx(b.build(), 'm.onnx'), (e: unknown) => e instanceof OnnxError && /'mp'/.test(e.message) && /Indices/.test(e.message));
});
