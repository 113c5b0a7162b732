import { test } from 'node:test';
import assert from 'node:assert/strict';
import { conditionNet, hullUpper, planetUpper, simplexScales } from '../../src/bounds/simplex/hull.js';
import { forward, type LayeredNet } from '../../src/network/layered.js';
import { l1Ball, pointAt, samplePoint, simplexImage } from '../../src/problem/input-set.js';
import { makeRng, normal, randomNet } from '../helpers/random-net.js';

const relu = (v: number) => Math.max(v, 0);
const dot = (a: ArrayLike<number>, b: ArrayLike<number>) => Array.from(a).reduce((s, v, i) => s + v * b[i], 0);

test('[Th3] B.2 worked example: w = [2, 1], b = -1.25: hull y <= 0.75 x1, Planet y <= 0.75 x1 + 0.375 x2', () => {
  const hull = hullUpper([2, 1], -1.25, 1);
  assert.equal(hull.base, 0);
  assert.deepEqual([...hull.V], [0.75, 0]);
  const planet = planetUpper([2, 1], -1.25, 1);
  assert.equal(planet.lower, -1.25);
  assert.equal(planet.upper, 0.75);
  assert.ok(Math.abs(planet.base) < 1e-15);
  assert.deepEqual([...planet.V], [0.75, 0.375]);
});

test('Theorem 2: the hull is exact at the vertices, above relu on the simplex, below Planet; Prop. 3 gives Planet\'s excess at the vertices', () => {
  const rng = makeRng(2);
  for (let t = 0; t < 200; t++) {
    const m = 1 + Math.floor(rng() * 6);
    const s = t % 7 === 0 ? 1 : 0.2 + 2 * rng();
    const w = Array.from({ length: m }, () => normal(rng));
    const b = normal(rng);
    const hull = hullUpper(w, b, s);
    const planet = planetUpper(w, b, s);
    const vertices = [new Array(m).fill(0), ...w.map((_, i) => w.map((_, p) => (p === i ? s : 0)))];
    for (const u of vertices) assert.ok(Math.abs(hull.base + dot(hull.V, u) - relu(b + dot(w, u))) < 1e-12);
    for (let q = 0; q < 50; q++) {
      const cuts = Array.from({ length: m }, () => rng()).sort((p, r) => p - r);
      const u = cuts.map((v, i) => s * (v - (i ? cuts[i - 1] : 0)));
      const y = relu(b + dot(w, u));
      const h = hull.base + dot(hull.V, u);
      const p = planet.base + dot(planet.V, u);
      assert.ok(h >= y - 1e-12, `hull below relu (case ${t})`);
      assert.ok(p >= h - 1e-12, `Planet below the hull (case ${t})`);
    }
    // Prop. 3 when the vertex 0 does not set the bounds (w_min < 0 < w_max) and the neuron is ambiguous.
    const wmin = Math.min(...w);
    const wmax = Math.max(...w);
    if (s === 1 && wmin < 0 && wmax > 0 && planet.lower < 0 && planet.upper > 0) {
      w.forEach((wi, i) => {
        const excess = planet.base + planet.V[i] - relu(wi + b);
        const want = wi + b >= 0 ? (-planet.lower * (wmax - wi)) / (wmax - wmin) : (planet.upper * (wi - wmin)) / (wmax - wmin);
        assert.ok(Math.abs(excess - want) < 1e-12, `Prop. 3 at vertex ${i}: ${excess} vs ${want}`);
      });
    }
  }
});

/** Hidden post-activations of a forward pass. */
function hiddenOutputs(net: LayeredNet, x: Float64Array): Float64Array[] {
  const out: Float64Array[] = [];
  let cur = x;
  net.layers.forEach((l, k) => {
    const y = new Float64Array(l.outDim);
    for (let j = 0; j < l.outDim; j++) {
      let v = l.b[j];
      for (let i = 0; i < l.inDim; i++) v += l.W[j * l.inDim + i] * cur[i];
      y[j] = k < net.layers.length - 1 ? relu(v) : v;
    }
    if (k < net.layers.length - 1) out.push(y);
    cur = y;
  });
  return out;
}

test('simplex propagation: alpha_k bounds sum(x_k) on the set; conditioning keeps the outputs and puts every hidden layer in Δ', async () => {
  const rng = makeRng(8);
  for (let t = 0; t < 12; t++) {
    const net = randomNet(rng, [3, 8, 8, 6, 2]);
    const x0 = Float64Array.from({ length: 3 }, () => normal(rng));
    const set =
      t % 2 === 0
        ? l1Ball(x0, 0.3 + rng())
        : simplexImage(x0, Float64Array.from({ length: 3 * 4 }, () => normal(rng)), 4, 0.3 + rng());
    const { alpha } = await simplexScales(net, set);
    const { net: cond } = await conditionNet(net, set);
    const m = cond.inputDim;
    for (let q = 0; q < 300; q++) {
      const x = samplePoint(set, rng);
      hiddenOutputs(net, x).forEach((h, k) => assert.ok(h.reduce((s, v) => s + v, 0) <= alpha[k] * (1 + 1e-12) + 1e-12, `layer ${k}`));
      // Same point in the conditioned net's unit-simplex coordinates.
      const cuts = Array.from({ length: m }, () => rng()).sort((p, r) => p - r);
      const u = Float64Array.from(cuts, (v, i) => v - (i ? cuts[i - 1] : 0));
      const z = u.map((v) => v * set.r);
      const want = forward(net, pointAt(set, z));
      const got = forward(cond, u);
      for (let o = 0; o < want.length; o++) assert.ok(Math.abs(got[o] - want[o]) < 1e-9 * (1 + Math.abs(want[o])));
      for (const h of hiddenOutputs(cond, u)) assert.ok(h.reduce((s, v) => s + v, 0) <= 1 + 1e-9);
    }
    // The bound is attained at a vertex: a vertex reaches alpha_0 exactly.
    const vals = [new Float64Array(m), ...Array.from({ length: m }, (_, i) => Float64Array.from({ length: m }, (_, p) => (p === i ? set.r : 0)))].map(
      (z) => hiddenOutputs(net, pointAt(set, z))[0].reduce((s, v) => s + v, 0),
    );
    assert.ok(Math.abs(Math.max(...vals) - alpha[0]) < 1e-12);
  }
});
