import { test } from 'node:test';
import assert from 'node:assert/strict';
import { branchAndBound, type BabOptions, type Branching } from '../src/bab/search.js';
import type { CanonicalBox } from '../src/problem/types.js';
import { crown } from '../src/bounds/crown.js';
import { alphaCrown } from '../src/bounds/alpha.js';
import { alphaBetaCrown } from '../src/bounds/beta.js';
import { optimisedIntermediates } from '../src/bounds/root-intermediates.js';
import { refineNeurons } from '../src/bab/refine/refine-neurons.js';
import { exactMinimum } from '../src/bounds/mip.js';
import type { LayeredNet } from '../src/network/layered.js';
import { forward } from '../src/network/layered.js';
import { canonicalBox, float64Check, shiftRows } from './helpers/canonical.js';
import { makeRng, randomBox, randomNet } from './helpers/random-net.js';

/** Exact min over the box of min over disjuncts of max over their rows (the canonical objective). */
async function exactObjective(net: LayeredNet, lower: Float64Array, upper: Float64Array, rowGroup: number[]): Promise<number> {
  let best = Infinity;
  for (let g = 0; g <= Math.max(...rowGroup); g++) {
    const rows = rowGroup.flatMap((gr, r) => (gr === g ? [r] : []));
    const res = await exactMinimum(net, lower, upper, rows);
    assert.equal(res.status, 'optimal');
    best = Math.min(best, res.value);
  }
  return best;
}

/**
 * A random net and box (from `seed`) with the rows shifted so that the true
 * minimum of the objective is `margin` above zero: barely safe, so the
 * search needs many domains.
 */
async function barelySafeBox(seed: number, dims: number[], width: number, rowGroup: number[], margin: number): Promise<CanonicalBox> {
  const rng = makeRng(seed);
  const base = randomNet(rng, dims);
  const { lower, upper } = randomBox(rng, dims[0], width);
  const truth = await exactObjective(base, lower, upper, rowGroup);
  return canonicalBox(shiftRows(base, truth - margin), lower, upper, rowGroup);
}

interface Case {
  seed: number;
  dims: number[];
  rowGroup: number[];
  branching: Branching;
}

const cases: Case[] = [];
for (let seed = 1; seed <= 8; seed++) {
  cases.push({ seed, dims: [3, 10, 10, 3], rowGroup: [0, 0, 0], branching: 'input' });
  cases.push({ seed: 100 + seed, dims: [4, 8, 6, 3], rowGroup: [0, 1, 2], branching: 'relu' });
  cases.push({ seed: 200 + seed, dims: [5, 10, 10, 10, 2], rowGroup: [0, 1], branching: 'input' });
  // ReLU splitting with CROWN-style bounds needs about as many splits as
  // ambiguous neurons (a split only clamps bounds), so its nets stay small.
  cases.push({ seed: 300 + seed, dims: [3, 6, 6, 6, 2], rowGroup: [0, 0], branching: 'relu' });
}

for (const c of cases) {
  test(`branch and bound agrees with the exact MIP (seed ${c.seed}, ${c.dims.join('x')}, ${c.branching} splitting)`, async () => {
    const rng = makeRng(c.seed);
    const base = randomNet(rng, c.dims);
    const { lower, upper } = randomBox(rng, c.dims[0], 1.5);
    const truth = await exactObjective(base, lower, upper, c.rowGroup);
    // Move the threshold just above and just below the true minimum: both answers must come out right.
    for (const [delta, expected] of [
      [0.05, 'unsat'],
      [-0.05, 'sat'],
    ] as const) {
      const net = shiftRows(base, truth - delta);
      const box = canonicalBox(net, lower, upper, c.rowGroup);
      const out = await branchAndBound(box, {
        bounder: crown(),
        tightBounder: alphaCrown({ iterations: 5 }),
        branching: c.branching,
        batchSize: 16,
        deadline: performance.now() + 60_000,
        maxDomains: 1e6,
        check: float64Check(box),
      });
      assert.equal(out.kind, expected, `threshold ${delta > 0 ? 'below' : 'above'} the true minimum ${truth}`);
      if (out.kind === 'sat') {
        const y = forward(net, out.counterexample.x);
        const reached = c.rowGroup.some((g) => c.rowGroup.every((gr, r) => gr !== g || y[r] <= 0));
        assert.ok(reached, 'the counterexample reaches the unsafe set');
      }
    }
  });
}

