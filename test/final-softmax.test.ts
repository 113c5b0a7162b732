/**
 * A final Softmax is dropped before lowering exactly when every output atom
 * compares two outputs with no constant (softmax preserves the order of its
 * inputs); otherwise it stays, and lowering refuses it (the black-box
 * fallback then applies). The loader of this branch does not read Softmax,
 * so the graphs are built at the IR level: a ReLU network loaded from ONNX,
 * with a Softmax node appended by hand.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { AttrValue, Graph, IRNode } from '../src/ir/graph.js';
import { finalSoftmax, withoutFinalSoftmax } from '../src/ir/final-softmax.js';
import { graphForBounds } from '../src/engine/load-problem.js';
import { lowerToLayered } from '../src/network/lower.js';
import { OnnxError } from '../src/onnx/errors.js';
import { loadOnnx } from '../src/onnx/load.js';
import { comparesOutputsOnly, isOutputComparison } from '../src/problem/output-comparisons.js';
import { parseVnnlib } from '../src/vnnlib/parse.js';
import { randomFcOnnx } from './helpers/random-onnx.js';

const K = 4;
const logits = loadOnnx(randomFcOnnx({ seed: 3, sizes: [3, 8, K] }), 'net.onnx');

function node(op: string, inputs: string[], outputs: string[], attrs: [string, AttrValue][] = [], name = `${op}_x`): IRNode {
  return { name, op, inputs, outputs, attrs: new Map(attrs) };
}

/** `g` with a Softmax over its output appended (output 'p', shape `shape`, default the logits' shape). */
function withSoftmax(g: Graph, axis?: number, shape: readonly number[] = g.outputs[0].shape, extra: IRNode[] = []): Graph {
  const z = g.outputs[0].name;
  const attrs: [string, AttrValue][] = axis === undefined ? [] : [['axis', { kind: 'int', value: axis }]];
  const shapes = new Map(g.shapes);
  shapes.set(z, shape);
  shapes.set('p', shape);
  return {
    ...g,
    nodes: [...g.nodes, node('Softmax', [z], ['p'], attrs, 'probabilities'), ...extra],
    outputs: [{ ...g.outputs[0], name: 'p', shape }],
    shapes,
  };
}

function spec(outputCondition: string) {
  const decl = [...[0, 1, 2].map((i) => `(declare-const X_${i} Real)`), ...Array.from({ length: K }, (_, j) => `(declare-const Y_${j} Real)`)].join('\n');
  const box = [0, 1, 2].map((i) => `(assert (>= X_${i} -1))\n(assert (<= X_${i} 1))`).join('\n');
  return parseVnnlib(`${decl}\n${box}\n(assert ${outputCondition})\n`, 'prop.vnnlib');
}

/** "Y_i >= Y_2 for some i != 2", the traffic-signs form. */
const comparisons = spec('(or (and (>= Y_0 Y_2)) (and (>= Y_1 Y_2)) (and (>= Y_3 Y_2)))');

test('output comparisons: exactly one +a and one -a coefficient, no constant', () => {
  assert.ok(comparesOutputsOnly(comparisons));
  assert.ok(comparesOutputsOnly(spec('(and (<= Y_0 Y_1) (>= Y_3 Y_2))')));
  for (const cond of ['(>= Y_0 0.5)', '(>= Y_0 (+ Y_2 0.1))', '(>= (* 2 Y_0) Y_2)', '(>= (+ Y_0 Y_1) Y_2)', '(or (>= Y_0 Y_2) (<= Y_1 0))']) {
    assert.equal(comparesOutputsOnly(spec(cond)), false, cond);
  }
  assert.ok(isOutputComparison({ coef: Float64Array.of(0, 2, -2, 0), rhs: 0 }));
  assert.equal(isOutputComparison({ coef: Float64Array.of(0, 1, -1, 0), rhs: 1e-9 }), false);
  assert.equal(isOutputComparison({ coef: Float64Array.of(0, 1, 0, 0), rhs: 0 }), false);
  assert.equal(isOutputComparison({ coef: Float64Array.of(NaN, 1, -1, 0), rhs: 0 }), false);
});

test('final Softmax over the last axis: found for [1, K] and [K] with axis absent, -1 or last', () => {
  for (const [axis, shape] of [[undefined, [1, K]], [1, [1, K]], [-1, [1, K]], [0, [K]], [undefined, [K]], [2, [1, 1, K]]] as const) {
    assert.ok(finalSoftmax(withSoftmax(logits, axis, shape)), `axis ${axis}, shape [${shape}]`);
  }
});

test('a Softmax that is not final, not over the last axis, or read by another node is kept', () => {
  assert.equal(finalSoftmax(logits), undefined, 'no Softmax');
  assert.equal(finalSoftmax(withSoftmax(logits, 0)), undefined, 'axis 0 of [1, K]');
  assert.equal(finalSoftmax(withSoftmax(logits, -2)), undefined, 'axis -2 of [1, K]');
  assert.equal(finalSoftmax(withSoftmax(logits, 1, [2, K / 2])), undefined, 'two rows');
  const read = withSoftmax(logits, 1, [1, K], [node('Neg', ['p'], ['q'])]);
  assert.equal(finalSoftmax(read), undefined, 'probabilities read by another node');
  // Softmax in the middle: a Neg after it produces the output.
  const mid = withSoftmax(logits, 1);
  const middle: Graph = { ...mid, nodes: [...mid.nodes, node('Neg', ['p'], ['q'])], outputs: [{ ...mid.outputs[0], name: 'q' }], shapes: new Map([...mid.shapes, ['q', [1, K]]]) };
  assert.equal(finalSoftmax(middle), undefined, 'Softmax in the middle');
});

test('dropped for comparison properties: the bounders see the logits network, identical to the one without Softmax', () => {
  const g = withSoftmax(logits, 1);
  const { graph, transforms } = graphForBounds(g, comparisons);
  assert.equal(transforms.length, 1);
  assert.match(transforms[0], /final Softmax 'probabilities' dropped/);
  assert.ok(!graph.nodes.some((n) => n.op === 'Softmax'));
  assert.equal(graph.outputs[0].name, logits.outputs[0].name);
  const a = lowerToLayered(graph);
  const b = lowerToLayered(logits);
  assert.equal(a.layers.length, b.layers.length);
  a.layers.forEach((l, k) => {
    assert.deepEqual(Array.from(l.W), Array.from(b.layers[k].W));
    assert.deepEqual(Array.from(l.b), Array.from(b.layers[k].b));
  });
  // The loaded graph itself is untouched (its Softmax is what validation runs).
  assert.ok(g.nodes.some((n) => n.op === 'Softmax'));
  assert.ok(withoutFinalSoftmax(g));
});

test('kept for properties with constants: lowering then refuses the Softmax, naming it (the fallback path)', () => {
  const g = withSoftmax(logits, 1);
  for (const cond of ['(>= Y_0 0.5)', '(or (and (>= Y_0 Y_2)) (and (>= Y_1 0.9)))']) {
    const { graph, transforms } = graphForBounds(g, spec(cond));
    assert.equal(graph, g, cond);
    assert.equal(transforms.length, 0);
    assert.throws(() => lowerToLayered(graph), (e: unknown) => e instanceof OnnxError && e.node?.name === 'probabilities' && /cannot lower to a layered network/.test(e.message));
  }
});
