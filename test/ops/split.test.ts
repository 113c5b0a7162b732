import { test } from 'node:test';
import assert from 'node:assert/strict';
import { OnnxBuilder } from '../helpers/onnx-builder.js';
import { checkOp, rnd } from '../helpers/op-check.js';

test('Split sizes from an input (opset 13): several outputs used downstream', async () => {
  const b = new OnnxBuilder({ opset: 13 })
    .input('x', [1, 3, 7])
    .init('sp', [2, 4, 1], [3], 'int64')
    .node('Split', ['x', 'sp'], ['a', 'b', 'c'], { axis: -1 })
    .node('Relu', ['b'], ['rb'])
    .init('W', rnd(3, 4 * 2), [4, 2])
    .node('MatMul', ['rb', 'W'], ['m'])
    .node('Concat', ['a', 'm', 'c'], ['k'], { axis: 2 })
    .node('Relu', ['k'], ['y'])
    .output('y');
  const c = await checkOp(b.build(), 'split-input');
  assert.deepEqual(c.graph.shapes.get('b'), [1, 3, 4]);
  assert.deepEqual(c.graph.shapes.get('y'), [1, 3, 5]);
});

test('Split sizes from the attribute (opset 11) and equal parts', async () => {
  const attr = new OnnxBuilder({ opset: 11 })
    .input('x', [1, 6, 2])
    .node('Split', ['x'], ['a', 'b'], { axis: 1, split: [4, 2] })
    .node('Relu', ['a'], ['ra'])
    .node('ReduceSum', ['ra'], ['s'], { axes: [1], keepdims: 1 })
    .node('Sub', ['b', 's'], ['y'])
    .output('y');
  const c = await checkOp(attr.build(), 'split-attr');
  assert.deepEqual(c.graph.shapes.get('y'), [1, 2, 2]);
  const eq = new OnnxBuilder({ opset: 13 })
    .input('x', [1, 6])
    .node('Split', ['x'], ['a', 'b', 'c'], { axis: 1 })
    .node('Sub', ['a', 'c'], ['d'])
    .node('Relu', ['d'], ['r'])
    .node('Add', ['r', 'b'], ['y'])
    .output('y');
  const e = await checkOp(eq.build(), 'split-equal');
  assert.deepEqual(e.graph.shapes.get('a'), [1, 2]);
});
