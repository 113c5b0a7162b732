import { test } from 'node:test';
import assert from 'node:assert/strict';
import { OnnxBuilder } from '../helpers/onnx-builder.js';
import { checkOp } from '../helpers/op-check.js';
import { OnnxError } from '../../src/onnx/index.js';
import { lowerToLayered } from '../../src/network/lower.js';

for (const op of ['Sin', 'Cos']) {
  test(`${op} evaluates like onnxruntime; lowering names the node`, async () => {
    const b = new OnnxBuilder({ opset: 13 }).input('x', [1, 2, 3]).node(op, ['x'], ['y'], {}, 'wave').output('y');
    const c = await checkOp(b.build(), op, { lower: false, lo: -4, hi: 4 });
    assert.throws(() => lowerToLayered(c.graph), (e: unknown) => e instanceof OnnxError && /'wave'/.test(e.message) && new RegExp(`${op} is not piecewise linear`).test(e.message));
  });
}
