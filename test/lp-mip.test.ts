import { test } from 'node:test';
import assert from 'node:assert/strict';
import { forward } from '../src/network/layered.js';
import { intervalBounds } from '../src/bounds/highs-model.js';
import { planetLp, planetLpIntermediate } from '../src/bounds/lp.js';
import { exactMinimum } from '../src/bounds/mip.js';
import { ldNet, samplePoint, thesisNet, tinyRandomNet, tinyRng } from './helpers/tiny-nets.js';

const close = (a: number, b: number, tol: number, msg?: string) =>
  assert.ok(Math.abs(a - b) <= tol, `${msg ?? ''} expected ${b}, got ${a}`);

test('thesis A.6.1: LP-tight intermediate bounds, Planet LP -1.2273, MIP -1', async () => {
  const { net, lower, upper } = thesisNet();
  const ib = await planetLpIntermediate(net, lower, upper);
  assert.equal(ib.status, 'optimal');
  assert.deepEqual([...ib.preLower[0]], [-3, -1]);
  assert.deepEqual([...ib.preUpper[0]], [1, 3]);
  close(ib.preLower[1][0], -2.25, 1e-7, 'lhat2[0]');
  close(ib.preLower[1][1], -0.5, 1e-7, 'lhat2[1]');
  close(ib.preUpper[1][0], 3, 1e-7, 'uhat2[0]');
  close(ib.preUpper[1][1], 2.25, 1e-7, 'uhat2[1]');
  const lp = await planetLp(net, lower, upper, ib.preLower, ib.preUpper);
  assert.equal(lp.status, 'optimal');
  close(lp.rowLower[0], -27 / 22, 1e-6, 'planet');
  close(lp.rowLower[0], -1.2273, 1e-4, 'planet');
  assert.equal(lp.argmin[0].length, 2);
  const mip = await exactMinimum(net, lower, upper, 'all');
  assert.equal(mip.status, 'optimal');
  close(mip.value, -1, 1e-7, 'mip');
  close(mip.valueAtX, -1, 1e-7, 'forward at x');
  close(forward(net, mip.x)[0], mip.value, 1e-7);
  // interval-only Big-M is exact too
  const mip2 = await exactMinimum(net, lower, upper, [0], { tighten: 'interval' });
  close(mip2.value, -1, 1e-7, 'mip interval bounds');
});

test('[LD] two-ReLU net: Planet LP -6 with interval bounds, true minimum -4', async () => {
  const { net, lower, upper } = ldNet();
  const ib = intervalBounds(net, lower, upper);
  assert.deepEqual([...ib.preLower[0]], [-4, -4]);
  assert.deepEqual([...ib.preUpper[0]], [4, 4]);
  const lp = await planetLp(net, lower, upper, ib.preLower, ib.preUpper);
  close(lp.rowLower[0], -6, 1e-7, 'planet');
  const mip = await exactMinimum(net, lower, upper, 'all');
  assert.equal(mip.status, 'optimal');
  close(mip.value, -4, 1e-7, 'mip');
  close(forward(net, mip.x)[0], -4, 1e-7, 'forward at x');
});

test('split domains: infeasible pre-activation bounds and a leaf with no ambiguous ReLU', async () => {
  const { net, lower, upper } = ldNet();
  // xhat1[0] = x1+x2 >= 3 and xhat1[1] = x1-x2 >= 3 is impossible on [-2,2]^2 (x1 >= 3).
  const pl = [Float64Array.of(3, 3)];
  const pu = [Float64Array.of(4, 4)];
  const lp = await planetLp(net, lower, upper, pl, pu, { mayBeEmpty: true });
  assert.equal(lp.status, 'infeasible');
  assert.equal(lp.rowLower[0], Infinity);
  // Without split constraints behind the bounds, infeasibility proves nothing: no bound.
  const unproved = await planetLp(net, lower, upper, pl, pu);
  assert.equal(unproved.status, 'error');
  assert.equal(unproved.rowLower[0], -Infinity);
  const mip = await exactMinimum(net, lower, upper, 'all', { preLower: pl, preUpper: pu });
  assert.equal(mip.status, 'infeasible');
  // Leaf with both neurons active: y = -2 x1 on {x1+x2>=0, x1-x2>=0}, min -4 at x1 = 2.
  const al = [Float64Array.of(0, 0)];
  const au = [Float64Array.of(4, 4)];
  const leaf = await planetLp(net, lower, upper, al, au);
  close(leaf.rowLower[0], -4, 1e-7, 'leaf LP');
  close(forward(net, leaf.argmin[0])[0], -4, 1e-7, 'leaf argmin');
  const leafMip = await exactMinimum(net, lower, upper, [0], { preLower: al, preUpper: au });
  close(leafMip.value, -4, 1e-7, 'leaf MIP');
});

