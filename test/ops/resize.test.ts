import { test } from 'node:test';
import assert from 'node:assert/strict';
import { OnnxBuilder, type AttrSpec } from '../helpers/onnx-builder.js';
import { checkOp } from '../helpers/op-check.js';

test('Upsample (opset 9) nearest, scales from a constant input, as the cGAN benchmark uses it', async () => {
  const b = new OnnxBuilder({ opset: 9 })
    .input('x', [1, 2, 3, 4])
    .init('s', [1, 1, 2, 2], [4])
    .node('Upsample', ['x', 's'], ['u'], { mode: 'nearest' })
    .node('Relu', ['u'], ['y'])
    .output('y');
  const c = await checkOp(b.build(), 'upsample');
  assert.deepEqual(c.graph.shapes.get('u'), [1, 2, 6, 8]);
  const odd = new OnnxBuilder({ opset: 9 })
    .input('x', [1, 1, 3, 4])
    .init('s', [1, 1, 1.5, 2.5], [4])
    .node('Upsample', ['x', 's'], ['y'], { mode: 'linear' })
    .output('y');
  const o = await checkOp(odd.build(), 'upsample-linear');
  assert.deepEqual(o.graph.shapes.get('y'), [1, 1, 4, 10]);
});

function resize(attrs: Record<string, AttrSpec>, scales?: number[], sizes?: number[]) {
  const b = new OnnxBuilder({ opset: 13 }).input('x', [1, 2, 3, 5]);
  const ins = ['x', ''];
  if (scales) {
    b.init('scales', scales, [4]);
    ins.push('scales');
  } else {
    ins.push('');
    b.init('sizes', sizes!, [4], 'int64');
    ins.push('sizes');
  }
  return b.node('Resize', ins, ['u'], attrs).node('Relu', ['u'], ['y']).output('y');
}

test('Resize nearest and linear: coordinate transforms and nearest modes, scales or sizes', async () => {
  const cases: [Record<string, AttrSpec>, number[] | undefined, number[] | undefined, number[]][] = [
    [{ mode: 'nearest' }, [1, 1, 2, 2], undefined, [1, 2, 6, 10]],
    [{ mode: 'nearest', coordinate_transformation_mode: 'asymmetric', nearest_mode: 'floor' }, [1, 1, 2, 3], undefined, [1, 2, 6, 15]],
    [{ mode: 'nearest', coordinate_transformation_mode: 'align_corners', nearest_mode: 'round_prefer_ceil' }, undefined, [1, 2, 5, 7], [1, 2, 5, 7]],
    [{ mode: 'nearest', coordinate_transformation_mode: 'tf_half_pixel_for_nn', nearest_mode: 'ceil' }, [1, 1, 1.5, 0.6], undefined, [1, 2, 4, 3]],
    // Ties (c / 2 = k + 0.5) decide between the rounding modes.
    [{ mode: 'nearest', coordinate_transformation_mode: 'asymmetric' }, [1, 1, 2, 2], undefined, [1, 2, 6, 10]],
    [{ mode: 'nearest', coordinate_transformation_mode: 'asymmetric', nearest_mode: 'round_prefer_ceil' }, [1, 1, 2, 2], undefined, [1, 2, 6, 10]],
    [{ mode: 'linear' }, [1, 1, 2, 2], undefined, [1, 2, 6, 10]],
    [{ mode: 'linear', coordinate_transformation_mode: 'align_corners' }, undefined, [1, 2, 4, 9], [1, 2, 4, 9]],
    [{ mode: 'linear', coordinate_transformation_mode: 'pytorch_half_pixel' }, undefined, [1, 2, 7, 3], [1, 2, 7, 3]],
    [{ mode: 'linear', coordinate_transformation_mode: 'asymmetric' }, [1, 1, 0.5, 1.7], undefined, [1, 2, 1, 8]],
  ];
  for (const [attrs, scales, sizes, out] of cases) {
    const c = await checkOp(resize(attrs, scales, sizes).build(), `resize ${JSON.stringify(attrs)}`);
    assert.deepEqual(c.graph.shapes.get('u'), out, JSON.stringify(attrs));
  }
});

test('Resize: an unsupported mode fails naming the node', async () => {
  const { loadOnnx, OnnxError } = await import('../../src/onnx/index.js');
  const b = resize({ mode: 'cubic' }, [1, 1, 2, 2]);
  assert.throws(() => loadOnnx(b.build(), 'r.onnx'), (e: unknown) => e instanceof OnnxError && /Resize/.test(e.message) && /cubic/.test(e.message));
});
