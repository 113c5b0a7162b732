import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  argminLinear,
  boundingBox,
  generatorCount,
  generatorsTimes,
  l1Ball,
  minLinear,
  minLinearRows,
  pointAt,
  samplePoint,
  simplexImage,
  simplexVertices,
  type SimplexSet,
} from '../src/problem/input-set.js';
import { LpBuilder, createModel, getHighs } from '../src/bounds/highs-model.js';
import { makeRng, normal } from './helpers/random-net.js';

const dot = (a: ArrayLike<number>, b: ArrayLike<number>) => {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i] * b[i];
  return s;
};

/** min over the explicit vertex list: the brute-force oracle of a linear function over a simplex image. */
function vertexMin(set: SimplexSet, a: Float64Array, c: number): number {
  return Math.min(...simplexVertices(set).map((v) => dot(a, v) + c));
}

test('minLinear over random simplex images equals the minimum over their vertices', () => {
  const rng = makeRng(16);
  for (let t = 0; t < 200; t++) {
    const n0 = 1 + Math.floor(rng() * 5);
    const m = 1 + Math.floor(rng() * 6);
    const x0 = Float64Array.from({ length: n0 }, () => normal(rng));
    const M = Float64Array.from({ length: n0 * m }, () => normal(rng));
    const r = t % 10 === 0 ? 0 : 2 * rng();
    const set = simplexImage(x0, M, m, r);
    const a = Float64Array.from({ length: n0 }, () => normal(rng));
    const c = normal(rng);
    const want = vertexMin(set, a, c);
    const got = minLinear(set, a, c);
    assert.ok(Math.abs(got - want) <= 1e-12 * (1 + Math.abs(want)), `case ${t}: ${got} vs ${want}`);
  }
});

test('the vertex 0 counts: all-positive coefficients give a·x0 + c', () => {
  const set = simplexImage(Float64Array.of(1, 2), Float64Array.of(1, 0, 0, 1), 2, 3);
  assert.equal(minLinear(set, Float64Array.of(1, 1), 0.5), 3.5);
  // One negative generator coefficient: vertex r·e_2 with value 3.5 - 3·1.
  assert.equal(minLinear(set, Float64Array.of(1, -1), 0), -1 - 3);
});

test('ℓ1 ball: implicit generators agree with explicit [e1,-e1,...], value a·x0 - eps‖a‖∞', () => {
  const rng = makeRng(3);
  for (let t = 0; t < 50; t++) {
    const n0 = 1 + Math.floor(rng() * 6);
    const x0 = Float64Array.from({ length: n0 }, () => normal(rng));
    const eps = rng();
    const ball = l1Ball(x0, eps);
    assert.equal(generatorCount(ball), 2 * n0);
    const M = new Float64Array(n0 * 2 * n0);
    for (let i = 0; i < n0; i++) {
      M[i * 2 * n0 + 2 * i] = 1;
      M[i * 2 * n0 + 2 * i + 1] = -1;
    }
    const dense = simplexImage(x0, M, 2 * n0, eps);
    const a = Float64Array.from({ length: n0 }, () => normal(rng));
    const want = dot(a, x0) - eps * Math.max(...Array.from(a, Math.abs));
    assert.ok(Math.abs(minLinear(ball, a, 0) - want) < 1e-12);
    assert.ok(Math.abs(minLinear(dense, a, 0) - want) < 1e-12);
    assert.ok(Math.abs(vertexMin(ball, a, 0) - want) < 1e-12);
    assert.deepEqual([...generatorsTimes(ball, a)], [...generatorsTimes(dense, a)]);
    const z = Float64Array.from({ length: 2 * n0 }, () => rng());
    assert.deepEqual([...pointAt(ball, z)], [...pointAt(dense, z)]);
  }
});

test('degenerate inputs: r = 0 with infinite coefficients, NaN coefficients, invalid radius', () => {
  const set = l1Ball(Float64Array.of(1, 1), 0);
  assert.equal(minLinear(set, Float64Array.of(2, 3), 1), 6);
  const s2 = simplexImage(Float64Array.of(0), Float64Array.of(1, -1), 2, 0);
  assert.equal(minLinear(s2, Float64Array.of(5), 0), 0);
  assert.equal(minLinear(l1Ball(Float64Array.of(0, 0), 1), Float64Array.of(NaN, 1), 0), -Infinity);
  assert.equal(minLinear(simplexImage(Float64Array.of(0), Float64Array.of(1, -1), 2, 1), Float64Array.of(NaN), 0), -Infinity);
  assert.throws(() => l1Ball(Float64Array.of(0), -1), /radius/);
  assert.throws(() => l1Ball(Float64Array.of(0), NaN), /radius/);
  assert.throws(() => simplexImage(Float64Array.of(0, 0), Float64Array.of(1), 1, 1), /entries/);
  assert.throws(() => l1Ball(Float64Array.of(2), 1, { lower: Float64Array.of(0), upper: Float64Array.of(1) }), /outside the clip box/);
});

