import { test } from 'node:test';
import assert from 'node:assert/strict';
import { loadOnnx, OnnxError, ReferenceModel } from '../src/onnx/index.js';
import { evaluateGraph } from '../src/ir/evaluate.js';
import { numel } from '../src/ir/graph.js';
import { lowerToLayered } from '../src/network/lower.js';
import { forward } from '../src/network/layered.js';
import { OnnxBuilder } from './helpers/onnx-builder.js';
import { mulberry32, randomConvOnnx, randomFcOnnx, uniform } from './helpers/random-onnx.js';

function maxRelErr(a: Float64Array, b: Float64Array): number {
  assert.equal(a.length, b.length, 'output lengths differ');
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]) / Math.max(1, Math.abs(b[i])));
  return m;
}

/** Evaluator and (optionally) the lowered net against onnxruntime on random inputs. */
async function agreesWithOrt(bytes: Uint8Array, name: string, opts: { lower?: boolean; samples?: number; seed?: number } = {}) {
  const g = loadOnnx(bytes, name);
  const net = opts.lower === false ? undefined : lowerToLayered(g);
  const ref = await ReferenceModel.create(bytes, name);
  const rng = mulberry32(opts.seed ?? 7);
  const n = numel(g.inputs[0].shape);
  for (let s = 0; s < (opts.samples ?? 5); s++) {
    const x = uniform(rng, n, -1, 1);
    const r = await ref.run(x);
    const e = maxRelErr(evaluateGraph(g, x), r);
    assert.ok(e < 1e-5, `${name}: evaluator rel error ${e}`);
    if (net) {
      const l = maxRelErr(forward(net, x), r);
      assert.ok(l < 1e-5, `${name}: lowered net rel error ${l}`);
    }
  }
  return { graph: g, net };
}

const rnd = (seed: number, n: number, lo = -1, hi = 1) => uniform(mulberry32(seed), n, lo, hi);

test('Gemm with alpha, beta, transA, transB and broadcast C', async () => {
  const b = new OnnxBuilder()
    .input('x', [4, 1])
    .init('W', rnd(1, 3 * 4), [3, 4])
    .init('C', rnd(2, 3), [3])
    .node('Gemm', ['x', 'W', 'C'], ['h'], { alpha: 0.5, beta: 2, transA: 1, transB: 1 })
    .node('Relu', ['h'], ['r'])
    .init('W2', rnd(3, 3 * 2), [3, 2])
    .node('Gemm', ['r', 'W2'], ['y'], { alpha: 1.5 })
    .output('y', [1, 2]);
  await agreesWithOrt(b.build(), 'gemm');
});

test('MatMul, Add, Sub, Mul, Div with broadcasting, Neg, Identity, Dropout', async () => {
  const b = new OnnxBuilder()
    .input('x', [1, 3, 4])
    .init('W', rnd(4, 20), [4, 5])
    .node('MatMul', ['x', 'W'], ['a'])
    .init('c5', rnd(5, 5), [5])
    .node('Add', ['a', 'c5'], ['b'])
    .init('c31', rnd(6, 3, 0.5, 2), [3, 1])
    .node('Mul', ['c31', 'b'], ['c'])
    .init('two', [2], [])
    .node('Div', ['c', 'two'], ['d'])
    .init('c115', rnd(7, 5), [1, 1, 5])
    .node('Sub', ['c115', 'd'], ['e'])
    .node('Neg', ['e'], ['f'])
    .node('Identity', ['f'], ['g'])
    .node('Dropout', ['g'], ['h'])
    .node('Relu', ['h'], ['r'])
    .init('W2', rnd(8, 5 * 2), [5, 2])
    .node('MatMul', ['r', 'W2'], ['m'])
    // Two network values in the same base add up (sum of maps).
    .node('Sub', ['m', 'm'], ['z'])
    .node('Add', ['m', 'z'], ['y'])
    .output('y', [1, 3, 2]);
  await agreesWithOrt(b.build(), 'arith');
});

