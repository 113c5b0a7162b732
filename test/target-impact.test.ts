import { test } from 'node:test';
import assert from 'node:assert/strict';
import { targetImpact } from '../src/bab/refine/target-impact.js';
import { crown } from '../src/bounds/crown.js';
import type { LayeredNet } from '../src/network/layered.js';
import { makeRng, randomBox, randomNet } from './helpers/random-net.js';

/**
 * y = c - sum_j w_j relu(x_j) over x in [-1, 1]^4: each hidden neuron reads its own input, so CROWN's bound is
 * the sum of the neurons' own terms. Neuron j's upper relaxation costs w_j (at x_j = 1) and proving it never above
 * 0 removes exactly that.
 */
function separable(w: readonly number[], c: number): LayeredNet {
  const n = w.length;
  const W1 = new Float64Array(n * n);
  for (let j = 0; j < n; j++) W1[j * n + j] = 1;
  return {
    inputShape: [1, n],
    inputDim: n,
    outputDim: 1,
    layers: [
      { inDim: n, outDim: n, W: W1, b: new Float64Array(n) },
      { inDim: n, outDim: 1, W: Float64Array.from(w, (v) => -v), b: Float64Array.of(c) },
    ],
  };
}

const unitBox = (n: number) => ({ lower: new Float64Array(n).fill(-1), upper: new Float64Array(n).fill(1) });
const pre = (n: number) => ({ preLower: [new Float64Array(n).fill(-1)], preUpper: [new Float64Array(n).fill(1)] });

test('a neuron gains what its relaxation costs the output row: nothing without a path to it, in proportion to its weight', async () => {
  const w = [0, 1, 2, 4];
  const net = separable(w, 0);
  const { lower, upper } = unitBox(4);
  const targets = w.map((_, j) => ({ j, side: -1 as const }));
  const { gain, deficit } = await targetImpact(net, lower, upper, pre(4), 0, targets);
  assert.ok(Math.abs(deficit - 7) < 1e-9, `deficit ${deficit}`);
  w.forEach((wj, j) => assert.ok(Math.abs(gain[j] - wj) < 1e-9, `neuron ${j}: gain ${gain[j]}, expected ${wj}`));
});

test('a gain counts only the deficit it can close: none once the row is positive, at most the deficit', async () => {
  const { lower, upper } = unitBox(3);
  const targets = [0, 1, 2].map((j) => ({ j, side: -1 as const }));
  // Bound 10 - 6 = 4 > 0: nothing to gain.
  const closed = await targetImpact(separable([1, 2, 3], 10), lower, upper, pre(3), 0, targets);
  assert.equal(closed.deficit, 0);
  assert.deepEqual(Array.from(closed.gain), [0, 0, 0]);
  // Bound 4.5 - 6 = -1.5: neuron 2 alone would move it by 3, but only 1.5 was missing.
  const near = await targetImpact(separable([1, 2, 3], 4.5), lower, upper, pre(3), 0, targets);
  assert.ok(Math.abs(near.deficit - 1.5) < 1e-9);
  assert.ok(Math.abs(near.gain[2] - 1.5) < 1e-9, `gain ${near.gain[2]}`);
  assert.ok(Math.abs(near.gain[0] - 1) < 1e-9, `gain ${near.gain[0]}`);
});

test('on random networks a gain is what CROWN gains with the neuron clamped and the layers kept (checked one by one)', async () => {
  const rng = makeRng(7);
  const net = randomNet(rng, [5, 12, 12, 3]);
  const { lower, upper } = randomBox(rng, 5, 2);
  const first = await crown().bound(net, { size: 1, lower, upper });
  const bounds = { preLower: first.preLower, preUpper: first.preUpper };
  const k = 1;
  const targets = Array.from({ length: 12 }, (_, j) => ({ j, side: (j % 2 === 0 ? 1 : -1) as 1 | -1 })).filter((t) => bounds.preLower[k][t.j] < 0 && bounds.preUpper[k][t.j] > 0);
  assert.ok(targets.length >= 3, 'too few ambiguous neurons to test');
  const { gain, deficit } = await targetImpact(net, lower, upper, bounds, k, targets);
  const fixed = Int32Array.of(net.layers.length - 1);
  const base = await crown().bound(net, { size: 1, lower, upper, ...bounds, freshFrom: fixed });
  assert.ok(Math.abs(deficit - Array.from(base.rowLower).reduce((s, v) => s + Math.max(0, -v), 0)) < 1e-9);
  let positive = 0;
  for (const [p, t] of targets.entries()) {
    const l = bounds.preLower.map((a) => a.slice());
    const u = bounds.preUpper.map((a) => a.slice());
    if (t.side > 0) l[k][t.j] = 0;
    else u[k][t.j] = 0;
    const one = await crown().bound(net, { size: 1, lower, upper, preLower: l, preUpper: u, freshFrom: fixed });
    let expected = 0;
    for (let r = 0; r < net.outputDim; r++) expected += Math.min(Math.max(0, one.rowLower[r] - base.rowLower[r]), Math.max(0, -base.rowLower[r]));
    assert.ok(Math.abs(gain[p] - expected) < 1e-9 * (1 + expected), `target ${p}: ${gain[p]} vs ${expected}`);
    if (gain[p] > 0) positive++;
  }
  assert.ok(positive > 0, 'no target gained anything');
});

test('a tightening gains what its bound, moved to the value seen, takes off the relaxation', async () => {
  // Neuron 0's upper bound 1 -> 0.5 (side -1, seen -0.5): its output is then at most 0.5, so the interval bound of
  // the row, which CROWN keeps when better than its own (chord: 2/3 at x = 1), is -3·0.5 - 3·1 = -4.5 against -6.
  // Neuron 1 stays as it is.
  const net = separable([3, 3], 0);
  const { lower, upper } = unitBox(2);
  const { gain, deficit } = await targetImpact(net, lower, upper, pre(2), 0, [{ j: 0, side: -1, tighten: { seen: -0.5, slack: 0.25 } }]);
  assert.ok(Math.abs(deficit - 6) < 1e-9, `deficit ${deficit}`);
  assert.ok(Math.abs(gain[0] - 1.5) < 1e-9, `gain ${gain[0]}, expected 1.5`);
});