test('the deadline is kept: a search with no time left returns timeout or a decision at once', async () => {
  const rng = makeRng(7);
  const base = randomNet(rng, [6, 30, 30, 30, 1]);
  const { lower, upper } = randomBox(rng, 6, 2);
  const box = canonicalBox(base, lower, upper, [0]);
  const t0 = performance.now();
  const out = await branchAndBound(box, {
    bounder: crown(),
    branching: 'relu',
    batchSize: 8,
    deadline: performance.now() + 200,
    maxDomains: 1e6,
    check: float64Check(box),
  });
  assert.ok(performance.now() - t0 < 2000);
  assert.ok(['timeout', 'sat', 'unsat'].includes(out.kind));
});

test('the memory cap turns into unknown, not a crash', async () => {
  const box = await barelySafeBox(11, [2, 40, 40, 1], 2, [0], 1e-4);
  const out = await branchAndBound(box, {
    bounder: crown(),
    branching: 'input',
    batchSize: 4,
    deadline: performance.now() + 30_000,
    maxDomains: 3,
    check: float64Check(box),
  });
  assert.ok(out.kind === 'unknown' || out.kind === 'unsat', out.kind);
});

test('the global lower bound never decreases: children keep their parent\'s row bounds', async () => {
  for (const [seed, branching] of [
    [21, 'input'],
    [22, 'relu'],
  ] as const) {
    const box = await barelySafeBox(seed, [4, 16, 16, 16, 2], 2, [0, 1], 1e-3);
    const seen: number[] = [];
    await branchAndBound(box, {
      bounder: crown(),
      branching,
      batchSize: 4,
      deadline: performance.now() + 3000,
      maxDomains: 1e6,
      check: float64Check(box),
      onProgress: (p) => seen.push(p.globalLb),
    });
    assert.ok(seen.length >= 3, `${branching}: only ${seen.length} iterations`);
    for (let i = 1; i < seen.length; i++) assert.ok(seen[i] >= seen[i - 1], `${branching}: globalLb ${seen[i - 1]} -> ${seen[i]} at iteration ${i}`);
  }
});

test('the open mass (each open domain weighing 2^-depth) starts at 1, never grows, and is 0 when the search proves the property', async () => {
  for (const [seed, branching] of [
    [31, 'input'],
    [32, 'relu'],
  ] as const) {
    const box = await barelySafeBox(seed, [4, 12, 12, 1], 2, [0], 1e-2);
    const seen: number[] = [];
    const out = await branchAndBound(box, {
      bounder: crown(),
      branching,
      batchSize: 4,
      deadline: performance.now() + 60_000,
      maxDomains: 1e6,
      check: float64Check(box),
      onProgress: (p) => seen.push(p.openMass),
    });
    assert.equal(out.kind, 'unsat');
    assert.ok(seen.length >= 2, `${branching}: ${seen.length} iterations`);
    assert.ok(seen[0] <= 1);
    for (let i = 1; i < seen.length; i++) assert.ok(seen[i] <= seen[i - 1] + 1e-12, `${branching}: open mass rose from ${seen[i - 1]} to ${seen[i]}`);
    assert.equal(out.stats.openMass, 0);
  }
});

/** beta-CROWN ReLU splitting with a root-refinement hook (and other options). */
function reluSearch(box: CanonicalBox, refineRoot: BabOptions['refineRoot'], extra: Partial<BabOptions> = {}) {
  return branchAndBound(box, {
    bounder: alphaBetaCrown(),
    branching: 'relu',
    batchSize: 8,
    deadline: performance.now() + 60_000,
    maxDomains: 1e6,
    check: float64Check(box),
    refineRoot,
    ...extra,
  });
}

/** A random net and box from `seed`, its row shifted 1e-2 above (unsat) and below (sat) the exact minimum. */
async function nearTruthCases(seed: number, dims: number[]) {
  const rng = makeRng(seed);
  const base = randomNet(rng, dims);
  const { lower, upper } = randomBox(rng, dims[0], 2);
  const truth = await exactObjective(base, lower, upper, [0]);
  return ([
    [1e-2, 'unsat'],
    [-1e-2, 'sat'],
  ] as const).map(([delta, expected]) => ({ box: canonicalBox(shiftRows(base, truth - delta), lower, upper, [0]), lower, upper, expected }));
}

