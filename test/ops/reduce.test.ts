import { test } from 'node:test';
import assert from 'node:assert/strict';
import { OnnxBuilder } from '../helpers/onnx-builder.js';
import { checkOp } from '../helpers/op-check.js';

test('ReduceSum (opset 13): axes from an input, keepdims 0 and 1, noop_with_empty_axes', async () => {
  const b = new OnnxBuilder({ opset: 13 })
    .input('x', [1, 3, 4, 2])
    .init('ax', [1, -1], [2], 'int64')
    .node('ReduceSum', ['x', 'ax'], ['s'], { keepdims: 0 })
    .node('Relu', ['s'], ['y'])
    .output('y');
  const c = await checkOp(b.build(), 'reducesum');
  assert.deepEqual(c.graph.shapes.get('s'), [1, 4]);
  const all = new OnnxBuilder({ opset: 13 }).input('x', [2, 3]).node('ReduceSum', ['x'], ['y']).output('y');
  const a = await checkOp(all.build(), 'reducesum-all');
  assert.deepEqual(a.graph.shapes.get('y'), [1, 1]);
  const noop = new OnnxBuilder({ opset: 13 }).input('x', [2, 3]).node('ReduceSum', ['x'], ['s'], { noop_with_empty_axes: 1 }).node('Relu', ['s'], ['y']).output('y');
  const n = await checkOp(noop.build(), 'reducesum-noop');
  assert.deepEqual(n.graph.shapes.get('s'), [2, 3]);
});

test('ReduceMean (opset 13): axes attribute, keepdims', async () => {
  const b = new OnnxBuilder({ opset: 13 })
    .input('x', [1, 3, 4, 5])
    .node('ReduceMean', ['x'], ['m'], { axes: [2, 3] })
    .node('Relu', ['m'], ['y'])
    .output('y');
  const c = await checkOp(b.build(), 'reducemean');
  assert.deepEqual(c.graph.shapes.get('m'), [1, 3, 1, 1]);
  const d = new OnnxBuilder({ opset: 18 })
    .input('x', [1, 3, 4])
    .init('ax', [0, 2], [2], 'int64')
    .node('ReduceMean', ['x', 'ax'], ['y'], { keepdims: 0 })
    .output('y');
  const e = await checkOp(d.build(), 'reducemean-18');
  assert.deepEqual(e.graph.shapes.get('y'), [3]);
});
