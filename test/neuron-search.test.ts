import { test } from 'node:test';
import assert from 'node:assert/strict';
import { searchNeuron, type LayerProblem } from '../src/bab/refine/neuron-search.js';
import { optimisedIntermediates } from '../src/bounds/root-intermediates.js';
import { cutAt, exactPre } from './helpers/exact-pre.js';
import { makeRng, randomBox, randomNet } from './helpers/random-net.js';

/** Layer k of a random network as the searches see it, and its neurons whose exact ranges straddle 0. */
async function layerCase(seed: number, k: number, straddling = true) {
  const rng = makeRng(seed);
  const net = randomNet(rng, [6, 16, 16, 16, 2]);
  const { lower, upper } = randomBox(rng, 6, 2);
  const start = await optimisedIntermediates(net, lower, upper, performance.now() + 60_000);
  assert.ok(start);
  const cut = cutAt(net, k);
  const layer: LayerProblem = {
    cut,
    lower,
    upper,
    rootPre: { preLower: start.preLower.slice(0, k), preUpper: start.preUpper.slice(0, k) },
    own: { lower: start.preLower[k], upper: start.preUpper[k] },
  };
  const both: { j: number; min: number; max: number }[] = [];
  for (let j = 0; j < cut.outputDim && straddling; j++) {
    if (!(start.preLower[k][j] < 0 && start.preUpper[k][j] > 0)) continue;
    const min = await exactPre(net, k, j, 1, lower, upper);
    const max = await exactPre(net, k, j, -1, lower, upper);
    if (min < 0 && max > 0) both.push({ j, min, max });
  }
  return { net, layer, both };
}

for (const seed of [1, 2, 3]) {
  test(`a tightening proves a level between the neuron's bound and its exact extreme, on both sides (seed ${seed})`, async () => {
    const { layer, both } = await layerCase(seed, 2);
    assert.ok(both.length >= 2, `only ${both.length} neurons straddle 0 exactly`);
    let proved = 0;
    let strict = 0;
    for (const { j, min, max } of both) {
      for (const side of [1, -1] as const) {
        const o = await searchNeuron(layer, { j, side, tighten: { seen: 0, slack: 0.25 } }, performance.now() + 20_000);
        const extreme = side > 0 ? min : -max;
        const from = side > 0 ? layer.own!.lower[j] : -layer.own!.upper[j];
        if (o.kind === 'proved') {
          proved++;
          // side·x_j >= at everywhere on the box: at most the exact minimum of side·x_j, and above the old bound.
          assert.ok(o.at <= extreme + 1e-9, `neuron ${j} side ${side}: proved ${o.at} above the exact minimum ${extreme}`);
          assert.ok(o.at >= from, `neuron ${j} side ${side}: level ${o.at} below the bound ${from}`);
          if (o.at > from + 1e-6) strict++;
        } else if (o.kind === 'bound') {
          assert.ok(o.at + o.globalLb <= extreme + 1e-9, `neuron ${j} side ${side}: partial bound above the exact minimum`);
        }
      }
    }
    assert.ok(proved >= both.length, `${proved} of ${2 * both.length} tightenings proved`);
    assert.ok(strict > 0, 'no tightening moved a bound');
  });
}

test('a stability search proves the sign at level 0, and finds a neuron that straddles 0 ambiguous', async () => {
  const { layer, both } = await layerCase(2, 2);
  const o = await searchNeuron(layer, { j: both[0].j, side: 1 }, performance.now() + 20_000);
  assert.equal(o.kind, 'ambiguous');
  // Neurons the exact MIP says never go below (above) 0 on the box, though their bounds do: the first two found.
  let stable = 0;
  for (const seed of [1, 2, 3, 4]) {
    const { net, layer: L } = await layerCase(seed, 2, false);
    const { lower, upper, cut } = L;
    for (let q = 0; q < cut.outputDim && stable < 2; q++) {
      if (!(L.own!.lower[q] < 0 && L.own!.upper[q] > 0)) continue;
      for (const side of [1, -1] as const) {
        // The exact minimum of side·x_q.
        if (side * (await exactPre(net, 2, q, side, lower, upper)) <= 1e-6) continue;
        stable++;
        const s = await searchNeuron(L, { j: q, side }, performance.now() + 20_000);
        assert.equal(s.kind, 'proved', `seed ${seed} neuron ${q} side ${side}`);
        assert.equal(s.kind === 'proved' && s.at, 0);
      }
    }
    if (stable >= 2) break;
  }
  assert.ok(stable > 0, 'no stable neuron with an ambiguous bound in the cases');
});
