import { test } from 'node:test';
import assert from 'node:assert/strict';
import { projectL1, slideAttack } from '../src/attack/slide.js';
import { foldOutputRows, forward } from '../src/network/layered.js';
import { exactMinimumOverSet } from '../src/bounds/simplex/mip.js';
import { l1Ball } from '../src/problem/input-set.js';
import { makeRng, normal, randomNet } from './helpers/random-net.js';

test('projectL1: onto the l1 ball, the identity inside it, the closest point (checked against perturbations)', () => {
  const rng = makeRng(3);
  for (let t = 0; t < 50; t++) {
    const d = Float64Array.from({ length: 6 }, () => 2 * normal(rng));
    const eps = 0.1 + 2 * rng();
    const p = d.slice();
    projectL1(p, eps);
    const norm = p.reduce((s, v) => s + Math.abs(v), 0);
    const inside = d.reduce((s, v) => s + Math.abs(v), 0) <= eps;
    if (inside) assert.deepEqual(p, d);
    else assert.ok(Math.abs(norm - eps) < 1e-9, `norm ${norm} vs ${eps}`);
    // No other point of the ball is closer to d (random directions along the ball's surface and inside).
    const dist = (q: Float64Array) => Math.hypot(...Array.from(q, (v, i) => v - d[i]));
    for (let k = 0; k < 20; k++) {
      const q = Float64Array.from(p, (v) => v + 0.05 * normal(rng));
      projectL1(q, eps);
      assert.ok(dist(q) >= dist(p) - 1e-9);
    }
  }
});

test('SLIDE finds points of the l1 ball where a row is negative whenever the exact minimum is clearly so', async () => {
  const rng = makeRng(11);
  let found = 0;
  let negative = 0;
  for (let t = 0; t < 16; t++) {
    const net = randomNet(rng, [5, 10, 10, 2]);
    const x0 = Float64Array.from({ length: 5 }, () => normal(rng));
    const y = forward(net, x0);
    const label = y[0] >= y[1] ? 0 : 1;
    const row = foldOutputRows(net, label === 0 ? Float64Array.of(1, -1) : Float64Array.of(-1, 1), new Float64Array(1));
    const eps = 1 + 2 * rng();
    const exact = await exactMinimumOverSet(row, l1Ball(x0, eps), 0);
    const r = await slideAttack(row, x0, { eps, steps: 200, q: 0.2 });
    // The point is in the ball, and its value is the network's there.
    assert.ok(Array.from(r.x).reduce((s, v, i) => s + Math.abs(v - x0[i]), 0) <= eps * (1 + 1e-9));
    assert.ok(Math.abs(forward(row, r.x)[0] - r.value) < 1e-9);
    assert.ok(r.value >= exact.value - 1e-7, 'never below the exact minimum');
    if (exact.value < -0.05) {
      negative++;
      if (r.value <= 0) found++;
    }
  }
  assert.ok(negative >= 3 && found >= negative - 1, `found ${found} of ${negative}`);
});
