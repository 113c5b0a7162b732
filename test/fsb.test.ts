/**
 * Filtered smart branching (src/bab/branching/fsb.ts): its children's
 * estimates are bounds that hold on the children (any slopes in [0,1] and
 * multipliers >= 0 give valid bounds), it picks one of BaBSR's candidates,
 * and branch and bound with it still gives the exact MIP's answers.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { babsrRanked } from '../src/bab/branching/babsr.js';
import { fsb, fsbChildBounds } from '../src/bab/branching/fsb.js';
import { reluRuleFor } from '../src/bab/branching/index.js';
import type { Domain } from '../src/bab/domain.js';
import { branchAndBound } from '../src/bab/search.js';
import { alphaBetaCrown } from '../src/bounds/beta.js';
import { exactMinimum } from '../src/bounds/mip.js';
import { relu, sigmoid } from '../src/network/activations/registry.js';
import type { LayeredNet } from '../src/network/layered.js';
import { canonicalBox, float64Check, shiftRows } from './helpers/canonical.js';
import { domainSplits, makeRng, randomBox, randomNet, randomSplits, sampleStats } from './helpers/random-net.js';

/** One domain bounded by beta-CROWN, as the search holds it (pre-activation bounds, splits, optimised duals). */
async function boundedDomain(net: LayeredNet, lower: Float64Array, upper: Float64Array, splits: Int8Array[]): Promise<Domain> {
  const res = await alphaBetaCrown({ iterations: 20 }).bound(net, { size: 1, lower, upper, splits });
  return {
    lower,
    upper,
    splits,
    preLower: res.preLower,
    preUpper: res.preUpper,
    open: new Uint8Array(net.outputDim).fill(1),
    lb: Math.min(...res.rowLower),
    ub: Infinity,
    depth: 0,
    rowLower: res.rowLower,
    linearA: null,
    dual: res.dual ?? null,
    improvement: 0,
    hard: false,
    node: -1,
  };
}

test('fsb: every child estimate is a lower bound of the target row on that child (sampled minimum)', async () => {
  let checked = 0;
  for (let seed = 1; seed <= 6; seed++) {
    const rng = makeRng(600 + seed);
    const net = randomNet(rng, [4, 12, 12, 10, 3]);
    const { lower, upper } = randomBox(rng, 4, 1.5);
    const splits = await randomSplits(net, lower, upper, 2 + (seed % 3), rng);
    const d = await boundedDomain(net, lower, upper, splits);
    const rows = Int32Array.of(seed % 3);
    const { candidates } = await babsrRanked(net, 1, d.preLower!, d.preUpper!, rows, 3);
    const triples = candidates[0].flatMap((c) => [1, -1].map((sign) => ({ b: 0, c, sign: sign as 1 | -1 })));
    const est = await fsbChildBounds(net, [d], rows, triples);
    for (let t = 0; t < triples.length; t++) {
      const { c, sign } = triples[t];
      const child = splits.map((s) => s.slice());
      child[c.layer][c.neuron] = sign;
      const stats = sampleStats(net, lower, upper, 20000, makeRng(seed), child);
      if (stats.kept === 0) continue;
      assert.ok(est[t] <= stats.min[rows[0]] + 1e-9, `seed ${seed}, neuron ${c.layer}/${c.neuron} ${sign > 0 ? 'active' : 'inactive'}: estimate ${est[t]} above sampled minimum ${stats.min[rows[0]]}`);
      checked++;
    }
  }
  assert.ok(checked >= 10, `${checked} children checked`);
});

test('fsb: the choice is one of BaBSR\'s candidates; networks of other activations fall back to BaBSR', async () => {
  const rng = makeRng(610);
  const net = randomNet(rng, [3, 10, 10, 2]);
  const { lower, upper } = randomBox(rng, 3, 2);
  const d = await boundedDomain(net, lower, upper, domainSplits(net, net.layers.slice(0, -1).map((l) => new Int8Array(l.outDim)), 0));
  const rows = Int32Array.of(0);
  const { candidates } = await babsrRanked(net, 1, d.preLower!, d.preUpper!, rows, 3);
  assert.ok(candidates[0].length >= 2, 'several candidates');
  const [choice] = await fsb.choose(net, [d], d.preLower!, d.preUpper!, rows);
  assert.ok(candidates[0].some((c) => c.layer === choice!.layer && c.neuron === choice!.neuron));
  assert.equal(reluRuleFor('fsb', net).name, 'fsb');
  const mixed = randomNet(makeRng(611), [3, 8, 8, 2], { activations: [relu, sigmoid] });
  assert.equal(reluRuleFor('fsb', mixed).name, 'babsr');
});

test('fsb: branch and bound with it agrees with the exact MIP just above and below the true minimum', async () => {
  for (let seed = 1; seed <= 5; seed++) {
    const rng = makeRng(620 + seed);
    const base = randomNet(rng, [4, 10, 10, 8, 2]);
    const { lower, upper } = randomBox(rng, 4, 1.5);
    const rowGroup = [0, 0];
    const truth = (await exactMinimum(base, lower, upper, [0, 1])).value;
    for (const [delta, expected] of [
      [0.05, 'unsat'],
      [-0.05, 'sat'],
    ] as const) {
      const net = shiftRows(base, truth - delta);
      const box = canonicalBox(net, lower, upper, rowGroup);
      const out = await branchAndBound(box, {
        bounder: alphaBetaCrown({ iterations: 8 }),
        branching: 'relu',
        reluRule: fsb,
        batchSize: 8,
        deadline: performance.now() + 60_000,
        maxDomains: 1e6,
        check: float64Check(box),
      });
      assert.equal(out.kind, expected, `seed ${seed}: threshold ${delta > 0 ? 'below' : 'above'} the true minimum ${truth}`);
    }
  }
});