test('bounding box: contains every vertex and is attained coordinatewise', () => {
  const rng = makeRng(5);
  for (let t = 0; t < 30; t++) {
    const n0 = 1 + Math.floor(rng() * 4);
    const m = 1 + Math.floor(rng() * 4);
    const set = simplexImage(
      Float64Array.from({ length: n0 }, () => normal(rng)),
      Float64Array.from({ length: n0 * m }, () => normal(rng)),
      m,
      rng(),
    );
    const { lower, upper } = boundingBox(set);
    const V = simplexVertices(set);
    for (let i = 0; i < n0; i++) {
      const vals = V.map((v) => v[i]);
      assert.ok(Math.abs(Math.min(...vals) - lower[i]) < 1e-12);
      assert.ok(Math.abs(Math.max(...vals) - upper[i]) < 1e-12);
    }
  }
});

/** Exact LP: min a·x + c over the ℓ1 ball ∩ clip box, x = x0 + p - q, p, q >= 0, sum(p + q) <= eps. */
async function clippedLp(set: SimplexSet, a: Float64Array, c: number): Promise<number> {
  const highs = await getHighs();
  const n0 = set.x0.length;
  const B = new LpBuilder();
  const clip = set.clip as NonNullable<SimplexSet['clip']>;
  for (let i = 0; i < n0; i++) {
    // p_i in [0, upper - x0], q_i in [0, x0 - lower]: the clip box as column bounds.
    B.addCol(0, clip.upper[i] - set.x0[i]);
    B.addCol(0, set.x0[i] - clip.lower[i]);
    B.colCost[2 * i] = a[i];
    B.colCost[2 * i + 1] = -a[i];
  }
  B.addRow(-Infinity, set.r, Array.from({ length: 2 * n0 }, (_, j) => j), new Array(2 * n0).fill(1));
  B.offset = c + dot(a, set.x0);
  const model = createModel(highs, B);
  try {
    assert.equal(model.run().modelStatus, 7);
    return model.getObjectiveValue();
  } finally {
    model.dispose();
  }
}

test('ℓ1 ball ∩ clip box: the greedy concretisation equals the LP, samples stay above it', async () => {
  const rng = makeRng(11);
  for (let t = 0; t < 40; t++) {
    const n0 = 1 + Math.floor(rng() * 6);
    const x0 = Float64Array.from({ length: n0 }, () => rng());
    const set = l1Ball(x0, 1.5 * rng(), { lower: new Float64Array(n0), upper: new Float64Array(n0).fill(1) });
    const a = Float64Array.from({ length: n0 }, () => normal(rng));
    const c = normal(rng);
    const got = minLinear(set, a, c);
    const want = await clippedLp(set, a, c);
    assert.ok(Math.abs(got - want) < 1e-9, `case ${t}: ${got} vs LP ${want}`);
    assert.ok(got >= minLinear(l1Ball(x0, set.r), a, c) - 1e-12, 'clipping can only raise the minimum');
    for (let s = 0; s < 50; s++) {
      const x = samplePoint(set, rng);
      assert.ok(dot(a, x) + c >= got - 1e-12);
      let l1 = 0;
      for (let i = 0; i < n0; i++) l1 += Math.abs(x[i] - x0[i]);
      assert.ok(l1 <= set.r + 1e-12 && x.every((v) => v >= 0 && v <= 1));
    }
  }
});

test('minLinearRows matches minLinear row by row', () => {
  const set = simplexImage(Float64Array.of(0.5, -1), Float64Array.of(1, 2, -1, 0, 1, 3), 3, 0.7);
  const A = Float64Array.of(1, 2, -3, 0.5, 0, 0);
  const c = [1, -1, 0];
  const out = minLinearRows(set, A, c, 3);
  for (let r = 0; r < 3; r++) assert.equal(out[r], minLinear(set, A.subarray(2 * r, 2 * r + 2), c[r]));
});

test('argminLinear attains minLinear and lies in the set (plain, clipped ℓ1, dense, box)', () => {
  const rng = makeRng(23);
  for (let t = 0; t < 60; t++) {
    const n0 = 1 + Math.floor(rng() * 5);
    const x0 = Float64Array.from({ length: n0 }, () => rng());
    const m = 1 + Math.floor(rng() * 4);
    const sets = [
      l1Ball(x0, rng()),
      l1Ball(x0, 2 * rng(), { lower: new Float64Array(n0), upper: new Float64Array(n0).fill(1) }),
      simplexImage(x0, Float64Array.from({ length: n0 * m }, () => normal(rng)), m, rng()),
    ];
    const a = Float64Array.from({ length: n0 }, () => normal(rng));
    for (const set of sets) {
      const x = argminLinear(set, a);
      assert.ok(Math.abs(dot(a, x) + 0.25 - minLinear(set, a, 0.25)) < 1e-12);
      if (set.generators.kind === 'signed-identity') {
        let l1 = 0;
        for (let i = 0; i < n0; i++) l1 += Math.abs(x[i] - x0[i]);
        assert.ok(l1 <= set.r + 1e-12);
        if (set.clip) assert.ok(x.every((v) => v >= 0 && v <= 1));
      }
    }
    const box = { kind: 'box' as const, lower: Float64Array.of(...x0), upper: Float64Array.from(x0, (v) => v + 1) };
    assert.equal(dot(a, argminLinear(box, a)), minLinear(box, a, 0));
  }
});
