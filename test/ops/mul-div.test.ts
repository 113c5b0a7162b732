import { test } from 'node:test';
import assert from 'node:assert/strict';
import { OnnxBuilder } from '../helpers/onnx-builder.js';
import { checkOp } from '../helpers/op-check.js';
import { OnnxError } from '../../src/onnx/index.js';
import { lowerToLayered } from '../../src/network/lower.js';

test('Mul and Div of two network values evaluate; lowering names the node and the reason', async () => {
  const mul = new OnnxBuilder({ opset: 13 })
    .input('x', [1, 4])
    .node('Relu', ['x'], ['r'])
    .node('Mul', ['x', 'r'], ['y'], {}, 'mask')
    .output('y');
  const m = await checkOp(mul.build(), 'mul2', { lower: false });
  assert.throws(() => lowerToLayered(m.graph), (e: unknown) => e instanceof OnnxError && /node 'mask' \(op Mul\)/.test(e.message) && /product of two network values/.test(e.message));
  const div = new OnnxBuilder({ opset: 13 })
    .input('x', [1, 4])
    .node('Abs', ['x'], ['a'])
    .node('Div', ['x', 'a'], ['y'], {}, 'ratio')
    .output('y');
  const d = await checkOp(div.build(), 'div2', { lower: false, lo: 0.5, hi: 1 });
  assert.throws(() => lowerToLayered(d.graph), (e: unknown) => e instanceof OnnxError && /'ratio'/.test(e.message) && /division by a network value/.test(e.message));
});

test('Abs lowers exactly as relu(x) + relu(-x)', async () => {
  const b = new OnnxBuilder({ opset: 13 }).input('x', [1, 5]).node('Abs', ['x'], ['y']).output('y');
  const c = await checkOp(b.build(), 'abs');
  assert.equal(c.net!.layers[0].outDim, 10);
});