test('Conv with strides, asymmetric pads, dilations, groups and SAME_UPPER; 1-D conv', async () => {
  const b = new OnnxBuilder()
    .input('x', [1, 4, 7, 7])
    .init('K', rnd(9, 6 * 2 * 3 * 3), [6, 2, 3, 3])
    .init('KB', rnd(10, 6), [6])
    .node('Conv', ['x', 'K', 'KB'], ['c'], { strides: [2, 1], pads: [1, 0, 2, 1], dilations: [1, 2], group: 2 })
    .node('Relu', ['c'], ['r'])
    .init('K2', rnd(11, 3 * 6 * 2 * 2), [3, 6, 2, 2])
    .node('Conv', ['r', 'K2'], ['c2'], { auto_pad: 'SAME_UPPER', strides: [2, 2] })
    .node('Flatten', ['c2'], ['y'])
    .output('y');
  await agreesWithOrt(b.build(), 'conv2d');
  const b1 = new OnnxBuilder()
    .input('x', [1, 2, 9])
    .init('K', rnd(12, 3 * 2 * 3), [3, 2, 3])
    .node('Conv', ['x', 'K'], ['c'], { pads: [1, 1], strides: [2] })
    .node('Relu', ['c'], ['y'])
    .output('y');
  await agreesWithOrt(b1.build(), 'conv1d');
});

test('Reshape (0 and -1), Transpose, Squeeze/Unsqueeze (opset 13 inputs), Concat, Gather, Slice, Cast, BatchNormalization', async () => {
  const b = new OnnxBuilder({ opset: 13 })
    .input('x', [1, 2, 3, 4])
    .init('shp', [0, -1, 4], [3], 'int64')
    .node('Reshape', ['x', 'shp'], ['a']) // [1, 6, 4]
    .node('Transpose', ['a'], ['t'], { perm: [0, 2, 1] }) // [1, 4, 6]
    .init('ax0', [0], [1], 'int64')
    .node('Squeeze', ['t', 'ax0'], ['s']) // [4, 6]
    .init('ax1', [1], [1], 'int64')
    .node('Unsqueeze', ['s', 'ax1'], ['u']) // [4, 1, 6]
    .init('cc', rnd(13, 4 * 2 * 6), [4, 2, 6])
    .node('Concat', ['u', 'cc', 'u'], ['k'], { axis: 1 }) // [4, 4, 6]
    .init('gi', [3, -1, 0], [3], 'int64')
    .node('Gather', ['k', 'gi'], ['gth'], { axis: 2 }) // [4, 4, 3]
    .init('st', [3, 0], [2], 'int64')
    .init('en', [-100, 3], [2], 'int64')
    .init('axs', [0, 1], [2], 'int64')
    .init('stp', [-1, 2], [2], 'int64')
    .node('Slice', ['gth', 'st', 'en', 'axs', 'stp'], ['sl']) // [4, 2, 3]
    .node('Cast', ['sl'], ['cs'], { to: 1 })
    .node('Transpose', ['cs'], ['tb'], { perm: [1, 0, 2] }) // [2, 4, 3] : channels 4 on axis 1
    .init('bn_s', rnd(14, 4, 0.5, 1.5), [4])
    .init('bn_b', rnd(15, 4), [4])
    .init('bn_m', rnd(16, 4), [4])
    .init('bn_v', rnd(17, 4, 0.5, 2), [4])
    .node('BatchNormalization', ['tb', 'bn_s', 'bn_b', 'bn_m', 'bn_v'], ['bn'], { epsilon: 1e-3 })
    .node('Relu', ['bn'], ['r'])
    .node('Flatten', ['r'], ['y'], { axis: 0 })
    .output('y');
  await agreesWithOrt(b.build(), 'movement13');
});

test('opset 11: Squeeze/Unsqueeze axes as attributes; Shape-driven Reshape chain folds', async () => {
  const b = new OnnxBuilder({ opset: 11 })
    .input('x', ['N', 3, 2])
    .node('Unsqueeze', ['x'], ['u'], { axes: [0] }) // [1, 1, 3, 2]
    .node('Squeeze', ['u'], ['s'], { axes: [1] }) // [1, 3, 2]
    .node('Shape', ['s'], ['shp'])
    .init('i0', [0], [], 'int64')
    .node('Gather', ['shp', 'i0'], ['n0'], { axis: 0 })
    .node('Unsqueeze', ['n0'], ['n1'], { axes: [0] })
    .init('m1', [-1], [1], 'int64')
    .node('Concat', ['n1', 'm1'], ['tgt'], { axis: 0 })
    .node('Reshape', ['s', 'tgt'], ['flat']) // [1, 6]
    .init('W', rnd(18, 6 * 4), [4, 6])
    .node('Gemm', ['flat', 'W'], ['h'], { transB: 1 })
    .node('Relu', ['h'], ['y'])
    .output('y', ['N', 4]);
  const { graph, net } = await agreesWithOrt(b.build(), 'opset11');
  assert.deepEqual(graph.inputs[0].shape, [1, 3, 2], 'symbolic batch resolves to 1');
  assert.deepEqual(graph.nodes.map((n) => n.op), ['Unsqueeze', 'Squeeze', 'Reshape', 'Gemm', 'Relu']);
  // Output ends in Relu: an identity affine layer is appended.
  assert.equal(net!.layers.length, 2);
});

