import { test } from 'node:test';
import assert from 'node:assert/strict';
import { OnnxBuilder } from '../helpers/onnx-builder.js';
import { checkOp } from '../helpers/op-check.js';

function padNet(mode: string, pads: number[], value?: number) {
  const b = new OnnxBuilder({ opset: 13 })
    .input('x', [1, 2, 3, 4])
    .init('pads', pads, [8], 'int64');
  const ins = ['x', 'pads'];
  if (value !== undefined) {
    b.init('v', [value], []);
    ins.push('v');
  }
  return b.node('Pad', ins, ['p'], { mode }).node('Relu', ['p'], ['y']).output('y');
}

test('Pad constant (value from input, negative pads crop), edge, reflect: evaluator = onnxruntime, lowering exact', async () => {
  const c = await checkOp(padNet('constant', [0, 0, 1, 2, 0, 1, 0, -1], 0.75).build(), 'pad-constant');
  assert.deepEqual(c.graph.shapes.get('p'), [1, 3, 4, 5]);
  assert.equal(c.net!.layers.length, 2);
  await checkOp(padNet('constant', [0, 0, 1, 1, 0, 0, 1, 1]).build(), 'pad-constant-default');
  const e = await checkOp(padNet('edge', [0, 0, 2, 1, 0, 0, 1, 3]).build(), 'pad-edge');
  assert.deepEqual(e.graph.shapes.get('p'), [1, 2, 6, 8]);
  await checkOp(padNet('reflect', [0, 0, 2, 3, 0, 0, 1, 2]).build(), 'pad-reflect');
});

test('Pad with attributes (opset 9): pads and value', async () => {
  const b = new OnnxBuilder({ opset: 9 })
    .input('x', [1, 3, 5])
    .node('Pad', ['x'], ['p'], { mode: 'constant', pads: [0, 1, 2, 0, 0, 1], value: -0.5 })
    .node('Relu', ['p'], ['r'])
    .node('Pad', ['r'], ['y'], { mode: 'reflect', pads: [0, 0, 1, 0, 0, 2] })
    .output('y');
  const c = await checkOp(b.build(), 'pad-attrs');
  assert.deepEqual(c.graph.shapes.get('y'), [1, 4, 11]);
});

test('Pad: an unknown mode fails naming the node', async () => {
  const { loadOnnx, OnnxError } = await import('../../src/onnx/index.js');
  const b = new OnnxBuilder({ opset: 9 }).input('x', [1, 3]).node('Pad', ['x'], ['y'], { mode: 'mirror', pads: [0, 1, 0, 1] }, 'odd_pad').output('y');
  assert.throws(() => loadOnnx(b.build(), 'p.onnx'), (e: unknown) => e instanceof OnnxError && /odd_pad/.test(e.message) && /mirror/.test(e.message));
});
