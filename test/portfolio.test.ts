import { test } from 'node:test';
import assert from 'node:assert/strict';
import pino from 'pino';
import { Witness } from '../src/attack/witness.js';
import type { BabProgress } from '../src/bab/search.js';
import { exactMinimum } from '../src/bounds/mip.js';
import { MipThread } from '../src/bounds/mip-thread.js';
import { exactMipBox } from '../src/engine/exact-mip.js';
import { DEFAULT_ENGINE_OPTIONS, type EngineOptions } from '../src/engine/options.js';
import { MIP_RACE_MAX_NEURONS, planSearch, searchBox, stalled } from '../src/engine/portfolio.js';
import type { LayeredNet } from '../src/network/layered.js';
import { canonicalBox, float64Check, shiftRows } from './helpers/canonical.js';
import { LogLines } from './helpers/log-lines.js';
import { makeRng, randomBox, randomNet } from './helpers/random-net.js';

const auto = { branching: 'auto', bounder: 'auto' } as const;

function boxOf(dims: number[], seed = 1) {
  const rng = makeRng(seed);
  const net = randomNet(rng, dims);
  const { lower, upper } = randomBox(rng, dims[0], 1);
  return canonicalBox(net, lower, upper, [0]);
}

test('plan: a small ReLU network with few inputs splits inputs, races the MIP, and falls back to ReLU splitting', () => {
  assert.deepEqual(planSearch(boxOf([5, 10, 10, 1]), auto), { primary: 'input-split', race: ['exact-mip'], fallback: 'relu-split' });
});

test('plan: beyond the MIP size no race; ReLU splitting first on many inputs, input splitting as fallback only up to 32 inputs', () => {
  const wide = boxOf([20, 50, 50, 50, 1]);
  assert.ok(150 > MIP_RACE_MAX_NEURONS);
  assert.deepEqual(planSearch(wide, auto), { primary: 'relu-split', race: [], fallback: 'input-split' });
  assert.deepEqual(planSearch(boxOf([40, 60, 60, 60, 1]), auto), { primary: 'relu-split', race: [], fallback: undefined });
  // Inputs the box fixes do not count: 40 inputs, 10 of them free, is an input-splitting problem.
  const fixed = boxOf([40, 60, 60, 60, 1]);
  for (let i = 10; i < 40; i++) fixed.upper[i] = fixed.lower[i];
  assert.equal(planSearch(fixed, auto).primary, 'input-split');
});

test('plan: a flag naming the search runs it alone; regions cut by constraints get no MIP race', () => {
  const box = boxOf([5, 10, 10, 1]);
  assert.deepEqual(planSearch(box, { branching: 'relu', bounder: 'auto' }), { primary: 'relu-split', race: [] });
  assert.deepEqual(planSearch(box, { branching: 'auto', bounder: 'mip' }), { primary: 'exact-mip', race: [] });
  // A named bounder applies to branch and bound: the MIP may still race, no second branching mode joins.
  assert.deepEqual(planSearch(box, { branching: 'auto', bounder: 'crown' }), { primary: 'input-split', race: ['exact-mip'], fallback: undefined });
  const cut = { ...box, inputCuts: [{ coef: new Float64Array(5).fill(1), rhs: 0 }] };
  assert.deepEqual(planSearch(cut, auto).race, []);
});

test('stall: judged after 15% of the budget, by whether the closing rate would finish in time', () => {
  const p = (openMass: number): BabProgress => ({ iterations: 1, openDomains: 1, boundedDomains: 1, tightBounded: 0, globalLb: -1, bestObjective: 1, openMass });
  const budget = 20_000;
  assert.equal(stalled(p(0.99), 0, 2_000, budget), false, 'too early to judge');
  assert.equal(stalled(p(0.9), 0, 4_000, budget), true, '10% closed in 20% of the budget');
  assert.equal(stalled(p(0.7), 0, 4_000, budget), false, '30% closed in 20% of the budget');
  assert.equal(stalled(p(1), 0, 10_000, budget), true, 'nothing closed');
  assert.equal(stalled(p(NaN), 0, 10_000, budget), true, 'no information is no progress');
});

test('the MIP thread returns what the in-process MIP returns, and stopping it rejects the pending solve', async () => {
  const box = boxOf([6, 12, 12, 2], 7);
  const thread = new MipThread(box.net);
  try {
    for (const rows of [[0], [1], [0, 1]]) {
      const here = await exactMinimum(box.net, box.lower, box.upper, rows);
      const there = await thread.solve(box.lower, box.upper, rows, { timeLimit: 30 });
      assert.equal(there.status, here.status);
      assert.equal(there.value, here.value);
      assert.deepEqual(Array.from(there.x), Array.from(here.x));
    }
    const pending = thread.solve(box.lower, box.upper, [0, 1], { timeLimit: 30 });
    await thread.stop();
    await assert.rejects(pending, /stopped/);
  } finally {
    await thread.stop();
  }
});

test('the exact-MIP strategy returns `stopped` once the race is decided elsewhere', async () => {
  const box = boxOf([8, 16, 16, 16, 1], 3);
  const controller = new AbortController();
  controller.abort();
  const out = await exactMipBox(box, float64Check(box), performance.now() + 30_000, new Witness(), { thread: true, signal: controller.signal });
  assert.equal(out.kind, 'stopped');
});

async function exactObjective(net: LayeredNet, lower: Float64Array, upper: Float64Array): Promise<number> {
  const res = await exactMinimum(net, lower, upper, [0]);
  assert.equal(res.status, 'optimal');
  return res.value;
}

// Thresholds 1e-3 from the exact optimum of 12-input networks: input splitting alone needs many domains,
// the MIP a fraction of a second. Whatever decides, the answer must be the MIP's.
for (const seed of [11, 12, 13]) {
  test(`the portfolio's answer agrees with the exact MIP, and says which strategy decided (seed ${seed})`, async () => {
    const rng = makeRng(seed);
    const base = randomNet(rng, [12, 14, 14, 1]);
    const { lower, upper } = randomBox(rng, 12, 1);
    const truth = await exactObjective(base, lower, upper);
    for (const [delta, expected] of [
      [1e-3, 'unsat'],
      [-1e-3, 'sat'],
    ] as const) {
      const box = canonicalBox(shiftRows(base, truth - delta), lower, upper, [0]);
      const lines = new LogLines();
      const options: EngineOptions = { ...DEFAULT_ENGINE_OPTIONS, threads: 1, deadline: performance.now() + 60_000 };
      const out = await searchBox(box, float64Check(box), options, pino({ level: 'info' }, lines), new Witness());
      assert.equal(out.kind, expected);
      assert.ok(['input-split', 'relu-split', 'exact-mip'].includes(out.strategy));
      const decided = lines.lines.find((l) => l.msg === 'portfolio decided');
      assert.equal(decided?.strategy, out.strategy);
    }
  });
}