test('constant folding removes constant subgraphs', async () => {
  const b = new OnnxBuilder()
    .input('x', [1, 3])
    .node('Constant', [], ['k'], { value: { tensor: { data: rnd(19, 6), shape: [3, 2] } } })
    .init('two', [2], [])
    .node('Mul', ['k', 'two'], ['k2'])
    .node('Transpose', ['k2'], ['k3'])
    .node('Neg', ['k3'], ['k4'])
    .node('Gemm', ['x', 'k4'], ['y'], { transB: 1 })
    .output('y', [1, 2]);
  const { graph } = await agreesWithOrt(b.build(), 'fold');
  assert.deepEqual(graph.nodes.map((n) => n.op), ['Gemm']);
  const w = graph.constants.get('k4');
  assert.ok(w && w.kind === 'float');
  assert.deepEqual(w.shape, [2, 3]);
  assert.ok(!graph.constants.has('k'), 'intermediate constants are dropped');
});

test('initializers listed as inputs (IR 3), typed fields, float64 and int64 data', async () => {
  const b = new OnnxBuilder({ opset: 8, irVersion: 3, initializersAsInputs: true })
    .init('avg', [0.1, 0.2, 0.3], [1, 1, 1, 3], 'float32', true)
    .init('W', rnd(20, 3 * 4), [3, 4])
    .init('B', rnd(21, 4), [4], 'float32', true)
    .input('input', [1, 1, 1, 3])
    .node('Sub', ['input', 'avg'], ['s'])
    .node('Flatten', ['s'], ['f'], { axis: 1 })
    .node('MatMul', ['f', 'W'], ['m'])
    .node('Add', ['m', 'B'], ['y'])
    .output('y', [1, 4]);
  const { graph } = await agreesWithOrt(b.build(), 'acaslike');
  assert.deepEqual(graph.inputs.map((i) => i.name), ['input']);

  const d = new OnnxBuilder({ elemType: 'float64' })
    .input('x', [1, 2])
    .init('W', [1e-9, 2, 3, 4], [2, 2], 'float64', true)
    .init('shp', [1, 2], [2], 'int64', true)
    .node('MatMul', ['x', 'W'], ['m'])
    .node('Reshape', ['m', 'shp'], ['y'])
    .output('y', [1, 2]);
  const gd = loadOnnx(d.build(), 'f64');
  assert.equal(gd.inputs[0].elemType, 'float64');
  const w = gd.constants.get('W');
  assert.ok(w && w.kind === 'float' && w.data[0] === 1e-9, 'float64 data kept exactly');
  await agreesWithOrt(d.build(), 'f64');
});

test('residual (skip) connection lowers exactly through identity neurons', async () => {
  const b = new OnnxBuilder()
    .input('x', [1, 4])
    .init('W1', rnd(22, 16), [4, 4]).init('B1', rnd(23, 4), [4])
    .node('Gemm', ['x', 'W1', 'B1'], ['h1'])
    .node('Relu', ['h1'], ['r1'])
    .init('W2', rnd(24, 16), [4, 4]).init('B2', rnd(25, 4), [4])
    .node('Gemm', ['r1', 'W2', 'B2'], ['h2'])
    .node('Relu', ['h2'], ['r2'])
    .node('Add', ['r2', 'r1'], ['s']) // r1 skips over the second ReLU
    .node('Add', ['s', 'x'], ['s2']) // and x skips over both
    .init('W3', rnd(26, 8), [4, 2])
    .node('MatMul', ['s2', 'W3'], ['y'])
    .output('y', [1, 2]);
  const { net } = await agreesWithOrt(b.build(), 'residual', { samples: 10 });
  assert.ok(net!.layers.some((l) => l.identity && l.identity.some((v) => v === 1)), 'skip values carried as identity neurons');
});

