import { test } from 'node:test';
import assert from 'node:assert/strict';
import { OnnxBuilder } from '../helpers/onnx-builder.js';
import { checkOp } from '../helpers/op-check.js';
import { loadOnnx, OnnxError } from '../../src/onnx/index.js';
import { lowerToLayered } from '../../src/network/lower.js';

test('Pow evaluates like onnxruntime; exponent 1 lowers, exponent 2 names the node and reason', async () => {
  const sq = new OnnxBuilder({ opset: 13 }).input('x', [1, 5]).init('e', [2], []).node('Pow', ['x', 'e'], ['y'], {}, 'square').output('y');
  const c = await checkOp(sq.build(), 'pow2', { lower: false });
  assert.throws(() => lowerToLayered(c.graph), (e: unknown) => e instanceof OnnxError && /'square'/.test(e.message) && /Pow with exponent 2 is not piecewise linear/.test(e.message));
  const one = new OnnxBuilder({ opset: 13 }).input('x', [1, 5]).init('e', [1, 1, 1, 1, 1], [5]).node('Pow', ['x', 'e'], ['p']).node('Relu', ['p'], ['y']).output('y');
  await checkOp(one.build(), 'pow1');
  const frac = new OnnxBuilder({ opset: 13 }).input('x', [1, 5]).init('e', [0.5, 1.5, 3, 2, 0.25], [5]).node('Pow', ['x', 'e'], ['y']).output('y');
  await checkOp(frac.build(), 'pow-frac', { lower: false, lo: 0.1, hi: 2 });
});

test('Pow of constants is folded by the loader', () => {
  const b = new OnnxBuilder({ opset: 13 })
    .input('x', [1, 3])
    .init('a', [2, 3, 4], [3])
    .init('e', [2], [])
    .node('Pow', ['a', 'e'], ['p'])
    .node('Mul', ['x', 'p'], ['y'])
    .output('y');
  const g = loadOnnx(b.build(), 'fold');
  assert.deepEqual(g.nodes.map((n) => n.op), ['Mul']);
  const net = lowerToLayered(g);
  assert.deepEqual(Array.from(net.layers[0].W), [4, 0, 0, 0, 9, 0, 0, 0, 16]);
});
