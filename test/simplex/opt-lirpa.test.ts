import { test } from 'node:test';
import assert from 'node:assert/strict';
import { simplexRelaxation } from '../../src/bounds/simplex/context.js';
import { simplexCrownRows } from '../../src/bounds/simplex/crown.js';
import { optLirpaPlanet, optLirpaRows } from '../../src/bounds/simplex/opt-lirpa.js';
import { setLp } from '../../src/bounds/simplex/planet-lp.js';
import { boundingBox } from '../../src/problem/input-set.js';
import { makeRng, simplexCase, trueMinima, TOL } from '../helpers/simplex.js';

test('Opt-LiRPA Planet over the set: CROWN <= Opt-LiRPA <= Planet LP (same intermediate bounds) <= true minimum', async () => {
  const rng = makeRng(164);
  let improved = 0;
  for (let t = 0; t < 4; t++) {
    const c = simplexCase(rng, t);
    const ctx = await simplexRelaxation(c.net, c.set);
    const cr = await simplexCrownRows(c.net, ctx);
    const ol = await optLirpaRows(c.net, ctx);
    const lp = await setLp(c.net, ctx);
    const truth = await trueMinima(c, rng);
    const box = boundingBox(c.set);
    const viaBounder = await optLirpaPlanet().bound(c.net, { size: 1, lower: box.lower, upper: box.upper, inputSets: [c.set] });
    for (let o = 0; o < c.net.outputDim; o++) {
      const at = `${c.label} row ${o}`;
      assert.ok(ol.rowLower[o] >= cr.rowLower[o] - 1e-12, `${at}: below CROWN`);
      assert.ok(ol.rowLower[o] <= lp.rowLower[o] + 1e-7, `${at}: Opt-LiRPA ${ol.rowLower[o]} above the Planet LP ${lp.rowLower[o]}`);
      assert.ok(ol.rowLower[o] <= truth[o] + TOL, `${at}: above a value of the network`);
      assert.ok(Math.abs(viaBounder.rowLower[o] - ol.rowLower[o]) < 1e-12);
      if (ol.rowLower[o] > cr.rowLower[o] + 1e-6) improved++;
    }
  }
  assert.ok(improved >= 1, 'the slopes never improved on CROWN');
});