test('skip of a wide pre-activation carries the base variables; parallel ReLU branches', async () => {
  // h (8 values) is used after its own Relu; carrying x (2 variables) is narrower.
  const wide = new OnnxBuilder()
    .input('x', [1, 2])
    .init('W1', rnd(27, 16), [8, 2]).init('B1', rnd(28, 8), [8])
    .node('Gemm', ['x', 'W1', 'B1'], ['h'], { transB: 1 })
    .node('Relu', ['h'], ['r'])
    .node('Sub', ['r', 'h'], ['y'])
    .output('y', [1, 8]);
  const { net } = await agreesWithOrt(wide.build(), 'wide-skip', { samples: 10 });
  assert.equal(net!.layers[0].outDim, 8 + 2);
  // Two ReLU branches of the same input, merged by Add.
  const par = new OnnxBuilder()
    .input('x', [1, 3])
    .init('Wa', rnd(29, 12), [3, 4]).init('Wb', rnd(30, 12), [3, 4])
    .node('MatMul', ['x', 'Wa'], ['a']).node('MatMul', ['x', 'Wb'], ['b'])
    .node('Relu', ['a'], ['ra']).node('Relu', ['b'], ['rb'])
    .node('Add', ['ra', 'rb'], ['s'])
    .node('Relu', ['s'], ['y'])
    .output('y', [1, 4]);
  await agreesWithOrt(par.build(), 'parallel', { samples: 10 });
});

test('Conv -> Conv without ReLU between, then BatchNormalization (dense composition)', async () => {
  const b = new OnnxBuilder()
    .input('x', [1, 2, 6, 6])
    .init('K1', rnd(31, 3 * 2 * 3 * 3), [3, 2, 3, 3])
    .node('Conv', ['x', 'K1'], ['c1'], { pads: [1, 1, 1, 1] })
    .init('K2', rnd(32, 4 * 3 * 2 * 2), [4, 3, 2, 2]).init('KB2', rnd(33, 4), [4])
    .node('Conv', ['c1', 'K2', 'KB2'], ['c2'], { strides: [2, 2] })
    .init('s', rnd(34, 4, 0.5, 1.5), [4]).init('bb', rnd(35, 4), [4]).init('m', rnd(36, 4), [4]).init('v', rnd(37, 4, 0.5, 2), [4])
    .node('BatchNormalization', ['c2', 's', 'bb', 'm', 'v'], ['bn'])
    .node('Relu', ['bn'], ['r'])
    .node('Flatten', ['r'], ['f'])
    .init('W', rnd(38, 36 * 2), [36, 2])
    .node('MatMul', ['f', 'W'], ['y'])
    .output('y', [1, 2]);
  const { net } = await agreesWithOrt(b.build(), 'conv-conv-bn');
  assert.deepEqual(net!.layers.map((l) => l.outDim), [36, 2]);
});

test('random fully connected and conv networks agree with onnxruntime', async () => {
  for (let seed = 1; seed <= 3; seed++) {
    await agreesWithOrt(randomFcOnnx({ seed, sizes: [5, 20, 20, 5] }), `fc-gemm-${seed}`);
    await agreesWithOrt(randomFcOnnx({ seed, sizes: [7, 16, 3], style: 'matmul' }), `fc-matmul-${seed}`);
    await agreesWithOrt(
      randomConvOnnx({ seed, inputShape: [1, 2, 8, 8], convs: [{ out: 3, k: 3, stride: 2, pad: 1 }, { out: 4, k: 2 }], fc: [10, 3] }),
      `conv-${seed}`,
    );
  }
});

test('unknown op: OnnxError names file, node and op', () => {
  const b = new OnnxBuilder()
    .input('x', [1, 2])
    .node('Relu', ['x'], ['r'])
    .node('FancyOp', ['r'], ['y'], {}, 'mystery_node')
    .output('y');
  assert.throws(
    () => loadOnnx(b.build(), 'model.onnx'),
    (e: unknown) => e instanceof OnnxError && /model\.onnx/.test(e.message) && /mystery_node/.test(e.message) && /FancyOp/.test(e.message),
  );
});

