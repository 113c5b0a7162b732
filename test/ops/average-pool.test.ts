import { test } from 'node:test';
import assert from 'node:assert/strict';
import { OnnxBuilder, type AttrSpec } from '../helpers/onnx-builder.js';
import { checkOp } from '../helpers/op-check.js';

function pool(shape: number[], attrs: Record<string, AttrSpec>) {
  return new OnnxBuilder({ opset: 13 })
    .input('x', shape)
    .node('AveragePool', ['x'], ['a'], attrs)
    .node('Relu', ['a'], ['y'])
    .output('y');
}

test('AveragePool: strides, pads, count_include_pad 0 and 1, ceil_mode', async () => {
  const cases: [Record<string, AttrSpec>, number[]][] = [
    [{ kernel_shape: [2, 2], strides: [2, 2] }, [1, 2, 3, 3]],
    [{ kernel_shape: [3, 3], strides: [2, 2], pads: [1, 1, 1, 1] }, [1, 2, 4, 4]],
    [{ kernel_shape: [3, 3], strides: [2, 2], pads: [1, 1, 1, 1], count_include_pad: 1 }, [1, 2, 4, 4]],
    [{ kernel_shape: [3, 2], strides: [2, 3], pads: [1, 0, 2, 1], ceil_mode: 1 }, [1, 2, 4, 3]],
    [{ kernel_shape: [3, 2], strides: [2, 3], pads: [1, 0, 2, 1], ceil_mode: 1, count_include_pad: 1 }, [1, 2, 4, 3]],
    [{ kernel_shape: [2], strides: [1], pads: [1, 1] }, [1, 3, 8]],
  ];
  for (const [attrs, out] of cases) {
    const inShape = out.length === 4 ? [1, 2, 7, 7] : [1, 3, 7];
    const c = await checkOp(pool(inShape, attrs).build(), `avgpool ${JSON.stringify(attrs)}`);
    assert.deepEqual(c.graph.shapes.get('a'), out, JSON.stringify(attrs));
  }
});
