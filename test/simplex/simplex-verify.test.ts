import { test } from 'node:test';
import assert from 'node:assert/strict';
import { boundRows, outputObjective, simplexRelaxation } from '../../src/bounds/simplex/context.js';
import { simplexCrownRows } from '../../src/bounds/simplex/crown.js';
import { optLirpaRows } from '../../src/bounds/simplex/opt-lirpa.js';
import { setLp } from '../../src/bounds/simplex/planet-lp.js';
import { hullBackward, simplexVerify, simplexVerifyRows, type HullWeights } from '../../src/bounds/simplex/simplex-verify.js';
import { exactMinimum } from '../../src/bounds/mip.js';
import { boundingBox, simplexImage } from '../../src/problem/input-set.js';
import { randomNet } from '../helpers/random-net.js';
import { makeRng, simplexCase, trueMinima, TOL, workedExampleNet } from '../helpers/simplex.js';

/** Random weights per hidden layer (R x n_k); `extreme` draws only 0 and 1. */
function randomWeights(ctx: Awaited<ReturnType<typeof simplexRelaxation>>, R: number, rng: () => number, extreme: boolean, up?: number): HullWeights {
  const draw = () => (extreme ? (rng() < 0.5 ? 0 : 1) : rng());
  return {
    low: ctx.relax.map((rx) => Float64Array.from({ length: R * rx.n }, draw)),
    up: ctx.relax.map((rx) => Float64Array.from({ length: R * rx.n }, () => up ?? draw())),
  };
}

test('with upper weights 1 the hull backward pass is the CROWN pass with the same lower slopes', async () => {
  const rng = makeRng(165);
  for (let t = 0; t < 4; t++) {
    const c = simplexCase(rng, t, [4, 8, 8, 8, 3]);
    const ctx = await simplexRelaxation(c.net, c.set);
    const { Lam, c0 } = outputObjective(c.net);
    const w = randomWeights(ctx, c0.length, rng, false, 1);
    // backwardPass reads rowAlpha on every neuron: stable ones must keep their exact slope.
    ctx.relax.forEach((rx, k) => {
      for (let i = 0; i < w.low[k].length; i++) if (!rx.ambiguous[i % rx.n]) w.low[k][i] = rx.lowSlope[i % rx.n];
    });
    const hb = await hullBackward(c.net, ctx, Lam, c0, w);
    const cb = await boundRows(c.net, ctx, c.net.layers.length - 2, Lam, c0, { rowAlpha: w.low });
    assert.equal(hb.gz, undefined);
    for (let r = 0; r < c0.length; r++) assert.ok(Math.abs(hb.lb[r] - cb.lb[r]) < 1e-9 * (1 + Math.abs(cb.lb[r])), `${c.label} row ${r}`);
  }
});

test('Prop. 4: any weights in [0,1] give a valid bound (random and 0/1 weights, ℓ1 / clipped / dense sets, 3 hidden layers)', async () => {
  const rng = makeRng(166);
  for (let t = 0; t < 3; t++) {
    const c = simplexCase(rng, t, [3, 5, 5, 5, 2]);
    const ctx = await simplexRelaxation(c.net, c.set);
    const { Lam, c0 } = outputObjective(c.net);
    const truth = await trueMinima(c, rng);
    for (let q = 0; q < 12; q++) {
      const hb = await hullBackward(c.net, ctx, Lam, c0, randomWeights(ctx, c0.length, rng, q % 2 === 0));
      for (let o = 0; o < c0.length; o++) assert.ok(hb.lb[o] <= truth[o] + TOL, `${c.label} row ${o} draw ${q}: ${hb.lb[o]} above ${truth[o]}`);
    }
  }
});

test('Simplex Verify: CROWN <= SV <= LP of (3.5) <= true minimum; on a box, hulls on deeper layers stay valid', async () => {
  const rng = makeRng(167);
  let aboveCrown = 0;
  let rows = 0;
  for (let t = 0; t < 4; t++) {
    const c = simplexCase(rng, t);
    const ctx = await simplexRelaxation(c.net, c.set);
    const cr = await simplexCrownRows(c.net, ctx);
    const sv = await simplexVerifyRows(c.net, ctx);
    const lp = await setLp(c.net, ctx, { hull: true });
    const truth = await trueMinima(c, rng);
    for (let o = 0; o < c.net.outputDim; o++) {
      rows++;
      const at = `${c.label} row ${o}`;
      assert.ok(sv.rowLower[o] >= cr.rowLower[o] - 1e-12, `${at}: below CROWN`);
      assert.ok(sv.rowLower[o] <= lp.rowLower[o] + 1e-7, `${at}: SV ${sv.rowLower[o]} above the LP of (3.5) ${lp.rowLower[o]}`);
      assert.ok(sv.rowLower[o] <= truth[o] + TOL, `${at}: above a value of the network`);
      if (sv.rowLower[o] > cr.rowLower[o] + 1e-6) aboveCrown++;
    }
  }
  assert.ok(aboveCrown >= rows / 3, `SV improved on CROWN on only ${aboveCrown} of ${rows} rows`);
  // Box inputs: no hull on layer 0, hulls over sum(x_k) <= sum(relu(uhat_k)) deeper.
  for (let t = 0; t < 3; t++) {
    const net = randomNet(rng, [3, 8, 8, 8, 1]);
    const lower = Float64Array.from({ length: 3 }, () => rng() - 1);
    const upper = lower.map((v) => v + 0.5 + rng());
    const sv = await simplexVerify().bound(net, { size: 1, lower, upper });
    const mip = await exactMinimum(net, lower, upper, [0], { tighten: 'interval' });
    assert.ok(sv.rowLower[0] <= mip.valueAtX + TOL, `box case ${t}: ${sv.rowLower[0]} above ${mip.valueAtX}`);
  }
});

test('worked example: Simplex Verify reaches the hull LP value 0, Opt-LiRPA Planet stays at Planet\'s -0.375', async () => {
  const net = workedExampleNet();
  const set = simplexImage(Float64Array.of(0, 0), Float64Array.of(1, 0, 0, 1), 2, 1);
  const ctx = await simplexRelaxation(net, set);
  const sv = await simplexVerifyRows(net, ctx);
  const ol = await optLirpaRows(net, ctx);
  assert.ok(sv.rowLower[0] > -1e-3 && sv.rowLower[0] <= 1e-12, `SV ${sv.rowLower[0]}`);
  assert.ok(ol.rowLower[0] <= -0.375 + 1e-9, `Opt-LiRPA ${ol.rowLower[0]}`);
  const box = boundingBox(set);
  const viaBounder = await simplexVerify().bound(net, { size: 1, lower: box.lower, upper: box.upper, inputSets: [set] });
  assert.equal(viaBounder.rowLower[0], sv.rowLower[0]);
});
