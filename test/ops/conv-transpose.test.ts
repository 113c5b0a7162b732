import { test } from 'node:test';
import assert from 'node:assert/strict';
import { OnnxBuilder, type AttrSpec } from '../helpers/onnx-builder.js';
import { checkOp, rnd } from '../helpers/op-check.js';

function net(inShape: number[], wShape: number[], attrs: Record<string, AttrSpec>, bias: boolean, seed: number) {
  const b = new OnnxBuilder({ opset: 13 }).input('x', inShape).init('W', rnd(seed, wShape.reduce((a, c) => a * c, 1)), wShape);
  const ins = ['x', 'W'];
  if (bias) {
    const cout = wShape[1] * ((attrs.group as number | undefined) ?? 1);
    b.init('B', rnd(seed + 1, cout), [cout]);
    ins.push('B');
  }
  return b.node('ConvTranspose', ins, ['c'], attrs).node('Relu', ['c'], ['y']).output('y');
}

test('ConvTranspose: strides, pads, output_padding, dilations, group, bias; 1-D', async () => {
  const cases: [number[], number[], Record<string, AttrSpec>, boolean, number[]][] = [
    [[1, 3, 4, 4], [3, 2, 4, 4], { strides: [2, 2] }, true, [1, 2, 10, 10]],
    [[1, 2, 3, 4], [2, 3, 3, 3], { strides: [2, 1], pads: [1, 0, 1, 2], output_padding: [1, 0] }, true, [1, 3, 6, 4]],
    [[1, 2, 3, 3], [2, 2, 2, 3], { dilations: [2, 1], strides: [1, 2] }, false, [1, 2, 5, 7]],
    [[1, 4, 3, 3], [4, 1, 3, 3], { group: 2, strides: [2, 2], pads: [1, 1, 1, 1] }, true, [1, 2, 5, 5]],
    [[1, 2, 5], [2, 3, 3], { strides: [3], pads: [1, 0] }, true, [1, 3, 14]],
  ];
  for (const [x, w, attrs, bias, out] of cases) {
    const c = await checkOp(net(x, w, attrs, bias, 5).build(), `convT ${JSON.stringify(attrs)}`);
    assert.deepEqual(c.graph.shapes.get('c'), out, JSON.stringify(attrs));
  }
});

test('ConvTranspose with output_shape picks the pads', async () => {
  const c = await checkOp(net([1, 1, 3, 3], [1, 2, 3, 3], { strides: [2, 2], output_shape: [6, 6] }, true, 9).build(), 'convT-output-shape');
  assert.deepEqual(c.graph.shapes.get('c'), [1, 2, 6, 6]);
});

test('a ConvTranspose too large for a dense layer lowers into a sparse (CSR) layer', async () => {
  const { loadOnnx } = await import('../../src/onnx/index.js');
  const { lowerToLayered } = await import('../../src/network/lower.js');
  const { forward } = await import('../../src/network/layered.js');
  const { evaluateGraph } = await import('../../src/ir/evaluate.js');
  const b = new OnnxBuilder({ opset: 13 })
    .input('x', [1, 1, 64, 64])
    .init('W', rnd(3, 32 * 4), [1, 32, 2, 2])
    .node('ConvTranspose', ['x', 'W'], ['y'], { strides: [2, 2] }, 'up')
    .output('y');
  const g = loadOnnx(b.build(), 'big.onnx');
  // 524288 x 4096: 2^31 dense entries (16 GiB), one nonzero per row.
  const net = lowerToLayered(g);
  assert.equal(net.layers.length, 1);
  const [l] = net.layers;
  assert.equal(l.outDim * l.inDim, 2 ** 31);
  assert.ok(l.csr);
  assert.equal(l.csr.val.length, 524288);
  const x = rnd(4, 4096);
  const y = forward(net, x);
  const ref = evaluateGraph(g, x);
  for (let i = 0; i < y.length; i++) assert.ok(Math.abs(y[i] - ref[i]) <= 1e-12 * (1 + Math.abs(ref[i])), `output ${i}`);
});