test('random small nets: LP <= MIP <= sampled values, MIP attained at its x', async () => {
  for (let seed = 1; seed <= 15; seed++) {
    const net = tinyRandomNet(1000 + seed, [4, 8, 8, 3]);
    const rng = tinyRng(seed);
    const lower = new Float64Array(4);
    const upper = new Float64Array(4);
    for (let i = 0; i < 4; i++) {
      const c = 2 * rng() - 1;
      const r = 0.2 + 0.8 * rng();
      lower[i] = c - r;
      upper[i] = c + r;
    }
    const samples = Array.from({ length: 5000 }, () => forward(net, samplePoint(rng, lower, upper)));
    const ib = await planetLpIntermediate(net, lower, upper);
    const iv = intervalBounds(net, lower, upper);
    for (let k = 0; k < ib.preLower.length; k++) {
      for (let j = 0; j < ib.preLower[k].length; j++) {
        assert.ok(ib.preLower[k][j] >= iv.preLower[k][j] - 1e-9 && ib.preUpper[k][j] <= iv.preUpper[k][j] + 1e-9, 'LP-tight bounds inside interval ones');
      }
    }
    const lp = await planetLp(net, lower, upper, ib.preLower, ib.preUpper);
    const lpLoose = await planetLp(net, lower, upper, iv.preLower, iv.preUpper);
    let maxRowMin = -Infinity;
    for (let r = 0; r < net.outputDim; r++) {
      const mip = await exactMinimum(net, lower, upper, [r]);
      assert.equal(mip.status, 'optimal');
      const sampledMin = Math.min(...samples.map((y) => y[r]));
      assert.ok(mip.value <= sampledMin + 1e-7, `seed ${seed} row ${r}: MIP ${mip.value} > sample ${sampledMin}`);
      close(forward(net, mip.x)[r], mip.value, 1e-7, `seed ${seed} row ${r}: g(x)`);
      assert.ok(lp.rowLower[r] <= mip.value + 1e-7, `seed ${seed} row ${r}: LP ${lp.rowLower[r]} > MIP ${mip.value}`);
      assert.ok(lpLoose.rowLower[r] <= lp.rowLower[r] + 1e-7, `seed ${seed} row ${r}: loose LP above tight LP`);
      assert.ok(mip.lowerBound <= mip.value + 1e-9);
      // LP objective at its input point: the relaxation value is <= the true value there
      const yLp = forward(net, lp.argmin[r]);
      assert.ok(lp.rowLower[r] <= yLp[r] + 1e-7);
      for (let i = 0; i < 4; i++) assert.ok(lp.argmin[r][i] >= lower[i] && lp.argmin[r][i] <= upper[i]);
      const mipInterval = await exactMinimum(net, lower, upper, [r], { tighten: 'interval' });
      close(mipInterval.value, mip.value, 1e-7, `seed ${seed} row ${r}: interval vs LP bounds`);
      maxRowMin = Math.max(maxRowMin, mip.value);
    }
    const all = await exactMinimum(net, lower, upper, 'all');
    assert.equal(all.status, 'optimal');
    assert.ok(all.value >= maxRowMin - 1e-7, `seed ${seed}: min max ${all.value} < max min ${maxRowMin}`);
    const sampledMinMax = Math.min(...samples.map((y) => Math.max(...y)));
    assert.ok(all.value <= sampledMinMax + 1e-7, `seed ${seed}: all-rows MIP above a sample`);
    close(Math.max(...forward(net, all.x)), all.value, 1e-7, `seed ${seed}: all-rows g(x)`);
    close(all.valueAtX, all.value, 1e-7);
  }
});

test('time limit: status timeout or optimal, never wrong', async () => {
  const net = tinyRandomNet(77, [5, 30, 30, 30, 5]);
  const lower = new Float64Array(5).fill(-1);
  const upper = new Float64Array(5).fill(1);
  const res = await exactMinimum(net, lower, upper, 'all', { timeLimit: 0.05, tighten: 'interval' });
  assert.ok(res.status === 'timeout' || res.status === 'optimal');
  if (res.x.length) close(res.valueAtX, res.value, 1e-6);
  assert.ok(res.lowerBound <= res.value);
});

test('identity (skip) neurons pass through in LP and MIP', async () => {
  for (let seed = 1; seed <= 4; seed++) {
    const base = tinyRandomNet(500 + seed, [3, 6, 6, 2]);
    const net = {
      ...base,
      layers: base.layers.map((l, k) => (k < base.layers.length - 1 ? { ...l, identity: Uint8Array.of(1, 1, 0, 0, 0, 0) } : l)),
    };
    const lower = new Float64Array(3).fill(-1);
    const upper = new Float64Array(3).fill(1);
    const rng = tinyRng(seed);
    const samples = Array.from({ length: 3000 }, () => forward(net, samplePoint(rng, lower, upper)));
    const ib = await planetLpIntermediate(net, lower, upper);
    const lp = await planetLp(net, lower, upper, ib.preLower, ib.preUpper);
    for (let r = 0; r < 2; r++) {
      const mip = await exactMinimum(net, lower, upper, [r]);
      assert.equal(mip.status, 'optimal');
      assert.ok(mip.value <= Math.min(...samples.map((y) => y[r])) + 1e-7);
      close(forward(net, mip.x)[r], mip.value, 1e-7);
      assert.ok(lp.rowLower[r] <= mip.value + 1e-7);
    }
  }
});
