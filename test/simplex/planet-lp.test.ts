import { test } from 'node:test';
import assert from 'node:assert/strict';
import { simplexRelaxation } from '../../src/bounds/simplex/context.js';
import { exactMinimumOverSet } from '../../src/bounds/simplex/mip.js';
import { setLp, setLpBounder } from '../../src/bounds/simplex/planet-lp.js';
import { boundingBox, simplexImage } from '../../src/problem/input-set.js';
import { makeRng, simplexCase, trueMinima, TOL, workedExampleNet } from '../helpers/simplex.js';

const unitSimplex2 = () => simplexImage(Float64Array.of(0, 0), Float64Array.of(1, 0, 0, 1), 2, 1);

test('worked example: Planet LP over the simplex -0.375, LP of (3.5) with the hull 0 = the exact minimum', async () => {
  const net = workedExampleNet();
  const set = unitSimplex2();
  const ctx = await simplexRelaxation(net, set);
  assert.deepEqual([...ctx.relax[0].lower], [-1.25, 0]);
  assert.deepEqual([...ctx.relax[0].upper], [0.75, 1]);
  const planet = await setLp(net, ctx);
  const hull = await setLp(net, ctx, { hull: true });
  assert.equal(planet.status, 'optimal');
  assert.ok(Math.abs(planet.rowLower[0] + 0.375) < 1e-7, `Planet ${planet.rowLower[0]}`);
  assert.ok(Math.abs(hull.rowLower[0]) < 1e-7, `hull ${hull.rowLower[0]}`);
  const mip = await exactMinimumOverSet(net, set, 0);
  assert.ok(Math.abs(mip.value) < 1e-7 && Math.abs(mip.valueAtX) < 1e-7);
});

test('random nets: Planet LP <= LP of (3.5) <= true minimum, through the Bounder interface too', async () => {
  const rng = makeRng(163);
  let strictly = 0;
  for (let t = 0; t < 4; t++) {
    const c = simplexCase(rng, t);
    const ctx = await simplexRelaxation(c.net, c.set);
    const planet = await setLp(c.net, ctx);
    const hull = await setLp(c.net, ctx, { hull: true });
    assert.equal(planet.status, 'optimal');
    assert.equal(hull.status, 'optimal');
    const truth = await trueMinima(c, rng);
    const box = boundingBox(c.set);
    const viaBounder = await setLpBounder({ hull: true }).bound(c.net, { size: 1, lower: box.lower, upper: box.upper, inputSets: [c.set] });
    for (let o = 0; o < c.net.outputDim; o++) {
      assert.ok(planet.rowLower[o] <= hull.rowLower[o] + 1e-7, `${c.label} row ${o}: Planet ${planet.rowLower[o]} above (3.5) ${hull.rowLower[o]}`);
      assert.ok(hull.rowLower[o] <= truth[o] + TOL, `${c.label} row ${o}: (3.5) ${hull.rowLower[o]} above a value ${truth[o]}`);
      assert.ok(Math.abs(viaBounder.rowLower[o] - hull.rowLower[o]) < 1e-9);
      if (hull.rowLower[o] > planet.rowLower[o] + 1e-6) strictly++;
    }
  }
  assert.ok(strictly >= 1, 'the hull never tightened the LP');
});