test('non-piecewise-linear op loads and evaluates but lowering names it', async () => {
  const b = new OnnxBuilder()
    .input('x', [1, 3])
    .node('Softmax', ['x'], ['y'], {}, 'squash')
    .output('y');
  const { graph } = await agreesWithOrt(b.build(), 'softmax', { lower: false });
  assert.throws(() => lowerToLayered(graph), (e: unknown) => e instanceof OnnxError && /squash/.test(e.message) && /Softmax is not piecewise linear/.test(e.message));
  const m = new OnnxBuilder()
    .input('x', [1, 3])
    .node('Mul', ['x', 'x'], ['y'], {}, 'square')
    .output('y');
  assert.throws(() => lowerToLayered(loadOnnx(m.build(), 'sq')), (e: unknown) => e instanceof OnnxError && /square/.test(e.message) && /product of two network values/.test(e.message));
});

test('malformed file: error names the file', () => {
  assert.throws(() => loadOnnx(new Uint8Array([0xff, 0xff, 0xff, 0x01, 0x02]), 'broken.onnx'), /broken\.onnx/);
  assert.throws(() => loadOnnx(new Uint8Array(0), 'empty.onnx'), /empty\.onnx/);
});

/** A 2 -> 2 Gemm + Relu + MatMul net whose first weight is `w0`. */
function smallNet(w0: number): OnnxBuilder {
  return new OnnxBuilder()
    .input('x', [1, 2])
    .init('W', [w0, -1, 1, 1], [2, 2])
    .init('B', [0, 0], [2])
    .node('Gemm', ['x', 'W', 'B'], ['h'], { transB: 1 })
    .node('Relu', ['h'], ['r'])
    .init('V', [-1, -1], [2, 1])
    .node('MatMul', ['r', 'V'], ['y'])
    .output('y', [1, 1]);
}

const onnxErr = (re: RegExp) => (e: unknown) => e instanceof OnnxError && re.test(e.message);

test('non-finite weights are rejected, naming the initializer, Constant node or folded node', () => {
  for (const [v, word] of [[Infinity, 'Infinity'], [-Infinity, '-Infinity'], [NaN, 'NaN']] as const) {
    assert.throws(() => loadOnnx(smallNet(v).build(), 'w.onnx'), onnxErr(new RegExp(`^w\\.onnx: initializer 'W' holds ${word} at element 0 of \\[2, 2\\]`)));
  }
  // The same weights as typed float64 data.
  const typed = new OnnxBuilder({ elemType: 'float64' }).input('x', [1, 2]).init('K', [1, NaN], [2], 'float64', true).node('Add', ['x', 'K'], ['y']).output('y', [1, 2]);
  assert.throws(() => loadOnnx(typed.build(), 't.onnx'), onnxErr(/initializer 'K' holds NaN at element 1/));
  const constant = new OnnxBuilder()
    .input('x', [1, 2])
    .node('Constant', [], ['k'], { value: { tensor: { data: [1, NaN], shape: [2] } } }, 'c_nan')
    .node('Add', ['x', 'k'], ['y'])
    .output('y', [1, 2]);
  assert.throws(() => loadOnnx(constant.build(), 'c.onnx'), onnxErr(/node 'c_nan' \(op Constant\): constant 'k' holds NaN/));
  // Finite weights whose folding divides by zero.
  const div = new OnnxBuilder()
    .input('x', [1, 2])
    .init('one', [1, 1], [2])
    .init('zero', [0, 1], [2])
    .node('Div', ['one', 'zero'], ['q'], {}, 'divide')
    .node('Mul', ['x', 'q'], ['y'])
    .output('y', [1, 2]);
  assert.throws(() => loadOnnx(div.build(), 'd.onnx'), onnxErr(/node 'divide' \(op Div\): constant 'q' holds Infinity .* after constant folding/));
  const alpha = new OnnxBuilder().input('x', [1, 2]).init('W', [1, 0, 0, 1], [2, 2]).node('Gemm', ['x', 'W'], ['y'], { alpha: Infinity }, 'g').output('y', [1, 2]);
  assert.throws(() => loadOnnx(alpha.build(), 'a.onnx'), onnxErr(/node 'g' \(op Gemm\): attribute 'alpha' is Infinity/));
  // An unused initializer does not matter.
  assert.ok(loadOnnx(smallNet(1).init('unused', [NaN], [1]).build(), 'u.onnx'));
});

