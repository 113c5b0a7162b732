import { test } from 'node:test';
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import assert from 'node:assert/strict';
import { parseVnnlib } from '../src/vnnlib/parse.js';
import { regionInputSet } from '../src/vnnlib/input-set.js';
import { minLinear, simplexVertices, type SimplexSet } from '../src/problem/input-set.js';

const FILE = 'cut.vnnlib';
const root = resolve(import.meta.dirname, '..', '..');
const header = (n: number) =>
  Array.from({ length: n }, (_, i) => `(declare-const X_${i} Real)`).join('\n') + '\n(declare-const Y_0 Real)\n';
const box = (bounds: [number, number][]) => bounds.map(([l, u], i) => `(assert (>= X_${i} ${l}))\n(assert (<= X_${i} ${u}))`).join('\n') + '\n';
const linear = (text: string) => parseVnnlib(text, FILE, { linearInputs: true });

const sortedVertices = (s: SimplexSet) => simplexVertices(s).map((v) => [...v]).sort((a, b) => a[0] - b[0] || a[1] - b[1]);

test('the default parse still refuses constraints over several inputs (box-only code must never see them)', () => {
  const text = header(2) + box([[0, 1], [0, 1]]) + '(assert (<= (+ X_0 X_1) 0.5))\n(assert (<= Y_0 0))\n';
  assert.throws(() => parseVnnlib(text, FILE), /cut\.vnnlib:\d+:\d+: unsupported: linear constraint over several inputs/);
  const spec = linear(text);
  assert.equal(spec.regions.length, 1);
  assert.equal(spec.regions[0].inequalities?.length, 1);
  assert.deepEqual([...spec.regions[0].inequalities![0].coef], [1, 1]);
  assert.equal(spec.regions[0].inequalities![0].rhs, 0.5);
});

test('X_0 + X_1 <= 0.5 on [0,1]^2 is the simplex with vertices (0,0), (0.5,0), (0,0.5)', () => {
  const spec = linear(header(2) + box([[0, 1], [0, 1]]) + '(assert (<= (+ X_0 X_1) 0.5))\n(assert (<= Y_0 0))\n');
  const set = regionInputSet(spec.regions[0]);
  assert.equal(set.kind, 'simplex');
  assert.deepEqual(sortedVertices(set as SimplexSet), [[0, 0], [0, 0.5], [0.5, 0]]);
});

test('a cut at the upper corner (X_0 + 2 X_1 >= 2.5 on [0,1]^2) and a fixed input', () => {
  const spec = linear(header(3) + box([[0, 1], [0, 1], [0.25, 0.25]]) + '(assert (>= (+ X_0 (* 2 X_1)) 2.5))\n(assert (<= Y_0 0))\n');
  const set = regionInputSet(spec.regions[0]) as SimplexSet;
  assert.equal(set.kind, 'simplex');
  // Corner (1, 1, 0.25), slack 0.5: X_0 down to 0.5 or X_1 down to 0.75.
  const V = simplexVertices(set).map((v) => [...v]);
  assert.deepEqual(V, [
    [1, 1, 0.25],
    [0.5, 1, 0.25],
    [1, 0.75, 0.25],
  ]);
  // min of -X_0 - X_1 over the region is at the corner: -2.
  assert.equal(minLinear(set, Float64Array.of(-1, -1, 0), 0), -2);
});

test('an inequality inside a disjunction gives one region per disjunct', () => {
  const spec = linear(header(2) + box([[0, 1], [0, 1]]) + '(assert (or (and (<= (+ X_0 X_1) 0.5) (<= Y_0 0)) (and (>= Y_0 3))))\n');
  assert.equal(spec.regions.length, 2);
  assert.equal(regionInputSet(spec.regions[0]).kind, 'simplex');
  assert.equal(regionInputSet(spec.regions[1]).kind, 'box');
});

test('forms that are not simplices are refused with file:line:col', () => {
  const two = header(2) + box([[0, 1], [0, 1]]) + '(assert (<= (+ X_0 X_1) 0.5))\n(assert (<= (- X_0 X_1) 0.2))\n(assert (<= Y_0 0))\n';
  assert.throws(() => regionInputSet(linear(two).regions[0]), /cut\.vnnlib:9:9: unsupported: 2 linear constraints/);
  const free = header(3) + box([[0, 1], [0, 1], [0, 1]]) + '(assert (<= (+ X_0 X_1) 0.5))\n(assert (<= Y_0 0))\n';
  assert.throws(() => regionInputSet(linear(free).regions[0]), /cut\.vnnlib:\d+:\d+: unsupported: X_2 is neither/);
  const mixed = header(2) + box([[0, 1], [0, 1]]) + '(assert (<= (- X_0 X_1) -2))\n(assert (<= Y_0 0))\n';
  assert.throws(() => regionInputSet(linear(mixed).regions[0]), /excludes the box corner/);
  const xy = header(2) + box([[0, 1], [0, 1]]) + '(assert (<= (+ X_0 Y_0) 0.5))\n';
  assert.throws(() => linear(xy), /cut\.vnnlib:\d+:\d+: unsupported: constraint mixes inputs \(X\) and outputs \(Y\)/);
});

test('specs/two_relu_simplex_unsat.vnnlib: unsat over the triangle (Simplex Verify proves it), sat over its box', async () => {
  const { lowerToLayered } = await import('../src/network/lower.js');
  const { loadOnnx } = await import('../src/onnx/load.js');
  const { compileProblem } = await import('../src/problem/compile.js');
  const { readVnnlib } = await import('../src/vnnlib/parse.js');
  const { simplexVerify } = await import('../src/bounds/simplex/simplex-verify.js');
  const { forward } = await import('../src/network/layered.js');
  const net0 = lowerToLayered(loadOnnx(new Uint8Array(readFileSync(join(root, 'networks', 'two_relu.onnx'))), 'two_relu.onnx'));
  const spec = readVnnlib(join(root, 'specs', 'two_relu_simplex_unsat.vnnlib'), { linearInputs: true });
  const region = spec.regions[0];
  const canon = compileProblem(net0, spec).boxes[0];
  const set = regionInputSet(region);
  const res = await simplexVerify().bound(canon.net, { size: 1, lower: region.lower, upper: region.upper, inputSets: [set] });
  assert.ok(res.rowLower[0] > canon.margin[0], `bound ${res.rowLower[0]}`);
  assert.ok(Math.abs(res.rowLower[0] - 0.5) < 1e-9, 'exact here: min y = -3 at (1, -2)');
  // The box alone reaches the unsafe set at (2, -2).
  assert.ok(forward(canon.net, Float64Array.of(2, -2))[0] <= 0);
});
