import { test } from 'node:test';
import assert from 'node:assert/strict';
import { crown } from '../../src/bounds/crown.js';
import { simplexRelaxation } from '../../src/bounds/simplex/context.js';
import { simplexCrown } from '../../src/bounds/simplex/crown.js';
import { forwardPre } from '../helpers/random-net.js';
import { boundingBox, minLinear, samplePoint } from '../../src/problem/input-set.js';
import { makeRng, simplexCase, trueMinima, TOL } from '../helpers/simplex.js';

test('CROWN over the set: below the true minimum, never below CROWN on the bounding box, strictly tighter on some cases', async () => {
  const rng = makeRng(161);
  let tighter = 0;
  let rows = 0;
  for (let t = 0; t < 4; t++) {
    const c = simplexCase(rng, t);
    const box = boundingBox(c.set);
    const onSet = await simplexCrown().bound(c.net, { size: 1, lower: box.lower, upper: box.upper, inputSets: [c.set] });
    const onBox = await crown({ clampWithIbp: false }).bound(c.net, { size: 1, lower: box.lower, upper: box.upper });
    const truth = await trueMinima(c, rng);
    for (let o = 0; o < c.net.outputDim; o++) {
      rows++;
      assert.ok(onSet.rowLower[o] <= truth[o] + TOL, `${c.label} row ${o}: bound ${onSet.rowLower[o]} above a value ${truth[o]}`);
      assert.ok(onSet.rowLower[o] >= onBox.rowLower[o] - TOL, `${c.label} row ${o}: looser than CROWN on the box`);
      if (onSet.rowLower[o] > onBox.rowLower[o] + 1e-6) tighter++;
      // The linear bound it reports is valid on the set too.
      const { A, c: cc } = onSet.linear!;
      const n0 = c.net.inputDim;
      assert.ok(minLinear(c.set, A.subarray(o * n0, (o + 1) * n0), cc[o]) <= truth[o] + TOL);
    }
  }
  assert.ok(tighter >= rows / 3, `tighter than CROWN on the box on only ${tighter} of ${rows} rows`);
});

test('shared intermediate bounds contain every sampled pre-activation; a box set gives CROWN on the box', async () => {
  const rng = makeRng(162);
  for (let t = 0; t < 4; t++) {
    const c = simplexCase(rng, t, [3, 8, 8, 8, 2]);
    const ctx = await simplexRelaxation(c.net, c.set);
    for (let s = 0; s < 300; s++) {
      const pre = forwardPre(c.net, samplePoint(c.set, rng));
      ctx.relax.forEach((rx, k) => {
        for (let j = 0; j < rx.n; j++) assert.ok(pre[k][j] >= rx.lower[j] - TOL && pre[k][j] <= rx.upper[j] + TOL, `${c.label} layer ${k} neuron ${j}`);
      });
    }
    const box = boundingBox(c.set);
    const viaSet = await simplexCrown().bound(c.net, { size: 1, lower: box.lower, upper: box.upper });
    const plain = await crown({ clampWithIbp: false }).bound(c.net, { size: 1, lower: box.lower, upper: box.upper });
    for (let o = 0; o < c.net.outputDim; o++) assert.ok(Math.abs(viaSet.rowLower[o] - plain.rowLower[o]) < 1e-9 * (1 + Math.abs(plain.rowLower[o])));
  }
});

test('simplex bounders refuse networks with identity neurons (the hull needs x >= 0)', async () => {
  const rng = makeRng(1);
  const c = simplexCase(rng, 0);
  const layers = c.net.layers.map((l, k) => (k === 0 ? { ...l, identity: Uint8Array.from({ length: l.outDim }, (_, j) => (j === 0 ? 1 : 0)) } : l));
  const box = boundingBox(c.set);
  await assert.rejects(simplexCrown().bound({ ...c.net, layers }, { size: 1, lower: box.lower, upper: box.upper, inputSets: [c.set] }), /all ReLU/);
});