test('ReLU splitting re-bounds an open root from refined intermediate bounds and still agrees with the exact MIP', async () => {
  for (const seed of [41, 42, 43]) {
    for (const { box, lower, upper, expected } of await nearTruthCases(seed, [4, 10, 10, 10, 1])) {
      let calls = 0;
      const out = await reluSearch(box, async (first) => {
        calls++;
        return optimisedIntermediates(box.net, lower, upper, performance.now() + 10_000, first);
      });
      assert.equal(out.kind, expected, `seed ${seed}`);
      assert.ok(calls <= 1);
    }
  }
  // A root the first bound proves is not refined.
  const rng = makeRng(44);
  const base = randomNet(rng, [5, 14, 14, 1]);
  const { lower, upper } = randomBox(rng, 5, 2);
  const box = canonicalBox(shiftRows(base, -1e6), lower, upper, [0]);
  let calls = 0;
  const out = await reluSearch(box, async () => {
    calls++;
    return null;
  });
  assert.equal(out.kind, 'unsat');
  assert.equal(calls, 0);
});

test('ReLU splitting tightens its open domains mid-search from refined neuron bounds, in two steps, and still agrees with the exact MIP', async () => {
  let total = 0;
  let seconds = 0;
  for (const seed of [51, 52, 53]) {
    for (const { box, lower, upper, expected } of await nearTruthCases(seed, [5, 14, 14, 14, 1])) {
      let calls = 0;
      let root: Awaited<ReturnType<typeof optimisedIntermediates>> = null;
      const refineRoot: BabOptions['refineRoot'] = async (first) => (root = await optimisedIntermediates(box.net, lower, upper, performance.now() + 10_000, first));
      const out = await reluSearch(box, refineRoot, {
        batchSize: 2,
        // At once: the first batch after the root meets bounds refined by the neurons' own searches, a
        // millisecond each; the next batch meets those of their second searches, the step the first names.
        midSearch: {
          at: 0,
          run: async () => {
            calls++;
            if (!root) return null;
            const first = await refineNeurons(box.net, lower, upper, root, { deadline: performance.now() + 20_000, perNeuronSeconds: 0.001, retry: false });
            const next = {
              at: 0,
              run: async () => {
                seconds++;
                const again = await refineNeurons(box.net, lower, upper, first.pre, { deadline: performance.now() + 20_000, perNeuronSeconds: 0.001, again: first.timedOut });
                return { ...again.pre, slopes: again.slopes };
              },
            };
            return { ...first.pre, slopes: first.slopes, next: first.timedOut.size > 0 ? next : undefined };
          },
        },
      });
      assert.equal(out.kind, expected, `seed ${seed}`);
      assert.ok(calls <= 1);
      total += calls;
    }
  }
  // The searches did reach the hook (a root closed at once, or a sat found at the root, never does), and its
  // second step.
  assert.ok(total >= 3, `the hook ran ${total} times in 6 searches`);
  assert.ok(seconds >= 1, 'no second step ran');
});

test('ReLU splitting asks for refined bounds early (stalled) only after its first batches and while no domain has closed, and still agrees with the exact MIP', async () => {
  let early = 0;
  let laterIterations = 0;
  for (const seed of [41, 42, 43]) {
    for (const { box, expected } of await nearTruthCases(seed, [4, 10, 10, 10, 1])) {
      let openMass = 1;
      let closedAt = -1;
      let iterations = 0;
      // Never due by `at`; due after the first batch while nothing closed. Each answer re-arms the hook (no bounds).
      const hook: NonNullable<BabOptions['midSearch']> = {
        at: Infinity,
        stalled: { from: 0, afterBatches: 1 },
        run: async () => {
          assert.ok(openMass >= 1, `asked with ${openMass} of the box open (seed ${seed})`);
          assert.ok(iterations >= 1, `asked before the first batch (seed ${seed})`);
          early++;
          return { preLower: [], preUpper: [], next: hook };
        },
      };
      const out = await reluSearch(box, undefined, {
        batchSize: 2,
        midSearch: hook,
        onProgress: (p) => {
          openMass = p.openMass;
          iterations = p.iterations;
          if (p.openMass < 1 && closedAt < 0) closedAt = p.iterations;
        },
      });
      assert.equal(out.kind, expected, `seed ${seed}`);
      if (closedAt >= 0) laterIterations += iterations - closedAt;
    }
  }
  // The hook did run, and searches went on for iterations after a domain closed without asking it.
  assert.ok(early >= 3, `the early hook ran ${early} times`);
  assert.ok(laterIterations > 0, 'no search closed a domain and went on');
});