test('weights that overflow float64 when linear ops are composed are rejected by lowering', () => {
  const b = new OnnxBuilder({ elemType: 'float64' })
    .input('x', [1, 1])
    .init('A', [1e200], [1, 1], 'float64')
    .init('B', [1e200], [1, 1], 'float64')
    .node('MatMul', ['x', 'A'], ['h'])
    .node('MatMul', ['h', 'B'], ['y'])
    .output('y', [1, 1]);
  const g = loadOnnx(b.build(), 'big.onnx');
  assert.throws(() => lowerToLayered(g), onnxErr(/big\.onnx: layer 0 of the lowered network has a non-finite weight/));
});

test('opsets and attribute kinds onnxruntime would reject are rejected by the loader, naming file and node', async () => {
  const relu = (opset: number) => new OnnxBuilder({ opset, irVersion: 10 }).input('x', [1, 2]).node('Relu', ['x'], ['y'], {}, 'r').output('y', [1, 2]);
  assert.throws(() => loadOnnx(relu(999).build(), 'o.onnx'), onnxErr(/^o\.onnx: opset 999 of the default ONNX domain is not supported/));
  assert.ok(loadOnnx(relu(13).build(), 'o.onnx'));
  const onnx = (await import('onnx-proto')).default.onnx;
  const withGraph = onnx.ModelProto.decode(relu(13).build());
  withGraph.graph!.node![0]!.attribute!.push(onnx.AttributeProto.create({ name: 'body', type: onnx.AttributeProto.AttributeType.GRAPH, g: onnx.GraphProto.create({ name: 'sub' }) }));
  const bytes = onnx.ModelProto.encode(withGraph).finish();
  assert.throws(() => loadOnnx(bytes, 'g.onnx'), onnxErr(/^g\.onnx: node 'r' \(op Relu\): attribute 'body' is a graph/));
  // What the loader lets through but onnxruntime rejects: an attribute Relu does not have.
  const odd = new OnnxBuilder().input('x', [1, 2]).node('Relu', ['x'], ['y'], { bogus: 3 }, 'r').output('y', [1, 2]).build();
  assert.ok(loadOnnx(odd, 'odd.onnx'));
  await assert.rejects(ReferenceModel.create(odd, 'odd.onnx'), (e: unknown) => {
    assert.ok(e instanceof OnnxError, String(e));
    assert.match(e.message, /^odd\.onnx: onnxruntime cannot load the model: .*bogus/);
    assert.doesNotMatch(e.message, /onnxruntime_src/);
    return true;
  });
});

test('OnnxError messages escape and cut the names they quote', () => {
  const b = new OnnxBuilder().input('x', [1, 2]).node('FancyOp', ['x'], ['y'], {}, `evil\x1b]0;owned\x07${'n'.repeat(100_000)}`).output('y');
  assert.throws(() => loadOnnx(b.build(), 'm.onnx'), (e: unknown) => {
    assert.ok(e instanceof OnnxError);
    assert.doesNotMatch(e.message, /[\x00-\x1f]/);
    assert.match(e.message, /evil\\x1b\]0;owned\\x07n+\.\.\. \(100014 characters\)/);
    assert.ok(e.message.length < 300, `${e.message.length} characters`);
    return true;
  });
});

test('sizes past the limits are input errors, not hangs or allocation failures', async () => {
  // Found by scripts/input-fuzz.ts: an input dimension of 10^9 made loading run for minutes.
  const b = new OnnxBuilder().input('x', [1_000_000_000, 3]).init('W', [1, 2, 3], [3, 1]).node('MatMul', ['x', 'W'], ['y']).output('y');
  assert.throws(() => loadOnnx(b.build(), 'huge.onnx'), onnxErr(/^huge\.onnx: input 'x' has shape \[1000000000, 3\], more than the limit of 67108864 elements/));
  const { denseMatrix, TooLargeError, MAX_DENSE_ENTRIES } = await import('../src/network/affine-map.js');
  assert.equal(denseMatrix(3, 4).length, 12);
  assert.throws(() => denseMatrix(MAX_DENSE_ENTRIES, 2), (e: unknown) => e instanceof TooLargeError && /too large/.test(e.message));
  const { isInputError } = await import('../src/cli/errors.js');
  assert.ok(isInputError(new TooLargeError('x')));
});
